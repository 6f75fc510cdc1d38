"""Residents ask online (群众张嘴): a public form reaches the village agent as an inquiry to call back within
one working day; the agent records the call-back and what became of it (answered, an item opened, referred,
declined); the resident looks it up by its reference and the last four digits of the phone."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..kernel.clock import utcnow
from ..kernel.errors import Conflict, Forbidden, Invalid, NotFound
from ..kernel.i18n import N_
from ..kernel.vocabulary import EventType, RequestStatus, UnitKind
from ..org.access import may_open_for
from ..org.org import unit_by_code
from ..store.asking_tables import ResidentRequest
from ..store.calendar import TZ, default_calendar
from ..store.models import Case, OrgUnit, User
from ..store.paging import Page, clamp_page, iso, paginate, parse_id
from ..store.unit_of_work import Work, execute
from .households import PHONE
from .outcomes import OPENS_ITEM, TEXT_LIMIT, check_outcome, open_item, parse_moment
from .scope import may_keep, may_see, village_ids
from .tags import callback_working_days


def _reference(now: datetime) -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # read out over the phone: no 0/O, 1/I
    return "WS" + now.astimezone(TZ).strftime("%y%m%d") + "".join(secrets.choice(alphabet) for _ in range(6))


def submit_request(session: Session, body, now: datetime | None = None) -> ResidentRequest:
    """A resident's request from the public form: no login; due for a call-back in one working day."""
    if not isinstance(body, dict):
        raise Invalid(N_("the body must be a JSON object"), {"body": N_("a JSON object")})
    errors: dict[str, str] = {}
    name, phone, code, text = body.get("name"), body.get("phone"), body.get("village"), body.get("text")
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        errors["name"] = N_("your name is required")
    if not isinstance(phone, str) or not PHONE.match(phone.strip()):
        errors["phone"] = N_("a phone number is required")
    village = unit_by_code(session, code) if isinstance(code, str) and code else None
    if village is None or village.kind != UnitKind.VILLAGE or not village.active:
        errors["village"] = N_("choose your village")
    if not isinstance(text, str) or not text.strip() or len(text) > TEXT_LIMIT:
        errors["text"] = N_("say what you need, at most 2000 characters")
    if errors:
        raise Invalid(N_("the request cannot be sent"), errors)
    assert village is not None and isinstance(name, str) and isinstance(phone, str) and isinstance(text, str)
    village_id = village.id

    def act(work: Work) -> ResidentRequest:
        request = ResidentRequest(
            reference=_reference(work.now),
            name=name.strip(),
            phone=phone.strip(),
            village_id=village_id,
            text=text.strip(),
            status=RequestStatus.AWAITING_CALLBACK.value,
            submitted_at=work.now,
            due_at=default_calendar(work.session).deadline(work.now, callback_working_days()),
        )
        work.session.add(request)
        work.session.flush()
        work.event(EventType.RESIDENT_REQUEST_RECEIVED, request_id=request.id, reference=request.reference)
        return request

    return execute(session, None, act, now)


def get_request(session: Session, user: User, request_id) -> ResidentRequest:
    number = parse_id(request_id)
    request = session.get(ResidentRequest, number) if number else None
    if request is None or not may_see(user, request.village):
        raise NotFound(N_("no such request"))
    return request


def list_requests(session: Session, user: User, status=None, village=None, page=None, per_page=None) -> Page:
    """Requests the user may see: waiting ones by their call-back deadline first, answered ones newest first."""
    query = select(ResidentRequest).where(ResidentRequest.village_id.in_(village_ids(user)))
    if status in RequestStatus.codes():
        query = query.where(ResidentRequest.status == status)
    if isinstance(village, str) and village:
        query = query.join(OrgUnit, OrgUnit.id == ResidentRequest.village_id).where(OrgUnit.code == village[:64])
    order = (
        (ResidentRequest.closed_at.desc(),)
        if status == RequestStatus.CALLED_BACK
        else (ResidentRequest.status, ResidentRequest.due_at, ResidentRequest.id)
    )
    page_no, size = clamp_page(page, per_page)
    return paginate(session, query.order_by(*order), page_no, size)


def answer_request(session: Session, actor: User, request_id, body, now: datetime | None = None) -> ResidentRequest:
    """回复诉求: the agent called the resident back; what became of the request, and the item it opened."""
    now = now or utcnow()
    if not isinstance(body, dict):
        raise Invalid(N_("the body must be a JSON object"), {"body": N_("a JSON object")})
    request = get_request(session, actor, request_id)
    if not may_keep(actor, request.village):
        raise Forbidden(N_("you do not keep records for this village"))
    if request.status != RequestStatus.AWAITING_CALLBACK:
        raise Conflict(N_("this request was already answered"))
    errors: dict[str, str] = {}
    contacted = parse_moment(body.get("contacted_at"), "contacted_at", errors, now, now)
    if contacted < request.submitted_at:
        errors["contacted_at"] = N_("cannot be before the request arrived")
    outcome = check_outcome(session, body, "", errors)
    if errors:
        raise Invalid(N_("the answer cannot be recorded"), errors)
    if outcome["outcome"] in OPENS_ITEM and not may_open_for(actor, request.village):
        raise Forbidden(N_("you may not open items for this village"))
    request_pk = request.id
    case: Case | None = None
    if outcome["outcome"] in OPENS_ITEM:
        case = open_item(
            session, actor, outcome["catalog_code"], request.name, request.phone, request.village, request.text, now
        )
    case_id = case.id if case else None

    def act(work: Work) -> ResidentRequest:
        row = work.session.scalar(
            select(ResidentRequest).where(ResidentRequest.id == request_pk).with_for_update(of=ResidentRequest)
        )
        assert row is not None
        if row.status != RequestStatus.AWAITING_CALLBACK:
            raise Conflict(N_("this request was already answered"))
        row.status = RequestStatus.CALLED_BACK.value
        row.contacted_at = contacted
        row.outcome = outcome["outcome"]
        row.answer = outcome["answer"]
        row.catalog_code = outcome["catalog_code"]
        row.reason = outcome["reason"]
        row.case_id = case_id
        row.closed_by_id = actor.id
        row.closed_at = work.now
        work.event(
            EventType.RESIDENT_REQUEST_CLOSED,
            request_id=row.id,
            reference=row.reference,
            outcome=row.outcome,
            case_id=case_id,
        )
        return row

    return execute(session, actor, act, now)


def public_status(session: Session, reference, phone_last4) -> dict:
    """What the resident sees by reference and phone: any mismatch is a 404 that tells nothing."""
    request = (
        session.scalar(select(ResidentRequest).where(ResidentRequest.reference == reference.strip().upper()))
        if isinstance(reference, str) and 0 < len(reference) <= 32
        else None
    )
    if (
        request is None
        or not isinstance(phone_last4, str)
        or len(phone_last4) != 4
        or not request.phone.endswith(phone_last4)
    ):
        raise NotFound(N_("no request matches this reference and phone"))
    case = session.get(Case, request.case_id) if request.case_id else None
    receipt = case.receipt_code if case else None
    return {
        "reference": request.reference,
        "status": request.status,
        "submitted_at": iso(request.submitted_at),
        "due_at": iso(request.due_at),
        "contacted_at": iso(request.contacted_at),
        "outcome": request.outcome,
        "answer": request.answer,
        "reason": request.reason,
        "receipt_code": receipt,
    }
