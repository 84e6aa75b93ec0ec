"""A moto S3 server in its own process on a free loopback port: S3 over real HTTP, as LocalStack would be.

Shared by the test fixtures and the bench, so both start it the same way.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

START_TIMEOUT = 20.0
STOP_TIMEOUT = 5.0


class MotoServerError(RuntimeError):
    """The moto server did not come up; the message carries the end of its log."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def answers(url: str) -> bool:
    # An explicit empty ProxyHandler: a proxy in the environment must not answer for the server.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{url}/moto-api/", timeout=1):
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP answer means the server is up
    except OSError:
        return False


@contextmanager
def moto_server(log_path: Path, port: int | None = None) -> Iterator[str]:
    """Start `python -m moto.server`, wait until it answers, yield its URL; stop it on exit."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    # A file, not a pipe: moto logs every request, and a pipe nobody drains would fill and stall the server.
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not answers(url):
            if process.poll() is not None or time.monotonic() > deadline:
                output = log_path.read_text(errors="replace")[-4000:]
                raise MotoServerError(f"moto server on {url} did not start (exit code {process.poll()}):\n{output}")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
