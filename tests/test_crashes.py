"""Crashes: kill -9 web workers and the timer worker in the middle of a load of completions on
PostgreSQL; after the dust settles every item is consistent (engine/read/consistency.py): the inbox
matches the workflow state, every open item is held by a task, no event without its change and
no change without its event."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import threading
import time
from pathlib import Path

from bench.driver import Driver, http_transport
from bench.servers import BIN, gunicorn, prepare, server_env
from engine.kernel.settings import ROOT
from engine.read.consistency import check_consistency
from engine.store.db import make_engine, make_sessionmaker

from .conftest import PG_ADMIN_URL, _create_pg_database, _drop_pg_database

LOAD_SECONDS = 18
# A busy machine completes fewer steps in LOAD_SECONDS: keep the load (and the killing) going until
# enough steps and kills happened, up to this long. A worker is killed only after the service made
# progress since the last kill: on a loaded machine a new worker takes seconds to boot, and killing
# on a fixed clock then kills every worker before it answers anything.
MIN_STEPS, MIN_KILLS, MAX_LOAD_SECONDS = 20, 6, 240
CLIENTS = 4


def _workers(master: int) -> list[int]:
    pids = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            if f"\nPPid:\t{master}\n" in status.read_text():
                pids.append(int(status.parent.name))
        except OSError:
            continue
    return pids


def _client(base: str, village: str, stop: threading.Event, tally: dict) -> None:
    """Drive items; a killed worker answers nothing (retry after re-reading the item) or 409."""
    driver = Driver(http_transport(base))
    while not stop.is_set():
        try:
            case = driver.open_case(f"village_agent@{village}", "house-building", village)
            while case["open_tasks"] and not stop.is_set():
                try:
                    case, _ = driver.step(case)
                    tally["steps"] += 1
                except (AssertionError, OSError):
                    tally["retries"] += 1
                    case = driver.call("GET", f"/api/v1/cases/{case['id']}", f"village_agent@{village}")
        except (AssertionError, OSError):
            tally["retries"] += 1


def test_items_stay_consistent_when_workers_are_killed_under_load(tmp_path):
    name = _create_pg_database()
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    env = server_env(tmp_path, url)
    prepare(env)
    tally = {"steps": 0, "retries": 0, "killed_web": 0, "killed_timer": 0}
    try:
        with gunicorn(env, workers=3, with_pid=True) as (base, master):
            timer = subprocess.Popen(
                [BIN / "flask", "daiban", "worker", "--interval", "0.2"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            stop = threading.Event()
            threads = [
                threading.Thread(target=_client, args=(base, v, stop, tally))
                for v in ("t1-v1", "t2-v1", "t3-v1", "t1-v2")[:CLIENTS]
            ]
            for t in threads:
                t.start()
            rng = random.Random(20261123)
            started = time.monotonic()
            steps_at_last_kill = -1
            while time.monotonic() - started < MAX_LOAD_SECONDS and (
                time.monotonic() - started < LOAD_SECONDS
                or tally["steps"] < MIN_STEPS
                or tally["killed_web"] < MIN_KILLS
            ):
                time.sleep(2.0)
                if tally["steps"] == steps_at_last_kill:
                    continue
                steps_at_last_kill = tally["steps"]
                workers = _workers(master)
                if workers:
                    os.kill(rng.choice(workers), signal.SIGKILL)
                    tally["killed_web"] += 1
                if tally["killed_web"] % 3 == 0:
                    timer.send_signal(signal.SIGKILL)
                    timer.wait()
                    tally["killed_timer"] += 1
                    timer = subprocess.Popen(
                        [BIN / "flask", "daiban", "worker", "--interval", "0.2"],
                        cwd=ROOT,
                        env=env,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
            stop.set()
            for t in threads:
                t.join(timeout=60)
            timer.terminate()
            timer.wait(timeout=20)
        engine = make_engine(url)
        with make_sessionmaker(engine)() as s:
            problems = check_consistency(s)
            from sqlalchemy import func, select

            from engine.store.models import Case

            cases = s.scalar(select(func.count()).select_from(Case))
        engine.dispose()
        print(
            f"\ncrashes: {tally['killed_web']} web workers and {tally['killed_timer']} timer workers killed "
            f"(kill -9) during {tally['steps']} completed steps on {cases} items; {tally['retries']} client "
            f"retries; {len(problems)} inconsistencies"
        )
        assert tally["killed_web"] >= MIN_KILLS and tally["steps"] >= MIN_STEPS
        assert problems == []
    finally:
        _drop_pg_database(name)
