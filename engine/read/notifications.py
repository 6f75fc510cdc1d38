"""A person's notifications: the list (newest first, a page at a time), the unread count the
bell shows, their text in the reader's language, and marking them read.

Marking read is a command of its own (the unit of work, one `notifications_read` event): when a
person saw that they were told is part of the record, like a signed receipt."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import func, select, update

from ..kernel.errors import Invalid
from ..kernel.i18n import N_
from ..kernel.vocabulary import EventType, NotificationKind
from ..store import unit_of_work
from ..store.db import rowcount
from ..store.models import User
from ..store.notice_tables import Notification
from ..store.paging import MAX_ID, Page, clamp_page, paginate

TEXTS = {
    NotificationKind.NEW_TASK: N_("New task “%(name)s” of item %(receipt_code)s (%(item)s)"),
    NotificationKind.RETURNED_TO_ME: N_("“%(name)s” of item %(receipt_code)s was returned to you"),
    NotificationKind.URGED: N_("%(by)s urged “%(name)s” of item %(receipt_code)s"),
    NotificationKind.DUE_SOON_REMINDER: N_("“%(name)s” of item %(receipt_code)s is due soon"),
    NotificationKind.OVERDUE_REMINDER: N_("“%(name)s” of item %(receipt_code)s is overdue"),
    NotificationKind.COPIED_TO_ME: N_("%(by)s copied item %(receipt_code)s (%(item)s) to you"),
    NotificationKind.APPROVAL_WAITING: N_("The proposed catalog item “%(item)s” is waiting for your approval"),
    NotificationKind.RECTIFICATION_OPENED: N_(
        "Item %(receipt_code)s (%(item)s) was rated poorly: rectify it in 15 working days and call the resident back"
    ),
    NotificationKind.MATERIALS_OVERDUE: N_(
        "The materials promised for item %(receipt_code)s (%(item)s) by %(promised_by)s are still missing"
    ),
}
NOTE = N_("Note: %(note)s")
MAX_IDS = 500


def text(notification: Notification, translate: Callable[[str], str]) -> str:
    """The sentence a person reads, in their language (`translate` is the web layer's gettext)."""
    detail = notification.detail or {}
    values = {key: str(detail.get(key) or "") for key in ("name", "receipt_code", "item", "by", "promised_by")}
    template = TEXTS.get(
        NotificationKind(notification.kind), N_("New task “%(name)s” of item %(receipt_code)s (%(item)s)")
    )
    sentence = translate(template) % values
    if detail.get("note"):
        sentence += " " + translate(NOTE) % {"note": str(detail["note"])}
    return sentence


def _mine(user: User):
    return select(Notification).where(Notification.user_id == user.id)


def list_notifications(session, user: User, page=1, per_page=20, unread: bool = False) -> Page:
    query = _mine(user)
    if unread:
        query = query.where(Notification.read_at.is_(None))
    page, per_page = clamp_page(page, per_page)
    return paginate(session, query.order_by(Notification.id.desc()), page, per_page)


def unread_count(session, user: User) -> int:
    return (
        session.scalar(select(func.count()).where(Notification.user_id == user.id, Notification.read_at.is_(None))) or 0
    )


def _ids(ids) -> list[int]:
    if not isinstance(ids, list) or not ids or len(ids) > MAX_IDS:
        raise Invalid(N_("choose the notifications to mark read"), {"ids": N_("a list of notification ids")})
    if not all(isinstance(i, int) and not isinstance(i, bool) and 0 < i <= MAX_ID for i in ids):
        raise Invalid(N_("choose the notifications to mark read"), {"ids": N_("a list of notification ids")})
    return sorted(set(ids))


def mark_read(
    session, user: User, ids: Iterable[int] | None = None, all_: bool = False, now: datetime | None = None
) -> int:
    """Mark the user's own notifications read (`ids`, or all of them); others' ids are ignored.
    Returns how many were unread and are read now; nothing unread, nothing recorded."""
    chosen = None if all_ else _ids(ids)

    def act(work: unit_of_work.Work) -> int:
        query = update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
        if chosen is not None:
            query = query.where(Notification.id.in_(chosen))
        count = rowcount(session.execute(query.values(read_at=work.now)))
        if count:
            work.event(EventType.NOTIFICATIONS_READ, None, count=count, all=all_)
        return count

    return unit_of_work.execute(session, user, act, now)
