"""Real servers for tests: a migrated database with the demo county behind gunicorn on 127.0.0.1."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from engine.kernel.settings import ROOT

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(var: Path, database_url: str) -> dict:
    return {
        **os.environ,
        "DAIBAN_DEMO": "1",
        "DAIBAN_VAR_DIR": str(var),
        "FLASK_APP": "web.app:create_app",
        "DAIBAN_DATABASE_URL": database_url,
    }


def prepare(env: dict) -> None:
    """What scripts/serve does before gunicorn: migrate and load the demo county."""
    for args in (["db", "upgrade", "-d", "migrations"], ["daiban", "load-demo"]):
        subprocess.run([BIN / "flask", *args], cwd=ROOT, env=env, check=True, capture_output=True)


@contextlib.contextmanager
def gunicorn(env: dict, workers: int = 2, with_pid: bool = False, config: str | None = None):
    port = free_port()
    settings = ["--config", config] if config else []
    proc = subprocess.Popen(
        [
            BIN / "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            *settings,
            "web.app:create_app()",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("gunicorn did not start")
        yield (base, proc.pid) if with_pid else base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)  # a graceful stop: workers finish and write their figures
        except subprocess.TimeoutExpired:  # a machine too busy to stop in time: stop it anyway
            proc.kill()
            proc.wait(timeout=20)


@contextlib.contextmanager
def demo_server(var: Path, workers: int = 2):
    """The README's run on embedded SQLite: a migrated demo county behind gunicorn; yields its URL."""
    env = server_env(var, f"sqlite:///{var / 'daiban.sqlite3'}")
    prepare(env)
    with gunicorn(env, workers=workers) as base:
        yield base
