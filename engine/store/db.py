"""Engine and session setup for scripts, workers and tests (the web uses Flask-SQLAlchemy)."""

from __future__ import annotations

from typing import cast

from sqlalchemy import CursorResult, Result, Table, create_engine, event
from sqlalchemy.orm import sessionmaker


def make_engine(url: str, **kwargs):
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection, _record):
    # WAL lets readers proceed while a command writes; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_sessionmaker(engine):
    return sessionmaker(engine, expire_on_commit=False)


def exclusive(session, key: int) -> None:
    """Serialize a setup step across processes (two web nodes starting together) on PostgreSQL.

    The lock is held until the session's transaction ends; SQLite serializes writers anyway.
    """
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy import text

        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def rowcount(result: Result) -> int:
    """Rows an UPDATE or DELETE matched: `Session.execute` returns a CursorResult for those, typed as a Result."""
    assert isinstance(result, CursorResult)
    return result.rowcount


def table_of(model) -> Table:
    """The Core table of a mapped class, for plain table statements (to type checkers `Model.__table__`
    is only a FromClause)."""
    return cast(Table, model.__table__)
