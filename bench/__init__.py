"""The benchmark: this server against a naive baseline, both on a moto S3 server behind a delaying proxy."""
