"""`python -m bench` ends with one JSON line holding every figure of issue 20 under its stable key
(`--json` prints only that line). Run in its tiny mode: this checks the harness runs every section
to the end and names its figures, never how fast anything is (speed belongs to bench/, not tests)."""

from __future__ import annotations

import json
import subprocess
import sys

from bench.__main__ import FIGURES
from engine.kernel.settings import ROOT


def test_tiny_bench_prints_every_figure_as_its_last_line():
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--tiny", "--json", "--clients", "1", "--workers", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=True,
    )
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1, done.stdout  # --json: only the figures on stdout, the table went to stderr
    figures = json.loads(lines[-1])
    missing = [key for key in FIGURES if figures.get(key) is None]
    assert not missing, (missing, done.stderr[-2000:])
    assert figures["scale_cases"] == 1000
    assert figures["commits_per_complete"] >= 1 and figures["sql_per_complete"] >= figures["commits_per_complete"]
    assert "end-to-end HTTP joint case" in done.stderr  # the table, on stderr under --json
