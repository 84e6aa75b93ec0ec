"""What the live board costs the server at 1 and at 50 viewers.

Starts `task-api serve` on a seeded local store (or S3 with --s3-endpoint), then N simulated viewers poll
/board/state every second with If-None-Match, exactly as board.js does, while one task is created over REST
every few seconds. Reports the server process's CPU time (from /proc), requests, 200s vs 304s, bytes sent,
poll latency, and how long a change takes to reach every viewer.

    .venv/bin/python bench/board_viewers.py                    # 1 and 50 viewers, 20 s each
    .venv/bin/python bench/board_viewers.py --viewers 1 10 50 --seconds 30
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

API_KEY = "bench-board-key-0123"
POLL_SECONDS = 1.0
CHANGE_EVERY = 5.0
REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tests.live_server import clean_env, serve_process  # noqa: E402


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime


@dataclass
class Tally:
    ok: int = 0
    not_modified: int = 0
    errors: int = 0
    bytes_in: int = 0
    latencies: list[float] = field(default_factory=list)
    seen: dict[str, list[float]] = field(default_factory=dict)  # task title -> when each viewer first saw it


async def viewer(client: httpx.AsyncClient, tally: Tally, until: float, watch: dict[str, float]) -> None:
    etag: str | None = None
    noticed: set[str] = set()
    while time.monotonic() < until:
        started = time.monotonic()
        headers = {"If-None-Match": etag} if etag else {}
        try:
            response = await client.get("/board/state", headers=headers)
        except httpx.HTTPError:
            tally.errors += 1
        else:
            tally.latencies.append(time.monotonic() - started)
            if response.status_code == 304:
                tally.not_modified += 1
            elif response.status_code == 200:
                tally.ok += 1
                tally.bytes_in += len(response.content)
                etag = response.headers["etag"]
                for title in list(watch):
                    if title not in noticed and title in response.text:
                        noticed.add(title)
                        tally.seen.setdefault(title, []).append(time.monotonic())
            else:
                tally.errors += 1
        await asyncio.sleep(max(0.0, POLL_SECONDS - (time.monotonic() - started)))


async def changer(client: httpx.AsyncClient, until: float, watch: dict[str, float]) -> None:
    number = 0
    while time.monotonic() + CHANGE_EVERY < until:
        await asyncio.sleep(CHANGE_EVERY)
        number += 1
        title = f"Bench change {number} {time.time_ns()}"
        watch[title] = time.monotonic()
        response = await client.post("/tasks", json={"title": title})
        response.raise_for_status()


async def measure(url: str, viewers: int, seconds: float) -> tuple[Tally, dict[str, float]]:
    tally = Tally()
    watch: dict[str, float] = {}
    limits = httpx.Limits(max_connections=viewers + 2)
    async with httpx.AsyncClient(base_url=url, headers={"X-API-Key": API_KEY}, timeout=10, limits=limits) as client:
        # Warm up (first build of the board, connections) before the clock starts.
        await client.get("/board/state")
        until = time.monotonic() + seconds
        tasks = [viewer(client, tally, until, watch) for _ in range(viewers)]
        await asyncio.gather(changer(client, until, watch), *tasks)
    return tally, watch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--viewers", type=int, nargs="+", default=[1, 50])
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()

    print(
        f"{'viewers':>7} {'server CPU':>11} {'CPU/s':>7} {'polls':>6} {'200':>5} {'304':>6} {'err':>4} "
        f"{'KiB sent':>9} {'p50 ms':>7} {'p95 ms':>7} {'change seen by all, max s':>26}"
    )
    for count in args.viewers:
        with tempfile.TemporaryDirectory() as folder:
            cwd = Path(folder)
            env = clean_env(TASK_API_KEY=API_KEY, TASK_API_DATA_DIR=str(cwd / "data"))
            subprocess.run(
                [sys.executable, "-m", "task_api", "seed"], env=env, cwd=cwd, check=True, capture_output=True
            )
            with serve_process(env, cwd) as server:
                before = cpu_seconds(server.process.pid)
                tally, watch = asyncio.run(measure(server.url, count, args.seconds))
                cpu = cpu_seconds(server.process.pid) - before
        polls = tally.ok + tally.not_modified + tally.errors
        latencies = sorted(tally.latencies) or [0.0]
        p95 = latencies[int(0.95 * (len(latencies) - 1))]
        spread = [max(tally.seen[t]) - made for t, made in watch.items() if len(tally.seen.get(t, [])) == count]
        seen = f"{max(spread):.2f} ({len(spread)}/{len(watch)} changes)" if spread else "n/a"
        print(
            f"{count:>7} {cpu:>10.2f}s {cpu / args.seconds:>7.3f} {polls:>6} {tally.ok:>5} {tally.not_modified:>6} "
            f"{tally.errors:>4} {tally.bytes_in / 1024:>9.0f} {statistics.median(latencies) * 1000:>7.1f} "
            f"{p95 * 1000:>7.1f} {seen:>26}"
        )


if __name__ == "__main__":
    main()
