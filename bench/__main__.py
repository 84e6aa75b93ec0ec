"""`python -m bench`: this server against a naive baseline, on one S3 with real latency, in one run.

A moto S3 server runs in its own process; each server under test reaches it through its own TcpProxy that
delays every chunk by `--delay-ms` each way (default 10 ms, about in-region S3) and counts the S3 requests it
forwards. Both servers get identical copies of one seeded data set (N tasks over 10 users, every status) in
buckets of their own, run as separate processes (so their peak RSS is their own), and are driven over real
HTTP, and over MCP with the SDK's client. Every figure is also given as a ratio to the baseline.

    python -m bench                      # N = 100 and 1,000 (the default; a few minutes)
    python -m bench --n 10000            # the large run (the baseline's lists are skipped above --baseline-max-n)
    python -m bench --n 50 --quick       # what CI runs to keep the bench working
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from shared.models import TaskCreate, TaskStatus, UserCreate
from shared.services import Services
from shared.storage import LocalStorage, S3Storage
from tests.clocks import TickingClock
from tests.live_server import ServerProcess, clean_env, serve_process
from tests.moto_server import moto_server
from tests.tcp_proxy import TcpProxy

API_KEY = "bench-key-0123456789abcdef"
HEADERS = {"X-API-Key": API_KEY}
STATUSES = [s.value for s in TaskStatus]
USERS = 10


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# Seeding


def seed(moto_url: str, buckets: list[str], count: int) -> tuple[list[str], list[str]]:
    """N tasks over 10 users, statuses round-robin, written once through the services, then copied to the others."""
    first = S3Storage(buckets[0], endpoint_url=moto_url)
    first.ensure_ready()
    services = Services(first, clock=TickingClock())
    users = [
        services.create_user(UserCreate(name=f"User {n}", email=f"user{n}@example.com", company="Bench")).id
        for n in range(USERS)
    ]

    def make(n: int) -> str:
        task = services.create_task(TaskCreate(title=f"Task {n}", user_id=users[n % USERS]))
        if n % 4:
            services.update_task_status(task.id, TaskStatus(STATUSES[n % 4]))
        return task.id

    with ThreadPoolExecutor(max_workers=32) as pool:
        tasks = list(pool.map(make, range(count)))
    client = first.client
    keys = [
        item["Key"]
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=buckets[0])
        for item in page.get("Contents", [])
    ]
    for bucket in buckets[1:]:
        S3Storage(bucket, endpoint_url=moto_url).ensure_ready()
        with ThreadPoolExecutor(max_workers=32) as pool:
            list(
                pool.map(
                    lambda key, bucket=bucket: client.copy_object(
                        Bucket=bucket, Key=key, CopySource={"Bucket": buckets[0], "Key": key}
                    ),
                    keys,
                )
            )
    first.close()
    return users, tasks


def seed_local(data_dir: Path, count: int) -> tuple[list[str], list[str]]:
    services = Services(LocalStorage(data_dir, "bench"), clock=TickingClock())
    services.storage.ensure_ready()
    users = [
        services.create_user(UserCreate(name=f"User {n}", email=f"user{n}@example.com", company="Bench")).id
        for n in range(USERS)
    ]
    tasks = [services.create_task(TaskCreate(title=f"Task {n}", user_id=users[n % USERS])).id for n in range(count)]
    return users, tasks


# Servers under test


@dataclass
class Server:
    """A server under test, as its own process (started with the tests' launcher), restartable for cold runs."""

    name: str
    args: list[str]
    env: dict[str, str]
    scratch: Path
    proxy: TcpProxy | None = None
    running: ServerProcess | None = None
    _stack: ExitStack = field(default_factory=ExitStack)

    @property
    def url(self) -> str:
        assert self.running is not None
        return self.running.url

    def start(self) -> None:
        self.running = self._stack.enter_context(serve_process(self.env, self.scratch, args=self.args))

    def peak_rss_mb(self) -> float:
        assert self.running is not None
        for line in Path(f"/proc/{self.running.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        self._stack.close()
        self.running = None

    def restart(self) -> None:
        self.stop()
        self.start()


def base_env() -> dict[str, str]:
    # PYTHONPATH: the servers run in a scratch folder, and bench/ (the baseline) is not an installed package.
    return clean_env(
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_DEFAULT_REGION="us-east-1",
        PYTHONPATH=str(Path(__file__).resolve().parents[1]),
    )


def ours_on_s3(bucket: str, proxy: TcpProxy, scratch: Path) -> Server:
    env = base_env() | {
        "TASK_API_STORAGE": "s3",
        "AWS_ENDPOINT_URL": proxy.url,
        "AWS_S3_BUCKET": bucket,
        "TASK_API_KEY": API_KEY,
    }
    return Server("this server", ["-m", "task_api.main"], env, scratch, proxy)


def ours_on_local(data_dir: Path, scratch: Path) -> Server:
    env = base_env() | {
        "TASK_API_STORAGE": "local",
        "TASK_API_DATA_DIR": str(data_dir),
        "AWS_S3_BUCKET": "bench",
        "TASK_API_KEY": API_KEY,
    }
    return Server("this server, local store", ["-m", "task_api.main"], env, scratch)


def naive(bucket: str, proxy: TcpProxy, scratch: Path) -> Server:
    args = ["-m", "bench.naive_app", "--bucket", bucket, "--endpoint", proxy.url]
    return Server("naive baseline", args, base_env(), scratch, proxy)


# Measuring


@dataclass
class Figure:
    """One operation on one server: latencies in seconds, S3 requests per operation, or a rate."""

    samples: list[float] = field(default_factory=list)
    s3_requests: dict[str, float] = field(default_factory=dict)
    rate: float | None = None
    window: float = 0.0  # for a rate: the seconds it was measured over
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)  # "HTTP 503" or a transport error: how many
    error_examples: dict[str, str] = field(default_factory=dict)  # the first answer of each kind, to say why
    note: str = ""

    def p(self, q: float) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


def error_count(figure: Figure) -> str:
    """ "0 errors", or "12 errors (HTTP 503 x 10, ReadTimeout x 2)"."""
    if not figure.error_kinds:
        return f"{figure.errors} errors"
    kinds = ", ".join(f"{kind} x {count}" for kind, count in figure.error_kinds.items())
    return f"{figure.errors} errors ({kinds})"


@contextmanager
def counting(server: Server, figure: Figure, operations: int) -> Iterator[None]:
    if server.proxy is not None:
        server.proxy.reset_requests()
    yield
    if server.proxy is not None and operations:
        figure.s3_requests = {op: n / operations for op, n in sorted(server.proxy.operations().items())}


def timed(figure: Figure, call: Callable[[], httpx.Response], expect: int = 200) -> None:
    started = time.perf_counter()
    response = call()
    figure.samples.append(time.perf_counter() - started)
    if response.status_code != expect:
        raise RuntimeError(f"{response.request.method} {response.request.url}: {response.status_code} {response.text}")


def http(
    server: Server,
    figure: Figure,
    count: int,
    request: Callable[[httpx.Client, int], httpx.Response],
    expect: int = 200,
) -> Figure:
    with httpx.Client(base_url=server.url, headers=HEADERS, timeout=600) as client, counting(server, figure, count):
        for n in range(count):
            timed(figure, lambda n=n: request(client, n), expect)
    return figure


def mcp_calls(server: Server, figure: Figure, calls: list[tuple[str, dict[str, Any]]]) -> Figure:
    """MCP tools/call requests as they go over the wire (JSON-RPC over streamable HTTP), timed at the client.

    Plain HTTP rather than the SDK's client: that client validates each result against the tool's output
    schema, which costs it seconds on first use (jsonschema's format checkers) and would be timed as the server's.
    """
    headers = HEADERS | {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    initialize = {
        "jsonrpc": "2.0",
        "id": 0,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "bench", "version": "0"},
        },
    }
    with httpx.Client(base_url=server.url, headers=headers, timeout=600) as client:
        client.post("/mcp", json=initialize).raise_for_status()
        with counting(server, figure, len(calls)):
            for number, (tool, arguments) in enumerate(calls, start=1):
                request = {"jsonrpc": "2.0", "id": number, "method": "tools/call"}
                request["params"] = {"name": tool, "arguments": arguments}
                started = time.perf_counter()
                response = client.post("/mcp", json=request)
                figure.samples.append(time.perf_counter() - started)
                body = response.json()
                if response.status_code != 200 or "error" in body or body["result"].get("isError"):
                    raise RuntimeError(f"{tool}: {response.status_code} {response.text[:500]}")
    return figure


