"""The README's run command is the whole product: `scripts/serve --demo` (what `scripts/run --demo`
runs after installing) starts gunicorn and the timer worker side by side, a due timer fires
without anyone running anything else, and one SIGTERM or Ctrl-C stops every process it started."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bench.driver import Driver, http_transport
from bench.servers import BIN, free_port
from engine.cases.timers import EVENT_TYPES, Timer
from engine.kernel.clock import utcnow
from engine.kernel.settings import ROOT
from engine.store.db import make_engine, make_sessionmaker


def _daiban_processes(var: Path) -> list[str]:
    """Command lines of every process started for this run (they all carry its var dir)."""
    marker = f"DAIBAN_VAR_DIR={var}".encode()
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker in environ.read_bytes().split(b"\0"):
                found.append((environ.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except OSError:
            continue  # the process ended while we looked, or is not ours to read
    return found


def _start(var: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAIBAN_", "DATABASE_URL"))}
    env.update(DAIBAN_BIN=str(BIN), DAIBAN_VAR_DIR=str(var), PORT=str(port), DAIBAN_WORKER_INTERVAL="0.2")
    log = (var / "serve.log").open("wb")
    proc = subprocess.Popen(
        [ROOT / "scripts" / "serve", "--demo"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            return proc, base
        except OSError:
            assert proc.poll() is None, (var / "serve.log").read_text()[-3000:]
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("the run command did not answer /healthz: " + (var / "serve.log").read_text()[-3000:])


def _stop(proc: subprocess.Popen, signum: int, var: Path) -> None:
    proc.send_signal(signum)
    try:
        proc.wait(timeout=30)
    finally:
        left = []
        for _ in range(50):  # children may take a moment to be reaped after their parent returns
            left = _daiban_processes(var)
            if not left:
                break
            time.sleep(0.1)
        for line in left:
            subprocess.run(["pkill", "-9", "-f", line], check=False)
    assert not left, f"processes left behind: {left}"


def test_the_run_command_fires_due_timers_and_stops_everything_on_sigterm(tmp_path):
    proc, base = _start(tmp_path)
    try:
        commands = " | ".join(_daiban_processes(tmp_path))
        assert "gunicorn" in commands and "daiban worker" in commands
        driver = Driver(http_transport(base))
        case = driver.open_case("village_agent@t1-v1", "house-building", "t1-v1")
        assert case["open_tasks"]
        # Bring the open task's next deadline into the past, as time passing would.
        engine = make_engine(f"sqlite:///{tmp_path / 'daiban.sqlite3'}")
        with make_sessionmaker(engine)() as session:
            timer = session.scalars(
                select(Timer).where(Timer.case_id == case["id"], Timer.fired_at.is_(None)).order_by(Timer.due_at)
            ).first()
            assert timer is not None, case["open_tasks"]
            expected = EVENT_TYPES[timer.kind]
            timer.due_at = utcnow() - timedelta(minutes=1)
            session.commit()
        engine.dispose()
        events: list[str] = []
        for _ in range(300):
            seen = driver.call("GET", f"/api/v1/cases/{case['id']}", "village_agent@t1-v1")
            events = [event["type"] for event in seen["events"]]
            if expected in events:
                break
            time.sleep(0.1)
        assert expected in events, events
    finally:
        _stop(proc, signal.SIGTERM, tmp_path)


@pytest.mark.parametrize("signum", [signal.SIGINT], ids=["ctrl-c"])
def test_one_ctrl_c_stops_web_and_worker_together(tmp_path, signum):
    proc, _ = _start(tmp_path)
    assert len(_daiban_processes(tmp_path)) >= 4  # honcho, gunicorn master and worker, timer worker
    _stop(proc, signum, tmp_path)
    assert proc.returncode is not None
