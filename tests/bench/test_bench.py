"""The bench's shortened run (N = 50), so the command the README documents keeps working."""

from __future__ import annotations

import json
from pathlib import Path

from tests.bench.runner import run_bench


def test_the_shortened_bench_runs_both_servers_and_reports_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "bench"
    run_bench("-m", "bench", "--n", "50", "--quick", "--mix-seconds", "2", "--out", str(out), timeout=240)
    report = out.with_suffix(".md").read_text()
    figures = json.loads(out.with_suffix(".json").read_text())
    ours, baseline = figures["50"]["ours"], figures["50"]["baseline"]
    for name in ("GET /tasks, cold", "GET /tasks, warm", "MCP list_tasks page of 50, warm", "POST /tasks (known user)"):
        assert name in report
        assert ours[name]["samples"] and baseline[name]["samples"]
    # What the proxy counted: the list path's costs, and the baseline's naive ones.
    assert ours["GET /tasks, warm"]["s3_requests"] == {"ListObjectsV2": 1.0}
    assert baseline["GET /tasks, warm"]["s3_requests"] == {"GetObject": 50.0, "ListObjectsV2": 1.0}
    assert ours["POST /tasks (known user)"]["s3_requests"] == {"PutObject": 2.0}  # the history record, the task
    assert ours["16 clients: get / list by user / create"]["rate"] > 0
    assert ours["peak RSS (MB)"]["rate"] > 0
    assert "Local store, N = 50 tasks" in report
