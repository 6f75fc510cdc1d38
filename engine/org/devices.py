"""The village agent's phone signs in with a device token (issue 22): a random secret with a limited life
(the `DAIBAN_DEVICE_TOKEN_DAYS` setting, 7 days by default), so the app keeps working through a day or a
week without a signal and sends its queue when the network returns. Only the secret's sha256 is stored.
The user lists and revokes their own phones, an administrator those of the people they administer; a
password change ends them all."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..kernel.clock import utcnow
from ..kernel.errors import Forbidden, NotFound
from ..kernel.i18n import N_
from ..kernel.vocabulary import EventType, Role
from ..store.device_tables import DeviceToken
from ..store.models import User
from ..store.paging import iso, parse_id
from ..store.unit_of_work import Work, execute
from .admin_scope import clean_text, in_scope

PREFIX = "dv_"  # tells a device token from a signed API token at a glance
NAME_LIMIT = 80


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue(session: Session, user: User, name, days: int, now: datetime | None = None) -> tuple[DeviceToken, str]:
    """A new sign-in for one phone: the row and the secret, shown once."""
    secret = PREFIX + secrets.token_urlsafe(32)
    label = clean_text(name, NAME_LIMIT) or "手机"

    def act(work: Work) -> DeviceToken:
        row = DeviceToken(
            user_id=user.id,
            name=label,
            token_hash=_digest(secret),
            password_mark=user.password_hash[-12:],
            created_at=work.now,
            expires_at=work.now + timedelta(days=max(1, days)),
        )
        work.session.add(row)
        work.session.flush()
        work.event(EventType.DEVICE_SIGNED_IN, None, device=row.id, name=label, user=user.username)
        return row

    return execute(session, user, act, now), secret


def user_for_device(session: Session, secret: str, now: datetime | None = None) -> tuple[User, DeviceToken] | None:
    """The active user a live device token belongs to (not expired, not revoked, same password)."""
    if not secret.startswith(PREFIX) or len(secret) > 100:
        return None
    row = session.scalar(select(DeviceToken).where(DeviceToken.token_hash == _digest(secret)))
    now = now or utcnow()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    user = row.user
    if not user.active or user.password_hash[-12:] != row.password_mark:
        return None
    return user, row


def _administered(actor: User, owner: User) -> bool:
    paths = [a.org_unit.path for a in actor.roles if a.role == Role.ADMIN]
    return actor.active and bool(paths) and any(in_scope(paths, a.org_unit) for a in owner.roles)


def visible(session: Session, actor: User, everyone: bool = False, now: datetime | None = None) -> list[DeviceToken]:
    """The actor's own phone sign-ins, or (for an administrator asking for everyone) all of those they administer;
    newest first, expired and revoked ones included for a while so the user sees what ended."""
    now = now or utcnow()
    query = select(DeviceToken).where(DeviceToken.expires_at > now - timedelta(days=30))
    if not everyone:
        query = query.where(DeviceToken.user_id == actor.id)
    elif not any(a.role == Role.ADMIN for a in actor.roles):
        raise Forbidden(N_("only administrators may do this"))
    rows = session.scalars(query.order_by(DeviceToken.id.desc()).limit(500)).all()
    return [r for r in rows if r.user_id == actor.id or _administered(actor, r.user)]


def revoke(session: Session, actor: User, token_id, now: datetime | None = None) -> DeviceToken:
    """End one phone's sign-in: its owner or an administrator of the owner; revoking twice changes nothing."""
    number = parse_id(token_id)

    def act(work: Work) -> DeviceToken:
        row = work.session.get(DeviceToken, number) if number else None
        if row is None or (row.user_id != actor.id and not _administered(actor, row.user)):
            raise NotFound(N_("no such phone sign-in"))
        if row.revoked_at is None:
            row.revoked_at = work.now
            row.revoked_by_id = actor.id
            work.event(EventType.DEVICE_REVOKED, None, device=row.id, user=row.user.username)
        return row

    return execute(session, actor, act, now)


def state(row: DeviceToken, now: datetime | None = None) -> str:
    now = now or utcnow()
    if row.revoked_at is not None:
        return "revoked"
    return "expired" if row.expires_at <= now else "active"


def device_dict(row: DeviceToken, now: datetime | None = None) -> dict:
    return {
        "id": row.id,
        "user": row.user.username,
        "name": row.name,
        "created_at": iso(row.created_at),
        "expires_at": iso(row.expires_at),
        "revoked_at": iso(row.revoked_at),
        "state": state(row, now),
    }
