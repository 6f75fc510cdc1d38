"""Visits and the needs diary (民情日记): one contact with a household and the needs raised in it, each
answered, opened as a proxy item, referred or declined. A retried POST with the same Idempotency-Key
replays the first visit; the same key with another body is refused."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..kernel.clock import utcnow
from ..kernel.dates import EARLIEST, LATEST, OUT_OF_RANGE
from ..kernel.errors import Forbidden, Invalid
from ..kernel.i18n import N_
from ..kernel.vocabulary import ContactChannel, EventType
from ..org.access import may_open_for
from ..store import idempotency
from ..store.asking_tables import Household, Need, Visit
from ..store.calendar import TZ
from ..store.models import Case, OrgUnit, User
from ..store.paging import Page, clamp_page, paginate
from ..store.unit_of_work import Work, execute
from .households import get_household
from .outcomes import OPENS_ITEM, TEXT_LIMIT, check_outcome, open_item, parse_moment
from .scope import may_keep, village_ids

MAX_NEEDS = 20


@dataclass
class Recorded:
    visit: Visit
    replayed: bool


def _hash(body: dict) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def _replay(session: Session, actor: User, key: str, digest: str) -> Visit | None:
    visit = session.scalar(select(Visit).where(Visit.recorded_by_id == actor.id, Visit.idempotency_key == key))
    if visit is not None and visit.request_hash != digest:
        raise Invalid(
            N_("this Idempotency-Key was used for another request"),
            {"Idempotency-Key": N_("use a new key for a new visit")},
        )
    return visit


def _check(session: Session, actor: User, body: dict, now: datetime):
    household = get_household(session, actor, body.get("household_id"))
    if not may_keep(actor, household.village):
        raise Forbidden(N_("you do not keep records for this village"))
    errors: dict[str, str] = {}
    channel = body.get("channel") or ContactChannel.HOME_VISIT.value
    if channel not in ContactChannel.codes():
        errors["channel"] = N_("unknown way of contact")
    at = parse_moment(body.get("at"), "at", errors, now, now)
    note = body.get("note") or ""
    if not isinstance(note, str) or len(note) > TEXT_LIMIT:
        errors["note"] = N_("too long")
    needs = body.get("needs") if body.get("needs") is not None else []
    if not isinstance(needs, list) or len(needs) > MAX_NEEDS:
        errors["needs"] = N_("a list of at most 20 needs")
        needs = []
    clean = []
    for i, need in enumerate(needs):
        prefix = f"needs.{i}."
        if not isinstance(need, dict):
            errors[f"needs.{i}"] = N_("a need is an object")
            continue
        text = need.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > TEXT_LIMIT:
            errors[f"{prefix}text"] = N_("what the resident needs is required")
            text = ""
        clean.append({"text": text.strip(), **check_outcome(session, need, prefix, errors)})
    if errors:
        raise Invalid(N_("the visit cannot be recorded"), errors)
    if any(n["outcome"] in OPENS_ITEM for n in clean) and not may_open_for(actor, household.village):
        raise Forbidden(N_("you may not open items for this village"))
    return household, channel, at, note.strip(), clean


def record_visit(
    session: Session, actor: User, body, idempotency_key: str | None = None, now: datetime | None = None
) -> Recorded:
    """记录走访: the visit, its needs and, for each need opened as an item, the item (opened first)."""
    now = now or utcnow()
    if not isinstance(body, dict):
        raise Invalid(N_("the body must be a JSON object"), {"body": N_("a JSON object")})
    key = idempotency_key.strip() if isinstance(idempotency_key, str) and idempotency_key.strip() else None
    if key is not None and len(key) > 100:
        raise Invalid(N_("the Idempotency-Key is too long"), {"Idempotency-Key": N_("at most 100 characters")})
    digest = _hash(body)
    if key is not None:
        earlier = _replay(session, actor, key, digest)
        if earlier is not None:
            return Recorded(earlier, True)
    household, channel, at, note, needs = _check(session, actor, body, now)
    household_id, village, head, phone = household.id, household.village, household.head_name, household.phone

    def opened(i: int, need: dict) -> int:
        def make():
            return open_item(session, actor, need["catalog_code"], head, phone, village, need["text"], now)

        if key is None:
            return make().id
        # Each item a need opens commits with a key of its own (derived from the visit's), so a retry after a
        # crash or a lost answer between the items and the visit reuses them instead of opening more.
        need_key = f"visit-need:{hashlib.sha256(key.encode()).hexdigest()[:40]}:{i}"
        return idempotency.once(session, actor, need_key, digest, Case, make)

    case_ids = [opened(i, n) if n["outcome"] in OPENS_ITEM else None for i, n in enumerate(needs)]

    def act(work: Work) -> Visit:
        row = work.session.get(Household, household_id)
        assert row is not None  # households are never deleted
        visit = Visit(
            household_id=household_id,
            village_id=row.village_id,
            channel=channel,
            at=at,
            note=note,
            recorded_by_id=actor.id,
            recorded_at=work.now,
            idempotency_key=key,
            request_hash=digest if key else None,
        )
        visit.needs = [Need(**n, case_id=case_id) for n, case_id in zip(needs, case_ids, strict=True)]
        work.session.add(visit)
        if row.last_visited_at is None or row.last_visited_at < at:
            row.last_visited_at = at
        work.session.flush()
        work.event(
            EventType.VISIT_RECORDED,
            visit_id=visit.id,
            household_id=household_id,
            channel=channel,
            needs=len(needs),
            case_ids=[c for c in case_ids if c],
        )
        return visit

    return Recorded(execute(session, actor, act, now), False)


def _day(value, field: str, errors: dict):
    """A day of a filter, 2000 to 2099 (beyond that no visit exists, and the database's dates end)."""
    if value in (None, ""):
        return None
    try:
        day = datetime.fromisoformat(value).date()
    except (TypeError, ValueError):
        errors[field] = N_("a date like 2026-05-01")
        return None
    if not EARLIEST <= day <= LATEST:
        errors[field] = OUT_OF_RANGE
        return None
    return datetime.combine(day, time.min, TZ)


def list_visits(session: Session, user: User, village=None, date_from=None, date_to=None, page=None, per_page=None):
    """Visits the user may see, newest first, by village and date range (both days included)."""
    errors: dict[str, str] = {}
    start, end = _day(date_from, "from", errors), _day(date_to, "to", errors)
    if errors:
        raise Invalid(N_("bad period"), errors)
    query = select(Visit).where(Visit.village_id.in_(village_ids(user)))
    if isinstance(village, str) and village:
        query = query.join(OrgUnit, OrgUnit.id == Visit.village_id).where(OrgUnit.code == village[:64])
    if start:
        query = query.where(Visit.at >= start)
    if end:
        query = query.where(Visit.at < end + timedelta(days=1))
    page_no, size = clamp_page(page, per_page)
    result: Page = paginate(session, query.order_by(Visit.at.desc(), Visit.id.desc()), page_no, size)
    return result


def household_visits(session: Session, household_id: int, limit: int = 50) -> list[Visit]:
    return list(
        session.scalars(select(Visit).where(Visit.household_id == household_id).order_by(Visit.at.desc()).limit(limit))
    )
