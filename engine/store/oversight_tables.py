"""Oversight tables: call-backs (回访), reviews, residents' complaints, rectifications of 差评 (整改), and the
portal's rate counters."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from .models import Base, BigId, Case, Event, OrgUnit, User, UtcDateTime

CALL_OUTCOMES = ("satisfied", "basically_satisfied", "dissatisfied", "unreachable")


class CallBack(Base):
    """A closed item drawn for a call-back; at most one per item."""

    __tablename__ = "callbacks"
    __table_args__ = (Index("ix_callbacks_township_status", "township_id", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id"), unique=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    month: Mapped[str] = mapped_column(String(7))  # the month the item was closed, 2026-11
    seed: Mapped[int] = mapped_column(Integer)
    drawn_at: Mapped[datetime] = mapped_column(UtcDateTime)
    drawn_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending done
    outcome: Mapped[str | None] = mapped_column(String(30))
    note: Mapped[str | None] = mapped_column(Text)
    called_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    called_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    case: Mapped[Case] = relationship(lazy="joined")
    township: Mapped[OrgUnit] = relationship(lazy="joined")


class TownshipRecord:
    """A record a township's supervisors open and close with what they found and did."""

    id: Mapped[int] = mapped_column(primary_key=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    status: Mapped[str] = mapped_column(String(12), default="open")  # open closed
    resolution: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    @declared_attr
    def township(cls) -> Mapped[OrgUnit]:
        return relationship(lazy="joined")


class Review(TownshipRecord, Base):
    """A supervisor's review of an item, opened by a dissatisfied call-back."""

    __tablename__ = "reviews"
    __table_args__ = (Index("ix_reviews_township_status", "township_id", "status"),)
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id"), index=True)
    callback_id: Mapped[int | None] = mapped_column(ForeignKey("callbacks.id"))
    reason: Mapped[str] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)

    case: Mapped[Case] = relationship(lazy="joined")


class Complaint(TownshipRecord, Base):
    """A resident's complaint to the township discipline committee (乡纪委)."""

    __tablename__ = "complaints"
    __table_args__ = (Index("ix_complaints_township_status", "township_id", "status"),)
    case_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("cases.id"))  # when receipt and phone matched
    name: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    filed_at: Mapped[datetime] = mapped_column(UtcDateTime)

    case: Mapped[Case | None] = relationship(lazy="joined")


class Rectification(Base):
    """整改: a 差评 (不满意 / 非常不满意) sets the responsible unit a rectification due in 15 working days;
    it closes only with the call-back's result (回访), written by whoever closes it."""

    __tablename__ = "rectifications"
    __table_args__ = (
        Index("ix_rectifications_township_status", "township_id", "status"),
        Index("ix_rectifications_unit_status", "unit_id", "status"),
        Index("ix_rectifications_status_due", "status", "due_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))  # the responsible unit
    township_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))  # its discipline committee watches
    rating: Mapped[str] = mapped_column(String(30))  # the 差评 that opened it
    source: Mapped[str] = mapped_column(String(10))  # agent (recorded at the reply) or resident (portal)
    comment: Mapped[str | None] = mapped_column(Text)  # the resident's words with the rating, if any
    status: Mapped[str] = mapped_column(String(12), default="open")  # RectificationStatus
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    callback_result: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    case: Mapped[Case] = relationship(lazy="joined")
    unit: Mapped[OrgUnit] = relationship(foreign_keys=[unit_id], lazy="joined")
    township: Mapped[OrgUnit] = relationship(foreign_keys=[township_id], lazy="joined")
    closed_by: Mapped[User | None] = relationship(lazy="joined")


class RateCounter(Base):
    """Hits of one key (an IP, a receipt code) in one fixed time window, shared by every web worker."""

    __tablename__ = "rate_counters"
    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    window: Mapped[int] = mapped_column(Integer, primary_key=True, index=True)
    hits: Mapped[int] = mapped_column(Integer, default=0)


# Indexes on the shared tables that the figures need at a million items:
# open items by township and deadline (overdue lists; closed_at IS NULL is an index condition),
# a village's items by month, and an agent's events by time (quotas).
Index("ix_cases_township_closed_due", Case.township_id, Case.closed_at, Case.due_at)
Index("ix_cases_village_opened", Case.village_id, Case.opened_at)
Index("ix_events_actor_at", Event.actor_id, Event.at)