def cold(server: Server, figure: Figure, count: int, measure: Callable[[Figure], None]) -> Figure:
    """Each sample on a freshly started process: an empty cache."""
    for _ in range(count):
        server.restart()
        sample = Figure()
        measure(sample)
        figure.samples.extend(sample.samples)
        figure.s3_requests = sample.s3_requests
    return figure


def mix(server: Server, users: list[str], tasks: list[str], clients: int, seconds: float) -> Figure:
    """`clients` threads each looping over get / list filtered by user / create, for `seconds`."""
    figure = Figure()
    done = [0] * clients
    errors = [0] * clients
    kinds: Counter[str] = Counter()
    examples: dict[str, str] = {}
    kinds_lock = threading.Lock()

    def failed(number: int, kind: str, example: str) -> None:
        errors[number] += 1
        with kinds_lock:
            kinds[kind] += 1
            examples.setdefault(kind, example[:300])

    deadline = time.monotonic() + seconds
    stop = threading.Event()

    def client_loop(number: int) -> None:
        rng = random.Random(number)
        with httpx.Client(base_url=server.url, headers=HEADERS, timeout=seconds + 120) as client:
            n = number
            while not stop.is_set():
                n += 1
                try:
                    if n % 3 == 0:
                        response = client.get(f"/tasks/{rng.choice(tasks)}")
                    elif n % 3 == 1:
                        response = client.get("/tasks", params={"user_id": rng.choice(users)})
                    else:
                        response = client.post("/tasks", json={"title": "Mixed", "user_id": rng.choice(users)})
                except httpx.TransportError as exc:
                    if stop.is_set():
                        return  # cut off at the end of the window
                    failed(number, type(exc).__name__, str(exc))
                    continue
                if time.monotonic() > deadline:
                    return
                if response.status_code >= 400:
                    failed(number, f"HTTP {response.status_code}", response.text)
                else:
                    done[number] += 1

    threads = [threading.Thread(target=client_loop, args=(n,), daemon=True) for n in range(clients)]
    started = time.monotonic()
    with counting(server, figure, 0):
        for thread in threads:
            thread.start()
        time.sleep(max(0.0, deadline - time.monotonic()))
        stop.set()
        elapsed = time.monotonic() - started
        # A server still busy with a request started in the window (the baseline's lists) is cut off here.
        server.stop()
        for thread in threads:
            thread.join(timeout=30)
    figure.rate = sum(done) / elapsed
    figure.window = elapsed
    figure.errors = sum(errors)
    figure.error_kinds = dict(kinds.most_common())
    figure.error_examples = examples
    figure.note = f"{sum(done)} requests in {elapsed:.1f} s"
    return figure


