"""Texts to residents through the outbox (config/sms.toml): written in the transaction of the change
that causes them, so a text goes out exactly when its change happened, and sent later by the worker
(engine/cases/sms_delivery.py).

The pipeline (`Work.before_commit`, engine/cases/pipeline.py) texts the resident when an item is
accepted (opened), when it waits for missing materials (the one-time notice), when it is closed
(the result is ready) and when it is archived without a rating (an invitation to rate). Each
template goes to one item at most once. Nothing more personal than the item's name and its
receipt code is ever in a text."""

from __future__ import annotations

import tomllib
import uuid
from datetime import datetime, time, timedelta
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..kernel.settings import CONFIG_DIR, public_url
from ..kernel.vocabulary import CaseStatus
from ..store.calendar import TZ
from ..store.models import Case
from ..store.notice_tables import SmsMessage

# What a case's new status texts the resident.
BY_STATUS = {
    CaseStatus.WAITING_MATERIALS: "missing_materials",
    CaseStatus.CLOSED: "result_ready",
    CaseStatus.ARCHIVED: "rate",
}
ACCEPTED = "accepted"


@lru_cache(maxsize=1)
def config() -> dict:
    return tomllib.loads((CONFIG_DIR / "sms.toml").read_text(encoding="utf-8"))


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def quiet_until(county: str, moment: datetime) -> datetime:
    """`moment`, or when it falls in the county's quiet hours, the end of them (local time)."""
    hours = config().get("quiet_hours", {})
    start, end = (_clock(v) for v in hours.get(county) or hours.get("default") or ["00:00", "00:00"])
    if start == end:
        return moment
    local = moment.astimezone(TZ)
    now = local.time()
    quiet = (now >= start or now < end) if start > end else (start <= now < end)
    if not quiet:
        return moment
    day = local.date() if now < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=TZ)


def county_of(case: Case) -> str:
    return case.village.path.strip("/").split("/")[0]


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
