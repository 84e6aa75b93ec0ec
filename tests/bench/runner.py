"""Runs a bench command from the repository root, as the README documents it, within a time limit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def run_bench(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    finished = subprocess.run(
        [sys.executable, *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    return finished