# One data size


def measure_s3(
    server: Server, users: list[str], tasks: list[str], args: argparse.Namespace, lists: bool
) -> dict[str, Figure]:
    quick = args.quick
    reps = 3 if quick else 15
    list_reps = 2 if quick else 10
    cold_reps = 1 if quick else 3
    if not lists:  # the baseline at large N: each list costs N round trips
        list_reps = cold_reps = 0 if len(tasks) > args.baseline_max_n else 1
    rng = random.Random(7)
    figures: dict[str, Figure] = {}
    server.start()
    list_all = lambda c, n: c.get("/tasks")  # noqa: E731
    if cold_reps:
        figures["GET /tasks, cold"] = cold(server, Figure(), cold_reps, lambda f: http(server, f, 1, list_all))
        figures["GET /tasks, warm"] = http(server, Figure(), list_reps, list_all)
        figures["GET /tasks?user_id=, warm"] = http(
            server, Figure(), list_reps, lambda c, n: c.get("/tasks", params={"user_id": users[n % USERS]})
        )
        figures["GET /tasks?status_filter=, warm"] = http(
            server, Figure(), list_reps, lambda c, n: c.get("/tasks", params={"status_filter": STATUSES[n % 4]})
        )
        first_page = [("list_tasks", {"limit": 50})]
        figures["MCP list_tasks page of 50, cold"] = cold(
            server, Figure(), cold_reps, lambda f: mcp_calls(server, f, first_page)
        )
        figures["MCP list_tasks page of 50, warm"] = mcp_calls(server, Figure(), first_page * list_reps)
    figures["MCP get_task"] = mcp_calls(
        server, Figure(), [("get_task", {"task_id": rng.choice(tasks)}) for _ in range(reps)]
    )
    figures["GET /tasks/{id}"] = http(server, Figure(), reps, lambda c, n: c.get(f"/tasks/{rng.choice(tasks)}"))
    known = users[0]
    with httpx.Client(base_url=server.url, headers=HEADERS) as client:  # the user is then known to the server
        client.post("/tasks", json={"title": "Warm-up", "user_id": known})
    figures["POST /tasks (known user)"] = http(
        server, Figure(), reps, lambda c, n: c.post("/tasks", json={"title": f"New {n}", "user_id": known}), 201
    )
    figures["PATCH /tasks/{id}/status"] = http(
        server,
        Figure(),
        reps,
        lambda c, n: c.patch(f"/tasks/{tasks[n]}/status", params={"new_status": STATUSES[(n + 1) % 4]}),
    )
    if cold_reps or len(tasks) <= args.baseline_max_n:
        http(server, Figure(), 1, list_all)  # the steady state: a server that has listed once (cold lists are above)
        figures["16 clients: get / list by user / create"] = mix(server, users, tasks, 16, args.mix_seconds)
        server.start()  # mix() stops it; the RSS figure is read from a process that ran everything but the mix
        http(server, Figure(), 1, list_all)
    rss = Figure()
    rss.rate = server.peak_rss_mb()
    figures["peak RSS (MB)"] = rss
    server.stop()
    return figures


