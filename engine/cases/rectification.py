"""整改: a 差评 (不满意 / 非常不满意) sets the responsible unit a rectification, due in 15 working days,
watched by the supervisors above the item's township and its discipline committee (乡纪委). It closes
only with the result of a call-back to the resident (回访), written by whoever closes it.

Opening is part of the command that records the rating (the agent's reply step, or the resident's
rating on the portal), so the rating and its rectification are one transaction and one event. One
item has at most one open rectification: a second 差评 while one is open adds nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..kernel.errors import Conflict, Invalid, NotFound
from ..kernel.i18n import N_
from ..kernel.vocabulary import BAD_RATINGS, SUPERVISION_ROLES, EventType, NotificationKind, Rating, RectificationStatus
from ..org.org import unit_by_code
from ..store.calendar import default_calendar
from ..store.models import Case, Event, OrgUnit, RoleAssignment, User
from ..store.oversight_tables import Rectification
from ..store.paging import parse_id
from .pipeline import Work, execute

DUE_WORKING_DAYS = 15
ANSWER_FIELD = "answer"  # the answering step's result field (engine/read/context.py reads the same)
MAX_RESULT = 2000


def responsible_unit(session: Session, case: Case) -> OrgUnit:
    """The unit that gave the item its answer (the lead department's consolidated answer, the station's
    or the village's); the item's village when no step answered (the agent who served the resident)."""
    events = session.scalars(
        select(Event)
        .where(Event.case_id == case.id, Event.type == EventType.TASK_COMPLETED)
        .order_by(Event.at.desc(), Event.id.desc())
    )
    for event in events:
        data = event.detail.get("data") or {}
        answer = data.get(ANSWER_FIELD)
        if isinstance(answer, str) and answer.strip() and event.detail.get("unit"):
            unit = unit_by_code(session, str(event.detail["unit"]))
            if unit is not None:
                return unit
    return case.village


def open_rectification(session: Session, case: Case) -> Rectification | None:
    return session.scalar(
        select(Rectification).where(Rectification.case_id == case.id, Rectification.status == RectificationStatus.OPEN)
    )


def open_for_rating(work: Work, case: Case, rating: str, source: str, comment: str | None = None):
    """Inside the rating's command: a 差评 opens the item's rectification (unless one is open) and tells
    the responsible unit's people. Returns the new rectification, or None."""
    if rating not in BAD_RATINGS or case.is_test_run:
        return None
    session = work.session
    if open_rectification(session, case) is not None:
        return None
    unit = responsible_unit(session, case)
    record = Rectification(
        case_id=case.id,
        unit_id=unit.id,
        township_id=case.township_id,
        rating=rating,
        source=source,
        comment=comment,
        status=RectificationStatus.OPEN,
        opened_at=work.now,
        due_at=default_calendar(session).deadline(work.now, DUE_WORKING_DAYS),
    )
    session.add(record)
    session.flush()
    people = session.scalars(
        select(RoleAssignment.user_id)
        .join(User, User.id == RoleAssignment.user_id)
        .where(RoleAssignment.org_unit_id == unit.id, User.active)
        .order_by(RoleAssignment.user_id)
        .distinct()
    )
    work.notify(
        list(people),
        NotificationKind.RECTIFICATION_OPENED,
        case,
        receipt_code=case.receipt_code,
        item=case.catalog_item.name,
        rectification=record.id,
    )
    return record


def record_agent_rating(work: Work, case: Case, valid: dict) -> Rectification | None:
    """The rating the agent records at the reply step (the form's `rating`, a case field), kept beside
    the resident's own. The step done again after a return or withdrawal records its answer again; a
    差评 opens a rectification unless one is already open."""
    rating = valid.get("rating")
    if rating not in Rating.codes():
        raise Invalid(N_("the rating cannot be saved"), {"rating": N_("choose a rating")})
    case.rating = rating
    comment = valid.get("comment")
    return open_for_rating(work, case, rating, "agent", comment.strip() or None if isinstance(comment, str) else None)


def find(session: Session, rectification_id) -> Rectification:
    number = parse_id(rectification_id)
    record = session.get(Rectification, number) if number else None
    if record is None:
        raise NotFound(N_("no such rectification"))
    return record


def close_rectification(
    session: Session, actor: User, rectification_id, callback_result, now: datetime | None = None
) -> Rectification:
    """Close a rectification with the call-back's result: the responsible unit, a supervisor or the
    discipline committee above the item (config/permissions.toml [close_rectification])."""

    def act(work: Work) -> Rectification:
        record = find(session, rectification_id)
        work.lock_case(record.case_id, with_state=False)
        session.refresh(record)
        if not may_see(actor, record):
            raise NotFound(N_("no such rectification"))
        work.may("close_rectification", case=record.case)
        text = callback_result.strip() if isinstance(callback_result, str) else ""
        if not text or len(text) > MAX_RESULT:
            raise Invalid(
                N_("the rectification cannot be closed"),
                {"callback_result": N_("write what the resident said on the call-back (at most 2000 characters)")},
            )
        if record.status != RectificationStatus.OPEN:
            raise Conflict(N_("this rectification is already closed"))
        record.status = RectificationStatus.CLOSED
        record.callback_result, record.closed_at, record.closed_by_id = text, work.now, actor.id
        work.event(
            EventType.RECTIFICATION_CLOSED,
            record.case,
            rectification=record.id,
            unit=record.unit.code,
            callback_result=text,
            late=work.now > record.due_at,
        )
        return record

    return execute(session, actor, act, now)


def may_see(actor: User, record: Rectification) -> bool:
    """The responsible unit's people; supervisors, leaders, administrators and the discipline
    committee of the item's township or a unit above it."""
    return any(
        a.org_unit_id == record.unit_id
        or (a.role in SUPERVISION_ROLES and record.township.path.startswith(a.org_unit.path))
        for a in actor.roles
    )
