"""催办 (urge): the item's first-ask agent, the county window, supervisors or the township
discipline committee press whoever holds an open task. At most once per working day per task and
urger (a second is a 409); the holder, or every member of the unit while nobody took the task, is
told in the same transaction; the task shows 已催办 ×n and supervision counts the urges."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..kernel.errors import Conflict, Invalid
from ..kernel.i18n import N_
from ..kernel.vocabulary import EventType, NotificationKind
from ..store.calendar import TZ, WorkingCalendar, default_calendar
from ..store.models import TaskRow, User
from ..store.notice_tables import Urge
from .notices import holders, task_detail
from .pipeline import Work, execute
from .visibility import check_open

MAX_NOTE = 500
ALREADY = N_("you already urged this task today; you can urge it again on the next working day")
NOBODY = N_("you hold this task yourself; there is nobody to urge")


def urge_day(calendar: WorkingCalendar, moment: datetime) -> date:
    """The working day an urge counts for: today, or after a holiday or weekend the next working day."""
    return calendar.next_working_day(moment.astimezone(TZ).date())


def _note(note) -> str | None:
    if note is None:
        return None
    if not isinstance(note, str) or len(note.strip()) > MAX_NOTE:
        raise Invalid(N_("the note is too long"), {"note": N_("at most 500 characters")})
    return note.strip() or None


def urge_task(session: Session, actor: User, task_id, note=None, now: datetime | None = None) -> TaskRow:
    note = _note(note)

    def act(work: Work) -> TaskRow:
        row = check_open(session, actor, work.task(task_id, with_state=False))
        work.may("urge", row=row)
        told = holders(session, row)
        if told == [actor.id]:
            raise Conflict(NOBODY)
        day = urge_day(default_calendar(session), work.now)
        exists = session.scalar(
            select(Urge.id).where(Urge.task_id == row.id, Urge.urger_id == actor.id, Urge.day == day)
        )
        if exists is not None:
            raise Conflict(ALREADY)
        count = urge_count(session, row.id) + 1
        session.add(Urge(case_id=row.case_id, task_id=row.id, urger_id=actor.id, day=day, at=work.now, note=note))
        work.event(EventType.TASK_URGED, row.case, task_id=row.id, name=row.name, note=note, count=count)
        work.notify(
            told,
            NotificationKind.URGED,
            row.case,
            row.id,
            **task_detail(row, row.case),
            by=actor.display_name,
            note=note,
        )
        return row

    return execute(session, actor, act, now)


def urge_count(session: Session, task_id: str) -> int:
    return session.scalar(select(func.count()).select_from(Urge).where(Urge.task_id == task_id)) or 0


def urge_counts(session: Session, task_ids) -> dict[str, int]:
    """How often each of these tasks was urged (one grouped query for a page of the inbox)."""
    ids = list(task_ids)
    if not ids:
        return {}
    rows = session.execute(select(Urge.task_id, func.count()).where(Urge.task_id.in_(ids)).group_by(Urge.task_id))
    return {task_id: count for task_id, count in rows}


def urges_of(session: Session, task_id: str) -> list[Urge]:
    return list(session.scalars(select(Urge).where(Urge.task_id == task_id).order_by(Urge.at, Urge.id)))
