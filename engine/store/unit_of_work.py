"""The one unit of work of every state change: act → exactly one audit event → commit, or a
Conflict with nothing applied.

A command supplies only its act step, a function of a `Work`: it validates, changes things and
records its one event (`work.event`). Everything else happens here, once: a lost race in any
statement (a stale version, a locked database, a deadlock, a duplicate row) is a Conflict (409)
with the transaction rolled back, and a deadlock is retried once from the start first, so the act
step reads only its inputs, never objects loaded before the command began. A command that finds
nothing to change records no event and changes nothing.

Commands on an item use the case pipeline built on this (engine/cases/pipeline.py: the case locked
with its version, "may this actor?", its facts derived again from its workflow). No command
commits, rolls back or writes an Event itself (tests/test_pipeline_only.py checks the source).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ..kernel.clock import utcnow
from ..kernel.errors import Conflict, DomainError
from ..kernel.i18n import N_
from ..kernel.vocabulary import event_type
from . import idempotency
from .db import table_of
from .models import Case, Event, User
from .notice_tables import Notification
from .staff_texts import text_staff
from .write_late import run_late

T = TypeVar("T")
W = TypeVar("W", bound="Work")

RACE_LOST = N_("the case was changed by someone else; reload and try again")


@dataclass
class Work:
    """What an act step sees: the session, who acts and when, and where its one event goes."""

    session: Session
    actor: User | None
    now: datetime
    events: list[Event] = field(default_factory=list)
    notices: dict[tuple[int, str, str | None], Notification] = field(default_factory=dict)

    def notify(self, user_ids, kind: str, case: Case | int | None = None, task_id: str | None = None, **detail) -> None:
        """Tell these people in the app, in this command's transaction: written with its event, or
        not at all. The actor is never told of their own act; one person is told a thing once."""
        case_id = case if isinstance(case, int) else (case.id if case is not None else None)
        me = self.actor.id if self.actor is not None else None
        for user_id in user_ids:
            if user_id is None or user_id == me or (user_id, kind, task_id) in self.notices:
                continue
            self.notices[(user_id, kind, task_id)] = Notification(
                user_id=user_id, at=self.now, kind=kind, case_id=case_id, task_id=task_id, detail=detail
            )

    def before_commit(self) -> None:
        """The last step before the commit, after the act recorded its event (the case pipeline
        tells the people its new tasks reached)."""

    def after_commit(self) -> None:
        """After the command's commit (the case pipeline keeps the workflows it stored)."""

    def event(self, type_: str, case: Case | int | None = None, task_id: str | None = None, **detail) -> None:
        """The command's one audit event."""
        if self.events:
            raise RuntimeError(f"a command records one event; {self.events[0].type} was already recorded")
        self.events.append(_event(case, self.actor, type_, self.now, task_id, detail))

    def changed(self) -> bool:
        """Whether the act changed anything (then it must have recorded its event)."""
        return bool(self.session.new or self.session.dirty or self.session.deleted)


def _event(case, actor: User | None, type_: str, now: datetime, task_id: str | None, detail: dict) -> Event:
    case_id = case if isinstance(case, int) else (case.id if case is not None else None)
    return Event(
        case_id=case_id,
        at=now,
        actor_id=actor.id if actor else None,
        actor=actor.username if actor else "system",
        type=event_type(type_),  # an unknown type is a programming error, caught by the first test
        task_id=task_id,
        detail=detail,
    )


def run(
    session: Session,
    actor: User | None,
    act: Callable[[W], T],
    now: datetime | None,
    work_type: type[W],
    retries: int = 1,
) -> T:
    """Run one command: `act` in a fresh transaction, then the event and the commit."""
    now = now or utcnow()
    attempt = 0
    while True:
        work = work_type(session, actor, now)
        try:
            result = act(work)
            if _finish(work, result):
                work.after_commit()
            return result
        except DomainError:
            session.rollback()
            raise
        except (StaleDataError, IntegrityError, OperationalError) as err:
            session.rollback()
            if isinstance(err, OperationalError) and not _lost_race(err):
                raise
            if attempt < retries and _deadlock(err):
                attempt += 1
                continue
            raise Conflict(RACE_LOST) from None
        except BaseException:
            session.rollback()
            raise


def execute(session: Session, actor: User | None, act: Callable[[Work], T], now: datetime | None = None) -> T:
    """One command that is not about one item (administration, the catalog, the calendar)."""
    return run(session, actor, act, now, Work)


def _finish(work: Work, result: object) -> bool:
    """The event, the client's Idempotency-Key and the commit; whether anything was committed."""
    session = work.session
    if not work.events:
        if work.changed():
            raise RuntimeError("a command that changes state records its event")
        session.rollback()  # nothing changed: end the read transaction
        return False
    # Reads first, then every write at once, then the commit: SQLite's one writer lock is held from the
    # transaction's first write to its commit (engine/store/write_late.py), so that stretch stays short.
    with session.no_autoflush:
        work.before_commit()
        text_staff(session, work.notices.values(), work.now)  # the kinds each person also wants on their phone
    idempotency.record(session, result, work.now)  # a client's key commits with the change it made
    session.flush()
    run_late(session)
    _write_event_and_notices(session, work.events[0], work.notices.values())
    session.commit()
    return True


def _write_event_and_notices(session: Session, event: Event, notices) -> None:
    """The command's one event, then all its notifications in one statement, as plain table inserts:
    nothing reads their ids back, so no object to build and no INSERT ... RETURNING (row by row on SQLite)."""
    connection = session.connection()
    connection.execute(insert(table_of(Event)), [{column: getattr(event, column) for column in _EVENT_COLUMNS}])
    rows = [{column: getattr(n, column) for column in _NOTICE_COLUMNS} for n in notices]
    if rows:
        connection.execute(insert(table_of(Notification)), rows)


_EVENT_COLUMNS = ("case_id", "at", "actor_id", "actor", "type", "task_id", "detail")
_NOTICE_COLUMNS = ("user_id", "at", "kind", "case_id", "task_id", "detail", "read_at")


def _lost_race(err: OperationalError) -> bool:
    text = str(err.orig if err.orig is not None else err).lower()
    return any(sign in text for sign in ("locked", "deadlock", "could not serialize", "lock timeout", "lock not"))


def _deadlock(err: Exception) -> bool:
    return isinstance(err, OperationalError) and "deadlock" in str(err.orig).lower()
