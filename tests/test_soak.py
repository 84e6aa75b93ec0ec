"""The soak in its shortened form (15 s, 32 clients): the real server on S3 through an outage.

The full form is `.venv/bin/python -m tests.soak` (60 s); its figures are in the README.
"""

from __future__ import annotations

import pytest

from tests.soak import ANSWER_BUDGET, soak

CI_DURATION = 15.0
CLIENTS = 32


def test_a_short_soak_through_an_s3_outage(aws_credentials: None, capsys: pytest.CaptureFixture[str]) -> None:
    report = soak(CI_DURATION, CLIENTS)
    with capsys.disabled():
        print("\n" + report.summary())

    kinds = {o.kind for o in report.outcomes}
    assert {"rest-create", "rest-update", "rest-get", "rest-list", "mcp-create", "mcp-get", "mcp-list"} <= kinds
    assert any(report.in_window(o) and o.status == 503 for o in report.outcomes), "the outage was not felt"
    assert any(report.in_window(o) and o.tool_error for o in report.outcomes), "MCP did not feel the outage"
    assert report.errors_outside == [], report.errors_outside[:5]
    assert report.slowest <= ANSWER_BUDGET, f"a request took {report.slowest:.2f}s"
    assert report.acked_users and report.acked_tasks
    assert report.unreadable == [], report.unreadable[:5]
