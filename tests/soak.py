"""The soak: clients mixing REST and MCP reads, lists and writes against the real server on S3, with an outage.

The server is `python -m task_api.main` in its own process, on a moto S3 server behind a TcpProxy. In the
middle of the run S3 goes away: first it hangs (the proxy accepts connections and never answers), then it
refuses connections; then it comes back. What must hold:

- no 5xx outside the outage window (the outage, plus a short recovery allowance after it);
- every request answered within 5 s, during the outage too;
- every acknowledged write readable afterwards, as acknowledged.

The server's resident memory is sampled throughout and reported. The full form (60 s, 32 clients) is one
command: `.venv/bin/python -m tests.soak`; tests/test_soak.py runs a shortened form in the suite.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from tests.live_server import clean_env, serve_process
from tests.moto_server import moto_server
from tests.tcp_proxy import TcpProxy

KEY = "soak-key-0123456789abcdef"
ANSWER_BUDGET = 5.0  # seconds: every request, during the outage too
RECOVERY_ALLOWANCE = 5.0  # seconds after S3 is back during which a 503 still counts as part of the outage
THINK_TIME = (0.05, 0.25)  # seconds between one client's requests
READY_TIMEOUT = 30.0
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@dataclass
class Outcome:
    kind: str
    started: float
    ended: float
    status: int  # 0: no HTTP answer at all (connection error or client timeout)
    tool_error: bool = False  # an MCP error result (HTTP 200 with isError), e.g. "Storage unavailable"

    @property
    def failed(self) -> bool:
        return self.status >= 500 or self.status == 0 or self.tool_error

    @property
    def took(self) -> float:
        return self.ended - self.started


@dataclass
class Acked:
    """What the server acknowledged for one task: its last acknowledged title, and titles tried since."""

    title: str
    tried_since: list[str] = field(default_factory=list)


@dataclass
class Report:
    duration: float
    clients: int
    outage: tuple[float, float]
    outcomes: list[Outcome]
    acked_users: dict[str, dict[str, object]]
    acked_tasks: dict[str, Acked]
    unreadable: list[str]
    rss_kib: list[int]

    def in_window(self, o: Outcome) -> bool:
        start, end = self.outage
        return o.ended >= start and o.started <= end + RECOVERY_ALLOWANCE

    @property
    def errors_outside(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.failed and not self.in_window(o)]

    @property
    def slowest(self) -> float:
        return max((o.took for o in self.outcomes), default=0.0)

    @property
    def slowest_in_outage(self) -> float:
        return max((o.took for o in self.outcomes if self.in_window(o)), default=0.0)

    def figures(self) -> dict[str, object]:
        return {
            "requests": len(self.outcomes),
            "kinds": sorted({o.kind for o in self.outcomes}),
            "http_503_in_outage": sum(1 for o in self.outcomes if o.status == 503 and self.in_window(o)),
            "mcp_errors_in_outage": sum(1 for o in self.outcomes if o.tool_error and self.in_window(o)),
            "errors_outside_outage": len(self.errors_outside),
            "slowest_in_outage_s": round(self.slowest_in_outage, 3),
            "slowest_s": round(self.slowest, 3),
            "acknowledged_users": len(self.acked_users),
            "acknowledged_tasks": len(self.acked_tasks),
            "unreadable_writes": len(self.unreadable),
            "rss_start_mib": round(self.rss_kib[0] / 1024, 1),
            "rss_peak_mib": round(max(self.rss_kib) / 1024, 1),
        }

    def summary(self) -> str:
        by_status: dict[int, int] = {}
        for o in self.outcomes:
            by_status[o.status] = by_status.get(o.status, 0) + 1
        outside = sorted(o.took for o in self.outcomes if not self.in_window(o))
        p50 = statistics.median(outside) if outside else 0.0
        p99 = outside[int(len(outside) * 0.99) - 1] if len(outside) >= 100 else (outside[-1] if outside else 0.0)
        kinds = sorted({o.kind for o in self.outcomes})
        lines = [
            f"soak: {self.duration:.0f} s, {self.clients} clients, S3 outage from {self.outage[0]:.1f} s "
            f"to {self.outage[1]:.1f} s (hanging, then refusing)",
            f"requests: {len(self.outcomes)} ({', '.join(kinds)}); by status: "
            + ", ".join(f"{k}: {v}" for k, v in sorted(by_status.items())),
            f"MCP error results: {sum(o.tool_error for o in self.outcomes)}, "
            f"all within the outage window: {not any(o.tool_error for o in self.errors_outside)}",
            f"5xx, MCP errors or no answer outside the outage window: {len(self.errors_outside)}",
            f"latency outside the outage: p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms; slowest request "
            f"during the outage {self.slowest_in_outage:.2f} s, slowest overall {self.slowest:.2f} s",
            f"acknowledged writes: {len(self.acked_users)} users (REST) and {len(self.acked_tasks)} tasks (MCP) "
            f"created, tasks renamed over REST; not readable as acknowledged afterwards: {len(self.unreadable)}",
            f"server RSS: start {self.rss_kib[0] / 1024:.0f} MiB, peak {max(self.rss_kib) / 1024:.0f} MiB, "
            f"end {self.rss_kib[-1] / 1024:.0f} MiB",
        ]
        return "\n".join(lines)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


@contextmanager
def task_api_server(endpoint: str, bucket: str, log_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    env = clean_env(
        TASK_API_KEY=KEY,
        TASK_API_STORAGE="s3",
        AWS_ENDPOINT_URL=endpoint,
        AWS_S3_BUCKET=bucket,
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_REGION="us-east-1",
    )
    with serve_process(env, log_path.parent) as server:
        deadline = time.monotonic() + READY_TIMEOUT
        while httpx.get(f"{server.url}/health/ready", timeout=5).status_code != 200:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server never became ready:\n{server.log()[-3000:]}")
            time.sleep(0.1)
        yield server.url, server.process


class Client(threading.Thread):
    """One client: creates its own users and tasks, renames its own tasks, reads and lists everyone's."""

    def __init__(self, number: int, url: str, clock: Clock, stop: threading.Event) -> None:
        super().__init__(name=f"soak-client-{number}", daemon=True)
        self.number = number
        self.http = httpx.Client(base_url=url, headers={"X-API-Key": KEY}, timeout=ANSWER_BUDGET * 3)
        self.clock = clock
        self.stop = stop
        self.random = random.Random(number)
        self.outcomes: list[Outcome] = []
        self.users: dict[str, dict[str, object]] = {}
        self.tasks: dict[str, Acked] = {}
        self.ids = itertools.count()
        self.rpc_ids = itertools.count(1)

    def request(self, kind: str, method: str, path: str, **kwargs: object) -> httpx.Response | None:
        started = self.clock()
        try:
            response = self.http.request(method, path, **kwargs)  # type: ignore[arg-type]
        except httpx.HTTPError:
            self.outcomes.append(Outcome(kind, started, self.clock(), 0))
            return None
        self.outcomes.append(Outcome(kind, started, self.clock(), response.status_code))
        return response

    def mcp(self, kind: str, tool: str, arguments: dict[str, object]) -> dict[str, object] | None:
        """A tools/call over streamable HTTP; the structured result, or None for an error result."""
        body = {
            "jsonrpc": "2.0",
            "id": next(self.rpc_ids),
            "method": "tools/call",
            "params": {"name": tool, "arguments": arguments},
        }
        response = self.request(kind, "POST", "/mcp", json=body, headers=MCP_HEADERS)
        if response is None or response.status_code != 200:
            return None
        result = response.json().get("result", {})
        if result.get("isError"):
            self.outcomes[-1].tool_error = True
            return None
        structured: dict[str, object] = result.get("structuredContent", {})
        return structured

    def run(self) -> None:
        actions = [
            (self.create_user_rest, 2),
            (self.create_task_mcp, 2),
            (self.rename_task_rest, 3),
            (self.read_rest, 4),
            (self.read_mcp, 3),
            (self.list_rest, 2),
            (self.list_mcp, 2),
        ]
        population = [a for a, weight in actions for _ in range(weight)]
        while not self.stop.is_set():
            self.random.choice(population)()
            time.sleep(self.random.uniform(*THINK_TIME))
        self.http.close()

    def create_user_rest(self) -> None:
        n = next(self.ids)
        body = {"name": f"Client {self.number}-{n}", "email": f"c{self.number}.{n}@example.com", "company": "Soak"}
        response = self.request("rest-create", "POST", "/users", json=body)
        if response is not None and response.status_code == 201:
            user = response.json()
            self.users[user["id"]] = user

    def create_task_mcp(self) -> None:
        title = f"task {self.number}-{next(self.ids)}"
        task = self.mcp("mcp-create", "create_task", {"title": title})
        if task is not None:
            self.tasks[str(task["id"])] = Acked(title=title)

    def rename_task_rest(self) -> None:
        if not self.tasks:
            return self.create_task_mcp()
        task_id = self.random.choice(list(self.tasks))
        title = f"renamed {self.number}-{next(self.ids)}"
        acked = self.tasks[task_id]
        acked.tried_since.append(title)
        response = self.request("rest-update", "PATCH", f"/tasks/{task_id}", json={"title": title})
        if response is not None and response.status_code == 200:
            self.tasks[task_id] = Acked(title=title)
        return None

    def read_rest(self) -> None:
        if self.users:
            self.request("rest-get", "GET", f"/users/{self.random.choice(list(self.users))}")

    def read_mcp(self) -> None:
        if self.tasks:
            self.mcp("mcp-get", "get_task", {"task_id": self.random.choice(list(self.tasks))})

    def list_rest(self) -> None:
        self.request("rest-list", "GET", "/tasks", params={"limit": 50})

    def list_mcp(self) -> None:
        self.mcp("mcp-list", "list_users", {"limit": 50})


