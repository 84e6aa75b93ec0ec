"""The test proxy itself: it forwards with the delay it is given, and plays the outages it promises."""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Iterator

import pytest

from tests.tcp_proxy import TcpProxy


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(65536):
            self.request.sendall(data)


@pytest.fixture
def echo_port() -> Iterator[int]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def round_trip(port: int, payload: bytes, timeout: float = 2.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(payload)
        received = b""
        while len(received) < len(payload):
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
        return received


def test_forwards_bytes_unchanged_and_adds_the_delay_each_way(echo_port: int) -> None:
    payload = bytes(range(256)) * 1000  # several chunks: each is delayed once, not once per chunk before it
    with TcpProxy("127.0.0.1", echo_port, delay=0.05) as proxy:
        started = time.monotonic()
        assert round_trip(proxy.port, payload) == payload
        elapsed = time.monotonic() - started
    assert 0.1 <= elapsed < 1.0


def test_blackhole_accepts_and_never_answers_then_restore_forwards_again(echo_port: int) -> None:
    with TcpProxy("127.0.0.1", echo_port) as proxy:
        proxy.blackhole()
        with pytest.raises(TimeoutError):
            round_trip(proxy.port, b"hello", timeout=0.3)
        proxy.restore()
        assert round_trip(proxy.port, b"hello") == b"hello"


def test_refuse_closes_the_port_and_restore_reopens_the_same_port(echo_port: int) -> None:
    with TcpProxy("127.0.0.1", echo_port) as proxy:
        port = proxy.port
        proxy.refuse()
        with pytest.raises(ConnectionRefusedError):
            round_trip(port, b"hello")
        proxy.restore()
        assert proxy.port == port
        assert round_trip(port, b"hello") == b"hello"
