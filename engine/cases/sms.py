"""Texts to residents through the outbox (config/sms.toml): written in the transaction of the change
that causes them, so a text goes out exactly when its change happened, and sent later by the worker
(engine/cases/sms_delivery.py).

The pipeline (`Work.before_commit`, engine/cases/pipeline.py) texts the resident when an item is
accepted (opened), when it waits for missing materials (the one-time notice), when it is closed
(the result is ready) and when it is archived without a rating (an invitation to rate). Each
template goes to one item at most once. Nothing more personal than the item's name and its
receipt code is ever in a text."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..kernel.settings import public_url
from ..kernel.vocabulary import CaseStatus
from ..store.models import Case
from ..store.notice_tables import SmsMessage
from ..store.sms_config import config, county_of, quiet_until

# What a case's new status texts the resident.
BY_STATUS = {
    CaseStatus.WAITING_MATERIALS: "missing_materials",
    CaseStatus.CLOSED: "result_ready",
    CaseStatus.ARCHIVED: "rate",
}
ACCEPTED = "accepted"


def text_resident(session: Session, case: Case, template: str, now: datetime) -> SmsMessage | None:
    """Put the template's text for this item's resident in the outbox (once per item and template)."""
    if case.is_test_run or not case.resident_phone:
        return None
    if session.scalar(select(SmsMessage.id).where(SmsMessage.case_id == case.id, SmsMessage.template == template)):
        return None
    link = f"{public_url()}/progress?receipt={case.receipt_code}"
    body = config()["templates"][template]["text"].format(
        item=case.catalog_item.name, receipt_code=case.receipt_code, link=link
    )
    message = SmsMessage(
        key=uuid.uuid4().hex,
        case_id=case.id,
        to=case.resident_phone,
        template=template,
        text=body,
        receipt_code=case.receipt_code,
        status="pending",
        attempts=0,
        created_at=now,
        next_try_at=quiet_until(county_of(case), now),
    )
    session.add(message)
    return message


def texts_for(opened: bool, status_before: str, case: Case) -> list[str]:
    """The templates a command sends: acceptance when it opened the item, and what the item's new
    status means (missing materials, result ready, rate)."""
    texts = [ACCEPTED] if opened else []
    if case.status != status_before and case.status in CaseStatus.codes():
        template = BY_STATUS.get(CaseStatus(case.status))
        if template and not (template == "rate" and case.rating is not None):
            texts.append(template)
    return texts