class Clock:
    def __init__(self) -> None:
        self.zero = time.monotonic()

    def __call__(self) -> float:
        return time.monotonic() - self.zero


def soak(duration: float = 60.0, clients: int = 32, workdir: Path | None = None) -> Report:
    with tempfile.TemporaryDirectory() as tmp:
        work = workdir or Path(tmp)
        with moto_server(work / "moto.log") as moto:
            upstream = urlsplit(moto)
            assert upstream.hostname is not None and upstream.port is not None
            with (
                TcpProxy(upstream.hostname, upstream.port) as proxy,
                task_api_server(proxy.url, "soak-bucket", work / "server.log") as (url, server),
            ):
                return _run(duration, clients, url, server, proxy)


def _run(duration: float, clients: int, url: str, server: subprocess.Popen[bytes], proxy: TcpProxy) -> Report:
    outage = (duration * 0.35, duration * 0.6)
    clock = Clock()
    stop = threading.Event()
    rss = [rss_kib(server.pid)]
    workers = [Client(n, url, clock, stop) for n in range(clients)]
    for worker in workers:
        worker.start()
    phase = "up"
    while (now := clock()) < duration:
        if phase == "up" and now >= outage[0]:
            proxy.blackhole()
            phase = "hanging"
        elif phase == "hanging" and now >= (outage[0] + outage[1]) / 2:
            proxy.refuse()
            phase = "refusing"
        elif phase == "refusing" and now >= outage[1]:
            proxy.restore()
            phase = "back"
        rss.append(rss_kib(server.pid))
        time.sleep(0.25)
    stop.set()
    for worker in workers:
        worker.join(timeout=ANSWER_BUDGET * 3 + 5)
    rss.append(rss_kib(server.pid))

    users = {uid: user for w in workers for uid, user in w.users.items()}
    tasks = {tid: acked for w in workers for tid, acked in w.tasks.items()}
    unreadable = _check_writes(url, users, tasks)
    return Report(
        duration=duration,
        clients=clients,
        outage=outage,
        outcomes=[o for w in workers for o in w.outcomes],
        acked_users=users,
        acked_tasks=tasks,
        unreadable=unreadable,
        rss_kib=rss,
    )


