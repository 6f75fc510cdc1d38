"""Statements a command writes last, just before its commit.

SQLite lets one connection write at a time: its lock is taken by a transaction's first write and held
until the commit, and every other worker that wants to write waits (sleeping in steps) meanwhile. So a
command does its reads and its work first and writes everything at the end: the unit of work flushes
the objects it changed, then runs these statements, then commits (engine/store/unit_of_work.py).
PostgreSQL locks rows, not the database, but the shorter the transaction holds them the better there too.

Only for statements whose effect nothing in the same command reads back (the timers of the tasks that
open or leave: the sweep reads them, later).
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

_KEY = "daiban_write_late"


def write_late(session: Session, statement, params=None) -> None:
    session.info.setdefault(_KEY, []).append((statement, params))


def run_late(session: Session) -> None:
    """The statements noted, in the order noted (the unit of work, after its flush). They are plain
    table statements run on the session's connection: no objects of the session to update or create."""
    noted = session.info.pop(_KEY, [])
    if noted:
        connection = session.connection()
        for statement, params in noted:
            connection.execute(statement, params)


def _forget(session: Session, *_args) -> None:
    session.info.pop(_KEY, None)


def install() -> None:
    """Once per process: a rolled back command's late statements go with it."""
    if not event.contains(Session, "after_soft_rollback", _forget):
        event.listen(Session, "after_soft_rollback", _forget)


install()
