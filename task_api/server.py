"""How uvicorn serves the app: header size cap, a deadline for slow clients, and the file-descriptor limit.

uvicorn's httptools parser accepts headers of any size (16 MiB was measured), and neither parser times out a
client that never finishes its request, so 300 idle half-open connections exhausted the process's files.
Here a request head is capped at `MAX_HEADER_BYTES` (a 431 past it), and a connection
that has not delivered a complete request within `REQUEST_READ_TIMEOUT` of its first byte (or of opening)
is closed, with a 408 when some of a request had arrived.
"""

from __future__ import annotations

import asyncio
import json
import logging
import resource
from typing import Any

import h11
import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.h11_impl import H11Protocol

from shared.settings import Settings

log = logging.getLogger("task_api")

MAX_HEADER_BYTES = 16 * 1024
REQUEST_READ_TIMEOUT = 10.0  # seconds to send a whole request: headers and a body of at most 1 MiB
KEEP_ALIVE_TIMEOUT = 5.0  # seconds an idle keep-alive connection is kept (uvicorn's default)


def _raw_response(status: str, message: str) -> bytes:
    """A complete response written straight to the socket, for connections h11 will not answer."""
    body = json.dumps({"success": False, "message": message}).encode()
    head = f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\nconnection: close\r\n"
    return f"{head}content-length: {len(body)}\r\n\r\n".encode() + body


_REQUEST_TIMEOUT_RESPONSE = _raw_response("408 Request Timeout", "Request not received in time; connection closed.")
_HEADERS_TOO_LARGE_RESPONSE = _raw_response(
    "431 Request Header Fields Too Large", f"Request headers too large: the limit is {MAX_HEADER_BYTES} bytes."
)


class DeadlineH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, with a deadline on receiving each request (headers and body)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read_deadline: asyncio.TimerHandle | None = None
        self._bytes_this_request = 0
        self._head_bytes = 0  # bytes of the current request head seen so far
        self._head_tail = b""  # its last 3 bytes, to find a "\r\n\r\n" split across reads

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._read_deadline is None and self.conn.their_state is h11.IDLE:
            self._arm()  # the first byte of the next request on a kept-alive connection
        self._bytes_this_request += len(data)
        if self.conn.their_state is h11.IDLE and self._head_too_large(data):
            self._disarm()
            self.transport.write(_HEADERS_TOO_LARGE_RESPONSE)
            self.transport.close()
            return
        super().data_received(data)
        if self.conn.their_state not in (h11.IDLE, h11.SEND_BODY):
            self._disarm()  # the whole request is in (or the connection is done with)

    def _head_too_large(self, data: bytes) -> bool:
        # h11's own cap applies only while a head is incomplete in its buffer: a large head arriving in one
        # read would pass. So the head is measured here, up to its blank line, before h11 parses it.
        window = self._head_tail + data
        end = window.find(b"\r\n\r\n")
        if end < 0:
            self._head_bytes += len(data)
            self._head_tail = window[-3:]
            return self._head_bytes > MAX_HEADER_BYTES
        size = self._head_bytes + end - len(self._head_tail)
        self._head_bytes, self._head_tail = 0, b""
        return size > MAX_HEADER_BYTES

    def _arm(self) -> None:
        self._disarm()
        self._bytes_this_request = 0
        self._head_bytes, self._head_tail = 0, b""
        self._read_deadline = self.loop.call_later(REQUEST_READ_TIMEOUT, self._too_slow)

    def _disarm(self) -> None:
        if self._read_deadline is not None:
            self._read_deadline.cancel()
            self._read_deadline = None

    def _too_slow(self) -> None:
        self._read_deadline = None
        if self.transport.is_closing() or self.conn.their_state not in (h11.IDLE, h11.SEND_BODY):
            return
        if self.conn.our_state is h11.IDLE and self._bytes_this_request:
            self.transport.write(_REQUEST_TIMEOUT_RESPONSE)
        self.transport.close()


def uvicorn_config(app: FastAPI, settings: Settings, **overrides: Any) -> uvicorn.Config:
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_level": "info",
        "http": DeadlineH11Protocol,
        "h11_max_incomplete_event_size": MAX_HEADER_BYTES,
        "timeout_keep_alive": KEEP_ALIVE_TIMEOUT,
        "server_header": False,
    }
    return uvicorn.Config(app, **(options | overrides))


def raise_file_limit() -> None:
    """Use the hard limit on open files: each connection is one, and the soft default (often 1024) is low."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = 65536
    if soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError) as exc:
            log.warning("could not raise the open-file limit from %d: %s", soft, exc)
