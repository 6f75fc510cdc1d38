"""Call-backs (回访): draw a share of a month's closed items, record each call, review the unhappy ones."""

from __future__ import annotations

import math
import random
from datetime import date, datetime
from fractions import Fraction

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from ..cases.pipeline import Work, execute
from ..kernel.errors import Conflict, Forbidden, Invalid, NotFound
from ..kernel.i18n import N_
from ..kernel.vocabulary import COMPLAINT_ROLES, EventType, UnitKind
from ..store.models import Case, OrgUnit, User
from ..store.oversight_tables import CALL_OUTCOMES, CallBack, Complaint, Review
from ..store.paging import Page, clamp_page, parse_id
from .assessment import SUPERVISION_ROLES, config, in_unit, local_bounds, month_end, scoped_unit

MAX_SEED = 2**31 - 1


def sample(ids: list[int], share, seed: int) -> list[int]:
    """The same ids, share and seed always draw the same items (share rounded up, at least one)."""
    population = sorted(ids)
    k = min(len(population), math.ceil(len(population) * Fraction(str(share))))
    return sorted(random.Random(seed).sample(population, k))


def _parse_draw(seed, share) -> tuple[int, float]:
    errors: dict[str, str] = {}
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        errors["seed"] = N_("a whole number from 0 to 2147483647")
    share = config()["callbacks"]["share"] if share is None else share
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share <= 1:
        errors["share"] = N_("a share above 0 and at most 1")
    if errors:
        raise Invalid(N_("the call-backs cannot be drawn"), errors)
    return seed, float(share)


def draw_callbacks(
    session: Session, actor: User, unit_code, first: date, seed, share=None, now: datetime | None = None
) -> list[CallBack]:
    """Draw the month's call-back list for the unit's subtree (items already drawn are not drawn again)."""

    def act(work: Work) -> list[CallBack]:
        drawn_seed, drawn_share = _parse_draw(seed, share)
        unit = scoped_unit(session, actor, unit_code)
        lo, hi = local_bounds(first, month_end(first))
        already = select(CallBack.case_id)
        rows = session.execute(
            select(Case.id, Case.township_id).where(
                in_unit(session, unit), Case.closed_at >= lo, Case.closed_at < hi, Case.id.not_in(already)
            )
        ).all()
        townships = dict(rows)
        chosen = sample(list(townships), drawn_share, drawn_seed)
        if not chosen:
            raise Conflict(N_("no closed items left to draw for this month"))
        month = first.strftime("%Y-%m")
        drawn = [
            CallBack(
                case_id=i,
                township_id=townships[i],
                month=month,
                seed=drawn_seed,
                drawn_at=work.now,
                drawn_by_id=actor.id,
                status="pending",
            )
            for i in chosen
        ]
        session.add_all(drawn)
        work.event(
            EventType.CALLBACKS_DRAWN,
            None,
            unit=unit.code,
            month=month,
            seed=drawn_seed,
            share=drawn_share,
            population=len(townships),
            cases=chosen,
        )
        return drawn

    return execute(session, actor, act, now)


def _supervises(actor: User, township: OrgUnit) -> bool:
    return any(a.role in SUPERVISION_ROLES and township.path.startswith(a.org_unit.path) for a in actor.roles)


def visible_record(session: Session, actor: User, model, record_id):
    number = parse_id(record_id)  # a number beyond BIGINT is no id, not an overflow
    record = session.get(model, number) if number else None
    if record is None or not _supervises(actor, record.township):
        raise NotFound(N_("no such record"))
    return record


def callback(session: Session, actor: User, callback_id) -> CallBack:
    return visible_record(session, actor, CallBack, callback_id)


def _note(value, field: str, required: bool) -> str | None:
    if value in (None, "") and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > 2000:
        raise Invalid(N_("the record cannot be saved"), {field: N_("required, at most 2000 characters")})
    return value.strip()


def record_callback(
    session: Session, actor: User, callback_id, outcome, note=None, now: datetime | None = None
) -> CallBack:
    """The call's outcome; a dissatisfied resident opens a review for the supervisors."""

    def act(work: Work) -> CallBack:
        record = callback(session, actor, callback_id)
        if outcome not in CALL_OUTCOMES:
            raise Invalid(N_("the record cannot be saved"), {"outcome": N_("choose an outcome")})
        text = _note(note, "note", required=False)
        if record.status != "pending":
            raise Conflict(N_("this call-back has already been recorded"))
        record.status, record.outcome, record.note = "done", outcome, text
        record.called_at, record.called_by_id = work.now, actor.id
        review = None
        if outcome == "dissatisfied":
            review = Review(
                case_id=record.case_id,
                callback_id=record.id,
                township_id=record.township_id,
                reason=text or "dissatisfied call-back",
                status="open",
                opened_at=work.now,
            )
            session.add(review)
        work.event(
            EventType.CALLBACK_RECORDED, record.case, outcome=outcome, note=text, review_opened=review is not None
        )
        return record

    return execute(session, actor, act, now)


def close_record(session: Session, actor: User, model, record_id, resolution, now: datetime | None = None):
    """Close a review or a complaint with what was found and done."""

    def act(work: Work):
        record = visible_record(session, actor, model, record_id)
        text = _note(resolution, "resolution", required=True)
        if record.status != "open":
            raise Conflict(N_("this record is already closed"))
        if model is Complaint and not any(a.role in COMPLAINT_ROLES for a in actor.roles):
            raise Forbidden(N_("only the discipline committee closes complaints"))
        record.status, record.resolution, record.closed_at, record.closed_by_id = "closed", text, work.now, actor.id
        kind = EventType.REVIEW_CLOSED if model is Review else EventType.COMPLAINT_CLOSED
        work.event(kind, record.case, record=record.id, resolution=text)
        return record

    return execute(session, actor, act, now)


def township_condition(model, unit: OrgUnit):
    """Records of townships inside the unit, or of the township that holds it."""
    township = OrgUnit.__table__.alias("township_scope")
    return model.township_id.in_(
        select(township.c.id).where(
            township.c.kind == UnitKind.TOWNSHIP,
            or_(
                township.c.path.startswith(unit.path),
                func.substr(unit.path, 1, func.length(township.c.path)) == township.c.path,
            ),
        )
    )


def records(session: Session, model, unit: OrgUnit, status: str | None = None, page=1, per_page=20) -> Page:
    page, per_page = clamp_page(page, per_page)
    where = and_(township_condition(model, unit), *([model.status == status] if status else []))
    total = session.scalar(select(func.count()).select_from(model).where(where))
    order = getattr(model, {"CallBack": "drawn_at", "Review": "opened_at", "Complaint": "filed_at"}[model.__name__])
    items = list(
        session.scalars(
            select(model)
            .where(where)
            .order_by(order.desc(), model.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        ).unique()
    )
    return Page(items, total or 0, page, per_page)
