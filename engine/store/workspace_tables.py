"""Tables of the staff workspace: township office days, the window's batches, case attachments."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .models import Base, BigId, Case, OrgUnit, User, UtcDateTime


class OfficeDay(Base):
    """A township's fixed office day (e.g. Wednesday and Sunday): hand-overs happen then."""

    __tablename__ = "township_office_days"
    township_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), primary_key=True)
    weekday: Mapped[int] = mapped_column(Integer, primary_key=True)  # Monday = 0


class Batch(Base):
    """Results going back to one township together, with a printed hand-over sheet (交接单)."""

    __tablename__ = "window_batches"
    id: Mapped[int] = mapped_column(primary_key=True)
    window_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    township_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="scheduled")  # scheduled received
    scheduled_for: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    received_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    township: Mapped[OrgUnit] = relationship(foreign_keys=[township_id], lazy="joined")
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id], lazy="joined")
    received_by: Mapped[User | None] = relationship(foreign_keys=[received_by_id], lazy="joined")
    items: Mapped[list[BatchItem]] = relationship(lazy="selectin", order_by="BatchItem.id")


class BatchItem(Base):
    __tablename__ = "window_batch_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("window_batches.id"), index=True)
    task_id: Mapped[str] = mapped_column(String(36), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    received_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    case: Mapped[Case] = relationship(lazy="joined")


class Attachment(Base):
    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id"), index=True)
    material: Mapped[str] = mapped_column(String(200))  # one of the catalog item's materials, or "other"
    file_name: Mapped[str] = mapped_column(String(200))  # as uploaded, for display only
    stored_name: Mapped[str] = mapped_column(String(32), unique=True)
    content_type: Mapped[str] = mapped_column(String(60))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    uploaded_by: Mapped[User] = relationship(lazy="joined")
