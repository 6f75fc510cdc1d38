"""容缺受理 follow-up: an item accepted with materials to follow carries the date the resident promised
them by. When that date has passed with materials still missing, the sweep flags the item (one command
each, with its event), tells the first-ask agent, and supervision lists it; supplying the materials
clears the flag (engine/cases/materials.py `supply`)."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..kernel.errors import Conflict
from ..kernel.vocabulary import CASE_OPEN, EventType, NotificationKind
from ..store.calendar import TZ
from ..store.models import Case
from .materials import missing
from .pipeline import Work, execute


def broken(now: datetime):
    """SQL: open items whose promised date is before today (Beijing time) and not flagged yet."""
    today = now.astimezone(TZ).date()
    return (
        Case.materials_promised_by.is_not(None),
        Case.materials_promised_by < today,
        Case.materials_promise_broken_at.is_(None),
        Case.status.in_(CASE_OPEN),
        Case.is_test_run.is_(False),
    )


def flag_broken_promises(session: Session, now: datetime, limit: int = 100) -> int:
    """Flag up to `limit` items whose promised materials are late, each in its own command."""
    ids = list(session.scalars(select(Case.id).where(*broken(now)).order_by(Case.id).limit(limit)))
    flagged = 0
    for case_id in ids:
        try:
            flagged += execute(session, None, partial(_flag, case_id=case_id), now)
        except Conflict:
            continue  # changed meanwhile (supplied, closed): looked at again next sweep
    return flagged


def _flag(work: Work, case_id: int) -> bool:
    case = work.lock_case(case_id, with_state=False)
    today = work.now.astimezone(TZ).date()
    if (
        case.materials_promised_by is None
        or case.materials_promised_by >= today
        or case.materials_promise_broken_at is not None
        or case.status not in CASE_OPEN
    ):
        return False  # supplied or flagged by another worker meanwhile
    lacking = missing(case)
    if not lacking:
        case.materials_promised_by = None
        work.event(EventType.MATERIALS_PROMISE_KEPT, case, promised_by=None)
        return False
    case.materials_promise_broken_at = work.now
    promised_by = case.materials_promised_by.isoformat()
    work.event(EventType.MATERIALS_PROMISE_BROKEN, case, promised_by=promised_by, missing=lacking)
    work.notify(
        [case.owner_id],
        NotificationKind.MATERIALS_OVERDUE,
        case,
        receipt_code=case.receipt_code,
        item=case.catalog_item.name,
        promised_by=promised_by,
        missing=lacking,
    )
    return True
