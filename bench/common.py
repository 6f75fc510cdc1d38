"""Shared bench plumbing: fresh databases, the demo county, timing and percentiles."""

from __future__ import annotations

import statistics
import time
import uuid
from contextlib import contextmanager

from sqlalchemy import create_engine, event, text

from engine.library.catalog import sync_catalog
from engine.library.processes import deploy_from_files
from engine.org.org import load_demo_county
from engine.store.db import make_engine, make_sessionmaker
from engine.store.models import Base

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@contextmanager
def fresh_database(kind: str, tmp_dir):
    """A new empty database URL: a SQLite file or a throw-away PostgreSQL database."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_dir}/bench-{uuid.uuid4().hex[:8]}.sqlite3"
        return
    name = f"daiban_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def demo_sessions(url: str):
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    sessions = make_sessionmaker(engine)
    with sessions() as s:
        load_demo_county(s)
        sync_catalog(s)
        deploy_from_files(s)
        s.commit()
    return engine, sessions


class SqlCounter:
    """Counts statements and commits an engine runs."""

    def __init__(self, engine):
        self.statements = self.commits = 0
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._commit)

    def _statement(self, *args):
        self.statements += 1

    def _commit(self, *args):
        self.commits += 1


def percentiles(samples: list[float]) -> dict:
    if not samples:
        return {"n": 0}
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000  # noqa: E731
    return {
        "n": len(samples),
        "p50": pick(0.50),
        "p95": pick(0.95),
        "p99": pick(0.99),
        "mean": statistics.fmean(samples) * 1000,
    }


class Stopwatch:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start
