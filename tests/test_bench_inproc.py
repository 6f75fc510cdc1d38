"""bench/'s in-process drivers run the current diagrams to the end (a process change that the
raw driver does not follow would otherwise only show up when someone runs the benchmark)."""

from __future__ import annotations

from bench.common import fresh_database
from bench.inproc import engine_commands, raw_spiff


def test_raw_and_engine_drivers_finish_the_joint_county_case(tmp_path):
    with fresh_database("sqlite", tmp_path) as url:
        raw = raw_spiff(url, 1)
        commands = engine_commands(url, 1)
    assert raw["cases_per_s"] > 0 and 0 < raw["state_bytes"] < 16 * 1024  # the state target
    # Every step is one command with one commit (open + 12 steps here), each a handful of statements.
    assert commands["commits_per_case"] >= 12 and commands["sql_per_case"] > commands["commits_per_case"]
