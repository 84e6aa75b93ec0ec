"""Real servers on free loopback ports for tests over real HTTP: in a background thread, or as a process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import fastapi.dependencies.models
import httpx
import uvicorn
from fastapi import FastAPI


@contextmanager
def serve(app: FastAPI, startup_timeout: float = 15.0) -> Iterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def release_dropped_apps() -> None:
    """Empty FastAPI's module-level caches of endpoint and dependency callables.

    FastAPI (0.165) classifies every endpoint and dependency in `lru_cache`s of up to 4,096 callables, keyed by
    the callable itself, so the last hundred or so apps a process built stay alive through their closures, with
    their services, stores and caches. A server builds one app, but this suite builds one per test: without
    this, the test process grew past 3 GB and each full garbage collection paused it for up to 10 s, which
    one CI run met as a 10 s wait in a test that counted time. tests/api/test_app_lifecycle.py checks that an
    app, once dropped and this called, is freed.
    """
    for cached in vars(fastapi.dependencies.models).values():
        if hasattr(cached, "cache_clear"):
            cached.cache_clear()


def clean_env(**overrides: str) -> dict[str, str]:
    """The test process's environment without any TASK_API_* or AWS_* setting of the developer's shell."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TASK_API_", "AWS_"))}
    return env | overrides


@dataclass
class ServerProcess:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def serve_process(
    env: dict[str, str], cwd: Path, *, args: Sequence[str] = ("-m", "task_api", "serve"), startup_timeout: float = 30.0
) -> Iterator[ServerProcess]:
    """`task-api serve` as a user starts it: its own process on a free loopback port, stopped by its PID."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    log_path = cwd / f"server-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, *args], env=env | {"TASK_API_PORT": str(port)}, cwd=cwd, stdout=log, stderr=log
        )
    server = ServerProcess(url, process, log_path)
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start (exit code {process.poll()}):\n{server.log()}")
            time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