def measure_local(data_dir: Path, tasks: list[str], scratch: Path, args: argparse.Namespace) -> dict[str, Figure]:
    server = ours_on_local(data_dir, scratch)
    reps = 3 if args.quick else 20
    server.start()
    try:
        figures = {
            "GET /tasks, cold": cold(server, Figure(), 1, lambda f: http(server, f, 1, lambda c, n: c.get("/tasks"))),
            "GET /tasks, warm": http(server, Figure(), reps, lambda c, n: c.get("/tasks")),
            "MCP list_tasks page of 50, warm": mcp_calls(server, Figure(), [("list_tasks", {"limit": 50})] * reps),
            "MCP get_task": mcp_calls(server, Figure(), [("get_task", {"task_id": tasks[n]}) for n in range(reps)]),
        }
        rss = Figure()
        rss.rate = server.peak_rss_mb()
        figures["peak RSS (MB)"] = rss
    finally:
        server.stop()
    return figures


# Report


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f}" if seconds < 1 else f"{seconds * 1000:,.0f}"


def requests_text(figure: Figure) -> str:
    short = {"ListObjectsV2": "LIST", "GetObject": "GET", "PutObject": "PUT", "HeadBucket": "HEAD"}
    parts = [f"{count:g} {short.get(op, op)}" for op, count in figure.s3_requests.items() if count]
    return ", ".join(parts) or "0"


def table(count: int, ours: dict[str, Figure], baseline: dict[str, Figure]) -> str:
    lines = [
        f"**N = {count:,} tasks**",
        "",
        "| operation | this server p50 / p95 (ms) | baseline p50 / p95 (ms) | speed-up (p50) "
        "| S3 requests per op: this server | baseline |",
        "|---|---|---|---|---|---|",
    ]
    for name, mine in ours.items():
        theirs = baseline.get(name)
        if mine.rate is not None:
            unit = "MB" if "RSS" in name else "req/s"
            base = f"{theirs.rate:,.1f} {unit}" if theirs and theirs.rate is not None else "not run"
            ratio = f"{mine.rate / theirs.rate:,.1f}x" if theirs and theirs.rate and "RSS" not in name else ""
            if theirs and theirs.rate == 0 and theirs.window:
                # Nothing finished in the window: the baseline's rate is below one request per window.
                base = f"0 req/s (none finished in {theirs.window:.0f} s)"
                ratio = f"> {mine.rate * theirs.window:,.0f}x"
            if "RSS" in name and theirs and theirs.rate:
                ratio = f"{mine.rate / theirs.rate:.2f}x the memory"
            errors = f", {error_count(mine)}" if "clients" in name else ""
            base_errors = f", {error_count(theirs)}" if theirs and "clients" in name else ""
            lines.append(f"| {name} | {mine.rate:,.1f} {unit}{errors} | {base}{base_errors} | {ratio} | | |")
            continue
        mine_text = f"{ms(mine.p(0.5))} / {ms(mine.p(0.95))}"
        if theirs and theirs.samples:
            base_text = f"{ms(theirs.p(0.5))} / {ms(theirs.p(0.95))}"
            ratio = f"{theirs.p(0.5) / mine.p(0.5):,.1f}x"
            base_requests = requests_text(theirs)
        else:
            base_text, ratio, base_requests = "not run", "", ""
        lines.append(f"| {name} | {mine_text} | {base_text} | {ratio} | {requests_text(mine)} | {base_requests} |")
    return "\n".join(lines)


