"""Timers: deadlines of open tasks, in a table of their own so a sweep reads only what is due.

The inbox projection schedules a task's timers when the task becomes ready and
cancels the unfired ones when it leaves; `fire_due_timers` (run by the worker)
takes due rows one at a time, each firing in its own transaction with one event.
On PostgreSQL the row is taken `FOR UPDATE SKIP LOCKED`, so two workers never
fire one timer twice and neither waits for the other.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import ForeignKey, Index, String, delete, select, text, update
from sqlalchemy.orm import Mapped, Session, lazyload, mapped_column

from .calendar import END_OF_DAY, TZ, default_calendar
from .db import rowcount
from .models import Base, BigId, OrgUnit, TaskRow, UtcDateTime
from .txn import record_event

# What a task's deadline means: an overdue task is escalated to oversight;
# a resubmission deadline is the resident's and only reminds the agent.
DUE_SOON, OVERDUE, RESUBMISSION = "due_soon", "overdue", "resubmission"
EVENT_TYPES = {DUE_SOON: "task_due_soon", OVERDUE: "task_overdue", RESUBMISSION: "resubmission_due"}


class Timer(Base):
    __tablename__ = "timers"
    __table_args__ = (
        # Only unfired timers are ever swept: the partial index stays as small as the open work.
        Index(
            "ix_timers_due", "due_at", postgresql_where=text("fired_at IS NULL"), sqlite_where=text("fired_at IS NULL")
        ),
        Index("ix_timers_task", "task_id"),
        # A command keeps its case's timers exact (`cancel_all_but`): found by case, not by scan.
        Index("ix_timers_case", "case_id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id"))
    task_id: Mapped[str] = mapped_column(String(36))
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    kind: Mapped[str] = mapped_column(String(16))
    fired_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


def due_soon_at(due_at: datetime, session: Session | None = None, calendar=None) -> datetime:
    """One working day before the deadline: the end of the previous working day."""
    calendar = calendar or default_calendar(session)
    day = due_at.astimezone(TZ).date() - timedelta(days=1)
    while not calendar.is_working_day(day):
        day -= timedelta(days=1)
    return datetime.combine(day, END_OF_DAY, tzinfo=TZ)


def schedule(session: Session, case, row: TaskRow, deadline_kind: str | None, now: datetime, calendar=None) -> None:
    """Timers of a newly ready task; a task already inside its last working day is due soon at once."""
    if row.due_at is None or case.is_test_run:
        return
    if deadline_kind == RESUBMISSION:
        session.add(Timer(case_id=case.id, task_id=row.id, due_at=row.due_at, kind=RESUBMISSION))
        return
    soon = due_soon_at(row.due_at, session, calendar)
    if soon > now:
        session.add(Timer(case_id=case.id, task_id=row.id, due_at=soon, kind=DUE_SOON))
    else:
        row.due_state = DUE_SOON
    session.add(Timer(case_id=case.id, task_id=row.id, due_at=row.due_at, kind=OVERDUE))


def reschedule(session: Session, case, row: TaskRow, deadline_kind: str | None, now: datetime, calendar) -> None:
    """The task's deadline moved: its unfired timers go, new ones follow the new deadline, and due
    soon / overdue are told again for the new period."""
    session.execute(delete(Timer).where(Timer.task_id == row.id, Timer.fired_at.is_(None)))
    row.due_state = None
    schedule(session, case, row, deadline_kind, now, calendar)


def cancel_all_but(session: Session, case_id: int, open_task_ids: set[str]) -> None:
    """Drop the unfired timers of the case's tasks that are not open (completed, cancelled, returned)."""
    session.execute(
        delete(Timer).where(
            Timer.case_id == case_id, Timer.fired_at.is_(None), Timer.task_id.not_in(open_task_ids or {""})
        )
    )


def fire_due_timers(session: Session, now: datetime, limit: int = 100) -> int:
    """Fire up to `limit` due timers, oldest first, each in its own transaction. Returns how many fired."""
    postgres = session.get_bind().dialect.name == "postgresql"
    fired = 0
    for _ in range(limit):
        taken = _take_postgres(session, now) if postgres else _take(session, now)
        if taken is None:
            session.rollback()
            break
        if taken is False:
            session.rollback()
            continue
        if postgres:
            # A firing lost in a crash is simply not fired yet: the next sweep fires it again,
            # so this commit need not wait for the disk.
            session.execute(text("SET LOCAL synchronous_commit = off"))
        task_id, kind = taken
        _fire(session, task_id, kind, now)
        session.commit()
        fired += 1
    return fired


def _due(now: datetime):
    return (
        select(Timer.id).where(Timer.fired_at.is_(None), Timer.due_at <= now).order_by(Timer.due_at, Timer.id).limit(1)
    )


def _take_postgres(session: Session, now: datetime) -> tuple[str, str] | None:
    """One statement: lock the oldest due timer no other worker holds, and mark it fired."""
    row = session.execute(
        update(Timer)
        .where(Timer.id == _due(now).with_for_update(skip_locked=True).scalar_subquery())
        .values(fired_at=now)
        .returning(Timer.task_id, Timer.kind)
    ).first()
    return (row.task_id, row.kind) if row is not None else None


def _take(session: Session, now: datetime) -> tuple[str, str] | Literal[False] | None:
    """SQLite has one writer at a time; the conditional update still guards against a second worker."""
    timer = session.scalar(select(Timer).where(Timer.id == _due(now).scalar_subquery()))
    if timer is None:
        return None
    taken = rowcount(
        session.execute(update(Timer).where(Timer.id == timer.id, Timer.fired_at.is_(None)).values(fired_at=now))
    )
    return (timer.task_id, timer.kind) if taken else False


def _fire(session: Session, task_id: str, kind: str, now: datetime) -> None:
    # Only the task row and its unit's code: the sweep must not pay for the case's eager loads.
    row = session.get(TaskRow, task_id, options=[lazyload("*")])
    if row is None or row.state != "ready":
        return  # the task left the inbox after the timer was read; nothing to tell
    if row.due_at is None:
        return  # timers are scheduled only for tasks with a deadline (`schedule`); none is due
    row.due_state = kind
    unit = session.scalar(select(OrgUnit.code).where(OrgUnit.id == row.org_unit_id))
    record_event(
        session,
        row.case_id,
        None,
        EVENT_TYPES[kind],
        now,
        task_id=row.id,
        task=row.spec_name,
        name=row.name,
        unit=unit,
        role=row.role,
        due_at=row.due_at.isoformat(),
    )
