"""A TCP proxy for tests and the bench: adds latency each way, and plays outages (refuse, black hole).

It runs its own asyncio loop in a daemon thread, so synchronous tests and the bench drive it with plain calls:

    with TcpProxy("127.0.0.1", moto_port, delay=0.010) as proxy:   # 10 ms each way
        storage = S3Storage(bucket, endpoint_url=proxy.url)
        proxy.blackhole()   # connections are accepted and never answered (a dead NAT, a stage Wi-Fi)
        proxy.refuse()      # nothing listens on the port any more: connections are refused at once
        proxy.restore()     # back to forwarding, on the same port

Each direction of a connection is a reader that stamps every chunk with its arrival time and a writer that
sends it `delay` later, so a chunk is delayed once, however many follow it, and order is kept.

It also notes the head of every HTTP/1.1 request it forwards (`requests`), so a test or the bench can count
what reached S3 — ListObjectsV2, GetObject, PutObject — whichever process sent it.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from enum import Enum
from typing import Any, Self

_CHUNK = 65536
_REQUEST_HEAD = re.compile(rb"(GET|PUT|POST|HEAD|DELETE) (\S+) HTTP/1\.1\r\n(.*?)\r\n\r\n", re.DOTALL)


@dataclass(frozen=True)
class SeenRequest:
    method: str
    target: str
    headers: dict[str, str]

    @property
    def operation(self) -> str:
        """The S3 operation, as far as a path-style request shows it."""
        path, _, query = self.target.partition("?")
        key = path.lstrip("/").partition("/")[2]
        if self.method == "GET" and "list-type=2" in query:
            return "ListObjectsV2"
        if self.method == "GET" and key:
            return "GetObject"
        if self.method == "PUT" and key:
            return "PutObject"
        if self.method == "HEAD" and not key:
            return "HeadBucket"
        return f"{self.method} {path}"


class Mode(Enum):
    FORWARD = "forward"
    BLACKHOLE = "blackhole"
    REFUSE = "refuse"


class TcpProxy:
    def __init__(
        self, upstream_host: str, upstream_port: int, *, delay: float = 0.0, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.delay = delay
        self.host = host
        self.port = port
        self.mode = Mode.FORWARD
        self.connections_accepted = 0
        self.requests: list[SeenRequest] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tcp-proxy", daemon=True)
        self._server: asyncio.base_events.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # Control, from any thread

    def start(self) -> Self:
        self._thread.start()
        self._call(self._listen())
        return self

    def close(self) -> None:
        if not self._thread.is_alive():
            return
        self._call(self._shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.close()

    def blackhole(self) -> None:
        """Accept connections and read what comes, but never forward or answer; open connections go silent."""
        self._call(self._set_mode(Mode.BLACKHOLE))

    def refuse(self) -> None:
        """Stop listening and drop every open connection: clients get 'connection refused' at once."""
        self._call(self._set_mode(Mode.REFUSE))

    def restore(self) -> None:
        """Forward again, on the same port."""
        self._call(self._set_mode(Mode.FORWARD))

    def _call(self, coro: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=10)

    # Inside the loop

    async def _listen(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        self._server = await asyncio.start_server(self._handle, sock=sock, backlog=512)

    async def _drop_all(self) -> None:
        for writer in list(self._writers):
            with contextlib.suppress(Exception):
                writer.transport.abort()
        self._writers.clear()

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        await self._drop_all()
        for task in list(self._tasks):
            task.cancel()

    async def _set_mode(self, mode: Mode) -> None:
        previous, self.mode = self.mode, mode
        if mode is Mode.REFUSE:
            await self._shutdown()
        elif previous is Mode.REFUSE:
            await self._listen()
        elif mode is Mode.FORWARD and previous is Mode.BLACKHOLE:
            # Connections that went silent stay broken, as after a real outage: clients reconnect.
            await self._drop_all()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections_accepted += 1
        self._writers.add(writer)
        if self.mode is Mode.BLACKHOLE:
            self._spawn(self._swallow(reader))
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.transport.abort()
            return
        self._writers.add(up_writer)
        pair = (writer, up_writer)
        self._spawn(self._pipe(reader, up_writer, pair, note_requests=True))
        self._spawn(self._pipe(up_reader, writer, pair))

    async def _swallow(self, reader: asyncio.StreamReader) -> None:
        with contextlib.suppress(Exception):
            while await reader.read(_CHUNK):
                pass

    def operations(self) -> dict[str, int]:
        """How many requests of each S3 operation went through since the last `reset_requests()`."""
        counts: dict[str, int] = {}
        for request in list(self.requests):
            counts[request.operation] = counts.get(request.operation, 0) + 1
        return counts

    def reset_requests(self) -> None:
        self.requests = []

    def _note(self, chunk: bytes) -> None:
        # A request head arrives whole in one chunk in practice (clients send it in one write).
        for match in _REQUEST_HEAD.finditer(chunk):
            lines = match.group(3).decode("latin-1").split("\r\n")
            headers = {name.strip().lower(): value.strip() for name, _, value in (h.partition(":") for h in lines)}
            self.requests.append(SeenRequest(match.group(1).decode(), match.group(2).decode("latin-1"), headers))

    def _close(self, pair: tuple[asyncio.StreamWriter, asyncio.StreamWriter]) -> None:
        # Either side closing ends the connection for both (what an HTTP client and server expect), and frees
        # both sockets: a proxy that only half-closed would run out of file descriptors on a long run.
        for writer in pair:
            self._writers.discard(writer)
            writer.close()  # sends what is still buffered, then closes

    async def _pipe(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        pair: tuple[asyncio.StreamWriter, asyncio.StreamWriter],
        *,
        note_requests: bool = False,
    ) -> None:
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def read() -> None:
            with contextlib.suppress(Exception):  # a reset connection simply ends this direction
                while chunk := await reader.read(_CHUNK):
                    if note_requests:
                        self._note(chunk)
                    queue.put_nowait((time.monotonic(), chunk))
            queue.put_nowait((time.monotonic(), b""))

        self._spawn(read())
        try:
            while True:
                arrived, chunk = await queue.get()
                if self.mode is Mode.BLACKHOLE:
                    continue  # swallowed: the peer waits for an answer that never comes
                wait = arrived + self.delay - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                if not chunk:
                    await writer.drain()
                    self._close(pair)
                    return
                writer.write(chunk)
                await writer.drain()
        except Exception:  # the other side went away: the connection is over
            self._close(pair)
