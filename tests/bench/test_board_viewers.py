"""bench/board_viewers.py, shortened, so the board's cost figures in the README can be measured again."""

from __future__ import annotations

from tests.bench.runner import run_bench


def test_the_board_viewers_bench_reports_a_row_per_viewer_count() -> None:
    finished = run_bench("bench/board_viewers.py", "--viewers", "1", "3", "--seconds", "7", timeout=180)
    header, *rows = finished.stdout.strip().splitlines()
    assert header.split()[:3] == ["viewers", "server", "CPU"]
    assert [row.split()[0] for row in rows] == ["1", "3"]
    for row in rows:
        viewers, _cpu, _rate, polls, ok, not_modified, errors = row.split()[:7]
        assert int(errors) == 0
        assert int(ok) >= int(viewers)  # the first look, and the change the bench makes after 5 s
        assert int(polls) == int(ok) + int(not_modified)
        assert "(1/1 changes)" in row  # every viewer saw the change
