"""Login throttling kept in the database, so it holds across web nodes and restarts.

Never a hard lock: wrong passwords slow down further attempts of the same username from the same
address (or the same known browser), doubling the wait each time; failures for one username from
anywhere, and from one address for any username (password spraying), slow down only attempts from
browsers the user has not signed in from before. So an attacker guessing at `admin`, even from the
county's shared proxy address, never keeps the real administrator out of the browser they use every day.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Index, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..kernel.clock import utcnow
from .models import Base, BigId, UtcDateTime

WINDOW = timedelta(minutes=15)  # failures older than this are forgotten
PAIR_FREE = 5  # failures of one username from one address (or known browser) before waiting
FIRST_WAIT = timedelta(seconds=30)  # after which each further failure doubles the wait, up to WINDOW
USERNAME_FREE = 20  # failures for one username from anywhere: unknown browsers then wait
ADDRESS_FREE = 50  # failures from one address, any username: unknown browsers from it then wait
DEVICE_PREFIX = "device:"


class LoginFailure(Base):
    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_username_at", "username", "at"),
        Index("ix_login_failures_address_at", "address", "at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    username: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(64))  # the client's address, or "device:<id>" for a known browser
    at: Mapped[datetime] = mapped_column(UtcDateTime)


@dataclass(frozen=True)
class Attempt:
    """Who is trying: the username typed, the client's address, and the id of the browser if it is one the
    user has signed in from before (a signed cookie set at a successful login), else None."""

    username: str
    address: str
    device: str | None = None

    @property
    def source(self) -> str:
        return (DEVICE_PREFIX + self.device)[:64] if self.device else self.address[:64]


def _backoff(count: int, last: datetime | None, free: int, now: datetime) -> float:
    if count < free or last is None:
        return 0.0
    wait = min(FIRST_WAIT * 2 ** min(count - free, 16), WINDOW)
    return max(0.0, (last + wait - now).total_seconds())


def _failures(session: Session, since: datetime, *where) -> tuple[int, datetime | None]:
    count, last = session.execute(
        select(func.count(), func.max(LoginFailure.at)).where(LoginFailure.at > since, *where)
    ).one()
    return count or 0, last


def wait_seconds(session: Session, attempt: Attempt, now: datetime | None = None) -> int:
    """How long this attempt must wait before a password is even checked (0: go ahead)."""
    now = now or utcnow()
    since = now - WINDOW
    username = attempt.username[:120]
    waits = [
        _backoff(
            *_failures(session, since, LoginFailure.username == username, LoginFailure.address == attempt.source),
            PAIR_FREE,
            now,
        )
    ]
    if attempt.device is None:
        waits.append(_backoff(*_failures(session, since, LoginFailure.username == username), USERNAME_FREE, now))
        waits.append(
            _backoff(*_failures(session, since, LoginFailure.address == attempt.address[:64]), ADDRESS_FREE, now)
        )
    return math.ceil(max(waits))


def record_failure(session: Session, attempt: Attempt, now: datetime | None = None) -> None:
    now = now or utcnow()
    session.add(LoginFailure(username=attempt.username[:120], address=attempt.source, at=now))
    # Old rows are useless: trim them as we go so the table stays small.
    session.query(LoginFailure).filter(LoginFailure.at < now - 4 * WINDOW).delete(synchronize_session=False)
    session.commit()


@dataclass(frozen=True)
class Lockout:
    """A username (or, with `username` None, an address) whose attempts must wait now."""

    username: str | None
    source: str
    failures: int
    last_at: datetime
    until: datetime


def lockouts(session: Session, now: datetime | None = None) -> list[Lockout]:
    """Everything backing off right now, latest first: for the administrators' page."""
    now = now or utcnow()
    since = now - WINDOW
    found: list[Lockout] = []
    pairs = session.execute(
        select(LoginFailure.username, LoginFailure.address, func.count(), func.max(LoginFailure.at))
        .where(LoginFailure.at > since)
        .group_by(LoginFailure.username, LoginFailure.address)
        .having(func.count() >= PAIR_FREE)
    )
    for username, source, count, last in pairs:
        wait = _backoff(count, last, PAIR_FREE, now)
        if wait > 0:
            found.append(Lockout(username, source, count, last, now + timedelta(seconds=wait)))
    users = session.execute(
        select(LoginFailure.username, func.count(), func.max(LoginFailure.at))
        .where(LoginFailure.at > since)
        .group_by(LoginFailure.username)
        .having(func.count() >= USERNAME_FREE)
    )
    for username, count, last in users:
        wait = _backoff(count, last, USERNAME_FREE, now)
        if wait > 0:
            found.append(Lockout(username, "*", count, last, now + timedelta(seconds=wait)))
    addresses = session.execute(
        select(LoginFailure.address, func.count(), func.max(LoginFailure.at))
        .where(LoginFailure.at > since, LoginFailure.address.not_like(DEVICE_PREFIX + "%"))
        .group_by(LoginFailure.address)
        .having(func.count() >= ADDRESS_FREE)
    )
    for address, count, last in addresses:
        wait = _backoff(count, last, ADDRESS_FREE, now)
        if wait > 0:
            found.append(Lockout(None, address, count, last, now + timedelta(seconds=wait)))
    return sorted(found, key=lambda lock: lock.last_at, reverse=True)
