"""Tables of the village agent's phone (issue 22): the requests it already made (each Idempotency-Key
with its request's hash and first answer) and the device tokens it signs in with."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .models import Base, BigId, JsonDoc, User, UtcDateTime


class IdempotencyKey(Base):
    """One write a client made with an Idempotency-Key: written in the transaction of the change it
    caused (engine/store/unit_of_work.py), so a change never exists without its key nor a key without
    its change. A retry with the same key and body replays `response`; another body is refused."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key"), Index("ix_idempotency_keys_created", "created_at"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(100))
    request_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the method, path and body
    resource: Mapped[str] = mapped_column(String(60))  # what the write made, e.g. "case:12"
    status: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict] = mapped_column(JsonDoc)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class DeviceToken(Base):
    """A phone's sign-in: a random secret (only its sha256 is kept) with a limited life, listed and
    revocable by its user and by the administrators. A password change ends it too."""

    __tablename__ = "device_tokens"
    __table_args__ = (Index("ix_device_tokens_user", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    password_mark: Mapped[str] = mapped_column(String(12))  # the password hash's tail when it was issued
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
