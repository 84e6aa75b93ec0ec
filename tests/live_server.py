"""Real servers for tests over real HTTP: the app under uvicorn in a background thread (`serve`), or the entry
point `python -m task_api.main` in its own process, as a user runs it (`serve_process`)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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


PROCESS_STARTUP_TIMEOUT = 30.0


def clean_env(**overrides: str) -> dict[str, str]:
    """This process's environment without the service's own settings (TASK_API_*, AWS_*), plus `overrides`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TASK_API_", "AWS_"))}
    return env | overrides


@contextmanager
def serve_process(
    env: dict[str, str], cwd: Path, log_path: Path, *, ready_path: str = "/health"
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`python -m task_api.main` in `cwd` with `env` (which must set TASK_API_PORT), its output in `log_path`;
    yields its URL and process once `ready_path` answers 200; stopped on exit."""
    url = f"http://127.0.0.1:{env['TASK_API_PORT']}"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "task_api.main"], env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + PROCESS_STARTUP_TIMEOUT
        while True:
            try:
                if httpx.get(f"{url}{ready_path}", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.1)
        yield url, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
