"""What a resident may learn and do without logging in: the progress of their own item, its rating."""

from __future__ import annotations

import hmac
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from ..cases.pipeline import Work, execute
from ..cases.rectification import open_for_rating
from ..kernel.errors import Conflict, Invalid, NotFound
from ..kernel.i18n import N_
from ..kernel.vocabulary import CASE_OPEN, CaseStatus, EventType, Rating
from ..store.models import Case, Event
from .context import case_outcome
from .progress import current_step
from .shapes import iso
from .whereabouts import unit_names, units_now

RATINGS = tuple(Rating.codes())  # the national 好差评 scale
REPLIED = (CaseStatus.CLOSED, CaseStatus.ARCHIVED)


def own_case(session: Session, receipt_code, phone_last4) -> Case:
    """Receipt code plus the phone's last four digits; any mismatch is the same NotFound."""
    if not isinstance(receipt_code, str) or not isinstance(phone_last4, str) or len(receipt_code) > 32:
        raise NotFound(N_("no item matches"))
    if len(phone_last4.strip()) != 4:  # an item without a phone on record (imported history) never matches
        raise NotFound(N_("no item matches"))
    case = session.scalar(
        select(Case).where(Case.receipt_code == receipt_code.strip().upper(), Case.is_test_run.is_(False))
    )
    expected = case.resident_phone[-4:] if case is not None else "----"
    if case is None or not hmac.compare_digest(expected.encode(), phone_last4.strip().encode()):
        raise NotFound(N_("no item matches"))
    return case


def _resident_rated(session: Session, case: Case) -> bool:
    """The resident has rated (their rating kept; the event also answers for rows rated before it was)."""
    if case.resident_rating is not None:
        return True
    return (
        session.scalar(select(exists().where(Event.case_id == case.id, Event.type == EventType.RESIDENT_RATED))) is True
    )


def progress(session: Session, receipt_code, phone_last4) -> dict:
    case = own_case(session, receipt_code, phone_last4)

    rated = _resident_rated(session, case)
    answer, refused = case_outcome(session, case)
    replied = case.status in REPLIED
    return {
        "receipt_code": case.receipt_code,
        "status": case.status,
        "step": current_step(session, case) if case.status == CaseStatus.OPEN else None,
        # 当前所在 by name: every unit holding an open step (a joint item: each department at once).
        "now_at": unit_names(units_now(session, [case])[case.id]) if case.status in CASE_OPEN else [],
        "due_at": iso(case.due_at),
        "catalog_name": case.catalog_item.name,
        "catalog_name_en": case.catalog_item.name_en,
        "closed_at": iso(case.closed_at),
        "may_rate": case.status in REPLIED and not rated,
        "rated": rated,
        "resident_rating": case.resident_rating,
        "notices": written_notices(session, case),
        # The answer once the village agent has given it to the resident (never a step's draft).
        "result": answer["text"] if replied and answer else None,
        "approved": answer["approved"] if replied and answer else None,
        "answered_by": answer["unit"] if replied and answer else None,
        # Why an item not accepted (or withdrawn) ended, and where to go instead.
        "reason": refused["reason"] if case.status == CaseStatus.RETURNED and refused else None,
        "where_to_go": refused["where_to_go"] if case.status == CaseStatus.RETURNED and refused else None,
    }


def written_notices(session: Session, case: Case) -> list[dict]:
    """What the item's steps told the resident in writing (the text values a step's `notice`
    property names, e.g. the county window's progress notice), oldest first."""

    events = session.scalars(
        select(Event)
        .where(Event.case_id == case.id, Event.type == EventType.TASK_COMPLETED)
        .order_by(Event.at, Event.id)
    )
    return [
        {"at": iso(event.at), "step": event.detail.get("name"), "text": text}
        for event in events
        for text in (event.detail.get("notice") or {}).values()
        if isinstance(text, str) and text.strip()
    ]


def rate_by_resident(
    session: Session, receipt_code, phone_last4, rating, comment=None, now: datetime | None = None
) -> Case:
    """After the reply the resident rates the item themselves, once. Their rating is kept beside the one
    the agent recorded at the reply (neither overwrites the other); a 差评 opens a rectification (整改)."""

    def act(work: Work) -> Case:
        case = own_case(session, receipt_code, phone_last4)
        work.lock_case(case.id, with_state=False)  # two ratings at once: the second waits, then sees the first
        errors = {}
        if rating not in RATINGS:
            errors["rating"] = N_("choose a rating")
        if comment not in (None, "") and (not isinstance(comment, str) or len(comment) > 2000):
            errors["comment"] = N_("at most 2000 characters")
        if errors:
            raise Invalid(N_("the rating cannot be saved"), errors)
        if case.status not in REPLIED:
            raise Conflict(N_("the item can be rated after the reply"))
        if _resident_rated(session, case):
            raise Conflict(N_("this item has already been rated"))
        case.resident_rating = rating
        said = (comment or "").strip() or None
        rectification = open_for_rating(work, case, rating, "resident", said)
        work.event(
            EventType.RESIDENT_RATED,
            case,
            rating=rating,
            comment=said,
            source="public",
            rectification=rectification.id if rectification else None,
        )
        return case

    return execute(session, None, act, now)
