"""Tables of work reaching people: in-app notifications, urges (催办), the readers a case was
copied to (抄送) and the outbox of text messages to phones. Each row is written by the command
that causes it, in the same transaction (engine/cases/notices.py)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .models import Base, BigId, Case, JsonDoc, User, UtcDateTime


class Notification(Base):
    """One thing one person is told in the app: why (`kind`), about which item and task, and
    the few facts its text names (`detail`: step name, receipt code, who, a note)."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user", "user_id", "id"),
        Index(
            "ix_notifications_unread",
            "user_id",
            postgresql_where=text("read_at IS NULL"),
            sqlite_where=text("read_at IS NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    kind: Mapped[str] = mapped_column(String(24))
    case_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("cases.id"))
    task_id: Mapped[str | None] = mapped_column(String(36))
    detail: Mapped[dict] = mapped_column(JsonDoc, default=dict)
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Urge(Base):
    """A 催办 of an open task: at most one per task, urger and working day (the unique key)."""

    __tablename__ = "urges"
    __table_args__ = (UniqueConstraint("task_id", "urger_id", "day"), Index("ix_urges_case", "case_id"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id"))
    task_id: Mapped[str] = mapped_column(String(36))
    urger_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    day: Mapped[date] = mapped_column(Date)  # the county's working day it counts for
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    note: Mapped[str | None] = mapped_column(Text)

    urger: Mapped[User] = relationship(lazy="joined")


class CaseReader(Base):
    """Someone a case was copied to (抄送): they may read it, never act on it."""

    __tablename__ = "case_readers"
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    added_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    note: Mapped[str | None] = mapped_column(Text)

    case: Mapped[Case] = relationship(lazy="joined")
    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
    added_by: Mapped[User] = relationship(foreign_keys=[added_by_id], lazy="joined")


class SmsMessage(Base):
    """One text to a phone, waiting in the outbox until the worker hands it to the gateway.

    `key` is the Idempotency-Key the gateway sees on every try of this row, so a worker killed
    between the gateway's answer and marking the row sent cannot make the resident get it twice."""

    __tablename__ = "sms_outbox"
    __table_args__ = (
        Index(
            "ix_sms_outbox_due",
            "next_try_at",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    case_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("cases.id"), index=True)
    # The staff member a text is for (a notification they chose to get on their phone); None: a resident.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    to: Mapped[str] = mapped_column(String(20))
    template: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    receipt_code: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending sent failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    next_try_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(String(300))

    # Loaded when asked (the outbox list asks with selectinload): a join would break the worker's FOR UPDATE.
    recipient: Mapped[User | None] = relationship(lazy="select")
