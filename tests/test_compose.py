"""What docker-compose.yml promises beyond its schema: ports on loopback only, and the LocalStack CI runs."""

from __future__ import annotations

from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_every_published_port_binds_loopback_only() -> None:
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())

    published = [(name, port) for name, service in compose["services"].items() for port in service.get("ports", [])]
    assert published, "the stack publishes no port at all"
    for name, port in published:
        assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} on every interface"
