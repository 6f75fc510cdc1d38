"""Timers: deadlines of open tasks, in a table of their own so a sweep reads only what is due.

The inbox projection schedules a task's timers when the task becomes ready and
cancels the unfired ones when it leaves; engine/timer_sweep.py (run by the worker)
fires the due ones.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Index, String, delete, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from .calendar import END_OF_DAY, TZ, default_calendar
from .models import Base, BigId, TaskRow, UtcDateTime
from .vocabulary import TIMER_EVENTS, TimerKind

# What a task's deadline means: an overdue task is escalated to oversight;
# a resubmission deadline is the resident's and only reminds the agent.
DUE_SOON, OVERDUE, RESUBMISSION = TimerKind.DUE_SOON, TimerKind.OVERDUE, TimerKind.RESUBMISSION
EVENT_TYPES = TIMER_EVENTS


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
