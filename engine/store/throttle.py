"""Login throttling kept in the database, so it holds across web nodes and restarts."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Index, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..kernel.clock import utcnow
from .models import Base, BigId, UtcDateTime

WINDOW = timedelta(minutes=15)
MAX_PER_USERNAME = 5  # failures before a username is locked for the rest of the window
MAX_PER_ADDRESS = 30  # failures from one address (password spraying across usernames)


class LoginFailure(Base):
    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_username_at", "username", "at"),
        Index("ix_login_failures_address_at", "address", "at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    username: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime)


def is_locked(session: Session, username: str, address: str, now: datetime | None = None) -> bool:
    since = (now or utcnow()) - WINDOW
    by_user = (
        session.scalar(select(func.count()).where(LoginFailure.username == username[:120], LoginFailure.at > since))
        or 0
    )
    by_address = (
        session.scalar(select(func.count()).where(LoginFailure.address == address[:64], LoginFailure.at > since)) or 0
    )
    return by_user >= MAX_PER_USERNAME or by_address >= MAX_PER_ADDRESS


def record_failure(session: Session, username: str, address: str, now: datetime | None = None) -> None:
    now = now or utcnow()
    session.add(LoginFailure(username=username[:120], address=address[:64], at=now))
    # Old rows are useless: trim them as we go so the table stays small.
    session.query(LoginFailure).filter(LoginFailure.at < now - 4 * WINDOW).delete(synchronize_session=False)
    session.commit()