def local_table(count: int, figures: dict[str, Figure]) -> str:
    lines = [
        f"**Local store, N = {count:,} tasks** (this server only)",
        "",
        "| operation | p50 / p95 (ms) |",
        "|---|---|",
    ]
    for name, figure in figures.items():
        value = f"{figure.rate:,.1f} MB" if figure.rate is not None else f"{ms(figure.p(0.5))} / {ms(figure.p(0.95))}"
        lines.append(f"| {name} | {value} |")
    return "\n".join(lines)


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    return (
        f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def run_s3(count: int, moto_url: str, scratch: Path, args: argparse.Namespace) -> dict[str, dict[str, Figure]]:
    """Both servers on copies of one seeded bucket, each through a delaying proxy of its own."""
    log(f"N = {count}: seeding {count} tasks")
    host, port = moto_url.removeprefix("http://").split(":")
    buckets = [f"bench-ours-{count}", f"bench-naive-{count}"]
    users, tasks = seed(moto_url, buckets, count)
    results: dict[str, dict[str, Figure]] = {}
    for name, build in (("ours", ours_on_s3), ("baseline", naive)):
        with TcpProxy(host, int(port), delay=args.delay_ms / 1000) as proxy:
            server = build(buckets[0 if name == "ours" else 1], proxy, scratch)
            log(f"N = {count}: measuring the {server.name}")
            try:
                results[name] = measure_s3(server, users, tasks, args, lists=name == "ours")
            finally:
                server.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, nargs="+", default=[100, 1_000], help="task counts to run (default: 100 1000)")
    parser.add_argument("--delay-ms", type=float, default=10.0, help="added latency each way to S3 (default 10)")
    parser.add_argument("--mix-seconds", type=float, default=10.0, help="length of the 16-client mix (default 10)")
    parser.add_argument("--baseline-max-n", type=int, default=2_000, help="skip the baseline's lists above this N")
    parser.add_argument("--quick", action="store_true", help="few samples: only checks that the bench works")
    parser.add_argument("--no-local", action="store_true", help="skip the local-store figures")
    parser.add_argument("--no-s3", action="store_true", help="only the local-store figures")
    parser.add_argument("--out", type=Path, help="also write the report (Markdown) and the raw figures (JSON) here")
    args = parser.parse_args()
    # Every request to moto is a connection of its own (it closes them), through a proxy: room for many sockets.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))
    # The moto server takes any credentials; never the developer's own, nor an endpoint from the shell.
    os.environ.update(base_env())
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        os.environ.pop(name, None)

    command = "python -m bench " + " ".join(sys.argv[1:])
    report = [
        f"Command: `{command.strip()}`; {args.delay_ms:g} ms added each way to every S3 request.",
        f"Machine: {machine()}.",
        "",
    ]
    raw: dict[str, Any] = {}
    with (
        tempfile.TemporaryDirectory(prefix="task-api-bench-") as scratch,
        moto_server(Path(scratch) / "moto.log") as moto_url,
    ):
        for count in args.n:
            if not args.no_s3:
                results = run_s3(count, moto_url, Path(scratch), args)
                report += [table(count, results["ours"], results["baseline"]), ""]
                raw[str(count)] = {name: {op: vars(f) for op, f in figs.items()} for name, figs in results.items()}
            if not args.no_local:
                log(f"N = {count}: the local store")
                data_dir = Path(scratch) / f"local-{count}"
                _, local_tasks = seed_local(data_dir, count)
                local = measure_local(data_dir, local_tasks, Path(scratch), args)
                report += [local_table(count, local), ""]
                raw[f"local-{count}"] = {op: vars(f) for op, f in local.items()}
    text = "\n".join(report)
    print(text)
    if args.out:
        args.out.with_suffix(".md").write_text(text + "\n")
        args.out.with_suffix(".json").write_text(json.dumps(raw, indent=1) + "\n")


if __name__ == "__main__":
    main()
