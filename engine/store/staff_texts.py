"""Texts to staff: a notification whose kind the person chose to get on their phone too (or, until they
choose, one of PHONE_DEFAULT_KINDS) is also a row in the SMS outbox, written by the unit of work in the
same transaction as the notification, and sent by the worker like any text (quiet hours, daily cap,
retries). The text comes from config/sms.toml [staff_templates]: the step, the item and its receipt code,
never anything about the resident."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..kernel.vocabulary import PHONE_DEFAULT_KINDS
from .models import RoleAssignment, User
from .notice_tables import Notification, SmsMessage
from .sms_config import config, county_of_path, quiet_until

PREFIX = "staff_"  # the outbox's template of a staff text: staff_<notification kind>


def phone_kinds(user: User) -> set[str]:
    """The notification kinds that also go to this person's phone."""
    return set(PHONE_DEFAULT_KINDS if user.phone_kinds is None else user.phone_kinds)


def text_staff(session: Session, notices: Iterable[Notification], now: datetime) -> list[SmsMessage]:
    templates = config().get("staff_templates", {})
    notices = [n for n in notices if n.kind in templates]  # a kind without a text is never sent
    if not notices:
        return []
    people = {
        u.id: u
        for u in session.scalars(
            select(User)
            .where(User.id.in_({n.user_id for n in notices}), User.phone.is_not(None), User.active)
            # Their units name the county whose quiet hours apply: read with them, not one by one.
            .options(selectinload(User.roles).joinedload(RoleAssignment.org_unit))
        )
    }
    written = []
    for notice in notices:
        person = people.get(notice.user_id)
        if person is None or notice.kind not in phone_kinds(person) or notice.kind not in templates:
            continue
        detail = {key: str((notice.detail or {}).get(key) or "") for key in ("name", "receipt_code", "item", "by")}
        county = county_of_path(person.roles[0].org_unit.path) if person.roles else "default"
        message = SmsMessage(
            key=uuid.uuid4().hex,
            case_id=notice.case_id,
            user_id=person.id,
            to=person.phone,
            template=PREFIX + notice.kind,
            text=templates[notice.kind].format(**detail),
            receipt_code=detail["receipt_code"] or None,
            status="pending",
            attempts=0,
            created_at=now,
            next_try_at=quiet_until(county, now),
        )
        session.add(message)
        written.append(message)
    return written
