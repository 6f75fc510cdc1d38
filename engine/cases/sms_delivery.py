"""The outbox worker: hands each due text to the SMS gateway, one command per try.

A message is taken `FOR UPDATE SKIP LOCKED` on PostgreSQL (SQLite: a conditional update takes the
one write lock), so two workers never send one row at the same time, and the row stays locked
while the gateway answers. Every try of a row carries the row's `Idempotency-Key`: a worker killed
after the gateway accepted a text but before marking it sent leaves the row pending, and the next
try is recognised by the gateway as the same message, so the resident never gets it twice.

2xx marks it sent; any other answer, a timeout or a refused connection is retried with exponential
backoff (config/sms.toml), and after the last try it is marked failed, for the administrator to see
and resend. Without a gateway (`DAIBAN_SMS_URL` unset) nothing is sent and the texts wait."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from ..kernel.clock import utcnow
from ..kernel.errors import Conflict, NotFound
from ..kernel.i18n import N_
from ..kernel.vocabulary import EventType
from ..org.admin_scope import require_admin
from ..store import unit_of_work
from ..store.calendar import TZ
from ..store.db import rowcount
from ..store.models import User
from ..store.notice_tables import SmsMessage
from ..store.paging import Page, clamp_page, paginate, parse_id
from ..store.sms_config import config, quiet_until

Outcome = Literal["sent", "retry", "failed", "deferred", "lost"] | None
# (status, error) of one try: the gateway's HTTP status, or None and what went wrong.
Post = Callable[[str, dict, str, float], tuple[int | None, str | None]]


def http_post(url: str, payload: dict, key: str, timeout: float) -> tuple[int | None, str | None]:
    """POST the text as JSON with its Idempotency-Key; the gateway's status, or None and the error."""
    request = urllib.request.Request(
        url,
        data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": key},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, None
    except urllib.error.HTTPError as err:
        return err.code, f"HTTP {err.code}"
    except (urllib.error.URLError, TimeoutError, OSError) as err:
        return None, str(getattr(err, "reason", err))[:300]


STATUSES = ("pending", "sent", "failed")


def deliver_due(
    session: Session, url: str | None, limit: int = 50, now: datetime | None = None, post: Post = http_post
) -> dict[str, int]:
    """Try up to `limit` due texts, each its own command. Returns how many of each outcome."""
    counts: dict[str, int] = {}
    if not url:
        return counts  # no gateway: the texts wait in the outbox, shown to the administrator
    postgres = session.get_bind().dialect.name == "postgresql"
    for _ in range(limit):
        moment = now or utcnow()
        try:
            outcome = unit_of_work.execute(session, None, lambda work: _try_next(work, url, post, postgres), moment)
        except Conflict:
            continue
        if outcome is None:
            break
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def _take(work: unit_of_work.Work, postgres: bool) -> SmsMessage | None | Literal["lost"]:
    due = (
        select(SmsMessage)
        .where(SmsMessage.status == "pending", SmsMessage.next_try_at <= work.now)
        .order_by(SmsMessage.next_try_at, SmsMessage.id)
        .limit(1)
    )
    if postgres:
        return work.session.scalar(due.with_for_update(skip_locked=True))
    message = work.session.scalar(due)
    if message is None:
        return None
    taken = rowcount(
        work.session.execute(
            update(SmsMessage)
            .where(SmsMessage.id == message.id, SmsMessage.status == "pending", SmsMessage.attempts == message.attempts)
            .values(attempts=message.attempts)  # takes SQLite's write lock for the rest of the try
        )
    )
    return message if taken else "lost"


def _sent_today(work: unit_of_work.Work, phone: str) -> int:
    local = work.now.astimezone(TZ)
    start = datetime.combine(local.date(), datetime.min.time(), tzinfo=TZ)
    return (
        work.session.scalar(
            select(func.count()).where(SmsMessage.to == phone, SmsMessage.status == "sent", SmsMessage.sent_at >= start)
        )
        or 0
    )


def _try_next(work: unit_of_work.Work, url: str, post: Post, postgres: bool) -> Outcome:
    message = _take(work, postgres)
    if message is None or message == "lost":
        return message
    settings = config()
    if _sent_today(work, message.to) >= int(settings.get("daily_cap", 5)):
        tomorrow = datetime.combine(work.now.astimezone(TZ).date() + timedelta(days=1), datetime.min.time(), tzinfo=TZ)
        message.next_try_at = quiet_until("default", tomorrow)
        work.event(EventType.SMS_DEFERRED, message.case_id, message=message.id, until=message.next_try_at.isoformat())
        return "deferred"
    payload = {
        "to": message.to,
        "text": message.text,
        "template": message.template,
        "receipt_code": message.receipt_code,
    }
    status, error = post(url, payload, message.key, float(settings.get("timeout_seconds", 10)))
    message.attempts += 1
    if status is not None and 200 <= status < 300:
        message.status, message.sent_at, message.last_error = "sent", work.now, None
        work.event(EventType.SMS_SENT, message.case_id, message=message.id, template=message.template)
        return "sent"
    message.last_error = (error or f"HTTP {status}")[:300]
    if message.attempts >= int(settings.get("attempts", 6)):
        message.status = "failed"
        work.event(EventType.SMS_FAILED, message.case_id, message=message.id, error=message.last_error)
        return "failed"
    wait = int(settings.get("backoff_seconds", 30)) * 2 ** (message.attempts - 1)
    message.next_try_at = work.now + timedelta(seconds=wait)
    work.event(
        EventType.SMS_RETRY, message.case_id, message=message.id, error=message.last_error, attempt=message.attempts
    )
    return "retry"


AUDIENCES = ("resident", "staff")


def outbox(
    session: Session,
    actor: User,
    status: str | None = None,
    page=1,
    per_page=20,
    audience: str | None = None,
    template: str | None = None,
    receipt_code: str | None = None,
) -> Page:
    """The administrator's view of the outbox, newest first (failed ones to resend, waiting ones), by
    status, by audience (texts to residents or to staff), template and receipt code."""
    require_admin(actor)
    query = select(SmsMessage).options(selectinload(SmsMessage.recipient))
    if status in STATUSES:
        query = query.where(SmsMessage.status == status)
    if audience == "resident":
        query = query.where(SmsMessage.user_id.is_(None))
    elif audience == "staff":
        query = query.where(SmsMessage.user_id.is_not(None))
    if template:
        query = query.where(SmsMessage.template == template[:40])
    if receipt_code:
        query = query.where(SmsMessage.receipt_code == receipt_code[:32])
    page, per_page = clamp_page(page, per_page)
    return paginate(session, query.order_by(SmsMessage.id.desc()), page, per_page)


def resend(session: Session, actor: User, message_id, now: datetime | None = None) -> SmsMessage:
    """The administrator puts a failed text back in the outbox (same Idempotency-Key, fresh tries)."""

    def act(work: unit_of_work.Work) -> SmsMessage:
        require_admin(actor)
        number = parse_id(message_id)
        message = session.get(SmsMessage, number) if number else None
        if message is None:
            raise NotFound(N_("no such message"))
        if message.status != "failed":
            raise Conflict(N_("only a failed message can be sent again"))
        message.status, message.attempts, message.next_try_at = "pending", 0, work.now
        work.event(EventType.SMS_REQUEUED, message.case_id, message=message.id)
        return message

    return unit_of_work.execute(session, actor, act, now)