def _check_writes(url: str, users: dict[str, dict[str, object]], tasks: dict[str, Acked]) -> list[str]:
    """Every acknowledged write, read back: users as created, tasks with their last acknowledged title (or a
    title tried after it, whose answer was lost in the outage)."""
    problems: list[str] = []
    with httpx.Client(base_url=url, headers={"X-API-Key": KEY}, timeout=30) as http:
        for user_id, user in users.items():
            response = http.get(f"/users/{user_id}")
            if response.status_code != 200 or response.json() != user:
                problems.append(f"user {user_id}: {response.status_code} {response.text[:200]}")
        for task_id, acked in tasks.items():
            response = http.get(f"/tasks/{task_id}")
            if response.status_code != 200:
                problems.append(f"task {task_id}: {response.status_code} {response.text[:200]}")
                continue
            title = response.json()["title"]
            if title != acked.title and title not in acked.tried_since:
                problems.append(f"task {task_id}: title {title!r}, acknowledged {acked.title!r}")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds (default 60)")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients (default 32)")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = parser.parse_args()
    report = soak(args.duration, args.clients)
    print(report.summary())
    if args.json:
        print(json.dumps(report.figures()))
    ok = not report.errors_outside and report.slowest <= ANSWER_BUDGET and not report.unreadable
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
