"""The one unit of work of every state change.

    load (case locked with its version) → may this actor? (`work.may`) → act → engine steps →
    re-derive every fact of each touched case → exactly one audit event → commit

A command supplies only its act step: a function of a `Work`, which loads what it
needs through the work (so the case is locked first), changes things, settles each
case whose workflow it moved (`work.settle`: every fact of the case is derived
again from its workflow, engine/casefacts.py) and records its one event
(`work.event`). Everything else happens here, once, and a lost race in
any statement (a stale version, a locked database, a deadlock, a duplicate row) is
a Conflict with nothing applied. A deadlock is retried once, from the start,
before it answers Conflict: the act step must therefore only read its inputs, not
objects loaded before the command started.

No command commits, rolls back or writes an Event itself (tests/test_pipeline.py
greps for it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, defaultload, undefer
from sqlalchemy.orm.exc import StaleDataError

from .casefacts import Facts, completed_ids, derive_facts
from .clock import utcnow
from .errors import Conflict, DomainError, NotFound
from .i18n import N_
from .models import Case, Event, TaskRow, User
from .permissions import require
from .processes import spec_for
from .runtime import load_state
from .vocabulary import event_type

T = TypeVar("T")

RACE_LOST = N_("the case was changed by someone else; reload and try again")


@dataclass
class Work:
    """What an act step sees: the session, who acts and when, and how to load and report."""

    session: Session
    actor: User | None
    now: datetime
    settled: set[int] = field(default_factory=set)
    events: list[Event] = field(default_factory=list)
    passed: dict[int, set] = field(default_factory=dict)  # by case: what its workflow had completed

    def workflow(self, case: Case):
        """The case's workflow from its pinned version, remembering what it had passed (for notices)."""
        workflow = load_state(case.state, spec_for(case.process_version))
        self.passed[id(case)] = completed_ids(workflow)
        return workflow

    def lock_case(self, case_id: int, with_state: bool = True) -> Case:
        """The case, re-read and locked (FOR UPDATE on PostgreSQL) before anything else changes, so
        two commands on one case run one after the other and the second sees the first's result."""
        query = select(Case).where(Case.id == case_id).execution_options(populate_existing=True)
        if with_state:
            query = query.options(undefer(Case.state))
        if self.session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(of=Case)
        case = self.session.scalar(query)
        if case is None:
            raise NotFound(N_("no such case"))
        return case

    def task(self, task_id, with_state: bool = True) -> TaskRow:
        """A task row and its case, the case locked first and the row read after the lock."""
        if not isinstance(task_id, str) or len(task_id) > 36:
            raise NotFound(N_("no such task"))
        case_id = self.session.scalar(select(TaskRow.case_id).where(TaskRow.id == task_id))
        if case_id is None:
            raise NotFound(N_("no such task"))
        self.lock_case(case_id, with_state)
        row = self.session.scalar(
            select(TaskRow)
            .where(TaskRow.id == task_id)
            .options(defaultload(TaskRow.case))
            .execution_options(populate_existing=True)
        )
        if row is None:
            raise NotFound(N_("no such task"))
        return row

    def may(self, action: str, case: Case | None = None, row: TaskRow | None = None, batch=None) -> None:
        """The pipeline's "may this actor?": the permission table answers (config/permissions.toml)."""
        assert self.actor is not None  # only the system acts without an actor, and it asks no permission
        require(self.session, self.actor, action, case if case is not None else (row.case if row else None), row, batch)

    def settle(
        self, case: Case, workflow, completed: tuple[str, int] | None = None, reopened: list[TaskRow] | None = None
    ) -> Facts:
        """`case`'s workflow changed: store it and derive every fact of the case from it now (status,
        closing, where it is, inbox rows, timers, batches), so the act's event can name the result."""
        before = self.passed.get(id(case), set())
        facts = derive_facts(self.session, case, workflow, self.now, before, completed, reopened or [])
        self.passed[id(case)] = completed_ids(workflow)
        self.settled.add(id(case))
        return facts

    def event(self, type_: str, case: Case | int | None = None, task_id: str | None = None, **detail) -> None:
        """The command's one audit event."""
        if self.events:
            raise RuntimeError(f"a command records one event; {self.events[0].type} was already recorded")
        self.events.append(_event(case, self.actor, type_, self.now, task_id, detail))


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


def execute(
    session: Session, actor: User | None, act: Callable[[Work], T], now: datetime | None = None, retries: int = 1
) -> T:
    """Run one command: `act` in a fresh transaction, then the facts, the event and the commit."""
    now = now or utcnow()
    attempt = 0
    while True:
        work = Work(session, actor, now)
        try:
            result = act(work)
            _finish(work)
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


def _finish(work: Work) -> None:
    session = work.session
    if not work.events:
        if session.new or session.dirty or session.deleted or work.settled:
            raise RuntimeError("a command that changes state records its event")
        session.rollback()  # nothing changed: end the read transaction
        return
    session.add(work.events[0])
    session.commit()


def _lost_race(err: OperationalError) -> bool:
    text = str(err.orig if err.orig is not None else err).lower()
    return any(sign in text for sign in ("locked", "deadlock", "could not serialize", "lock timeout", "lock not"))


def _deadlock(err: Exception) -> bool:
    return isinstance(err, OperationalError) and "deadlock" in str(err.orig).lower()
