"""The soak in its shortened form (15 s, 32 clients), run as the README's command with a shorter duration.

The full form is `.venv/bin/python -m tests.soak` (60 s); its figures are in the README.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.soak import ANSWER_BUDGET

CI_DURATION = 15


def test_a_short_soak_through_an_s3_outage(capsys: pytest.CaptureFixture[str]) -> None:
    finished = subprocess.run(
        [sys.executable, "-m", "tests.soak", "--duration", str(CI_DURATION), "--json"],
        capture_output=True,
        text=True,
        timeout=CI_DURATION * 10,
        check=False,
    )
    with capsys.disabled():
        print("\n" + finished.stdout)
    *summary, last = finished.stdout.strip().splitlines()
    figures = json.loads(last)

    assert finished.returncode == 0, finished.stdout + finished.stderr[-3000:]
    assert set(figures["kinds"]) == {
        "rest-create",
        "rest-update",
        "rest-get",
        "rest-list",
        "mcp-create",
        "mcp-get",
        "mcp-list",
    }
    assert figures["http_503_in_outage"] > 0, "REST did not feel the outage"
    assert figures["mcp_errors_in_outage"] > 0, "MCP did not feel the outage"
    assert figures["errors_outside_outage"] == 0
    assert figures["slowest_s"] <= ANSWER_BUDGET
    assert figures["acknowledged_users"] > 0 and figures["acknowledged_tasks"] > 0
    assert figures["unreadable_writes"] == 0
    assert figures["rss_peak_mib"] > 0
    assert any(line.startswith("server RSS: ") for line in summary)
