"""The bench's shortened run (N = 50), so the command the README documents keeps working."""

from __future__ import annotations

import json
from pathlib import Path

from bench.__main__ import Figure, error_count
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
    mix = ours["16 clients: get / list by user / create"]
    assert mix["rate"] > 0
    assert sum(mix["error_kinds"].values()) == mix["errors"]  # every error named: an HTTP status or a failure
    assert set(mix["error_examples"]) == set(mix["error_kinds"])
    assert f"req/s, {error_count(Figure(**mix))} |" in report
    assert ours["peak RSS (MB)"]["rate"] > 0
    assert "Local store, N = 50 tasks" in report


def test_the_mix_says_what_its_errors_were() -> None:
    assert error_count(Figure()) == "0 errors"
    assert error_count(Figure(errors=3, error_kinds={"HTTP 503": 2, "ReadTimeout": 1})) == (
        "3 errors (HTTP 503 x 2, ReadTimeout x 1)"
    )
