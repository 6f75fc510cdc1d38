"""Tables of the administration area: the editable holiday calendar and catalog proposals (准入审批)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .models import Base, CatalogItem, JsonDoc, ProcessVersion, User, UtcDateTime


class CalendarYear(Base):
    """One year's public holidays and make-up working days (ISO dates).

    `revision` grows with every edit; the sum over all years is the calendar's
    version, which each process compares with its cached calendar.
    """

    __tablename__ = "calendar_years"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    holidays: Mapped[list] = mapped_column(JsonDoc, default=list)
    workdays: Mapped[list] = mapped_column(JsonDoc, default=list)
    provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[str] = mapped_column(String(120))


class CatalogProposal(Base):
    """A proposed new catalog item, approved or rejected through the catalog_approval process."""

    __tablename__ = "catalog_proposals"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), index=True)
    fields: Mapped[dict] = mapped_column(JsonDoc, default=dict)
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending approved rejected
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_versions.id"))
    state: Mapped[str] = mapped_column(Text)
    # The READY user task of the proposal's workflow (the leader's review), if any.
    task_id: Mapped[str | None] = mapped_column(String(36))
    task_name: Mapped[str | None] = mapped_column(String(200))
    lane: Mapped[str | None] = mapped_column(String(40))
    form: Mapped[str | None] = mapped_column(String(200))
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    opinion: Mapped[str | None] = mapped_column(Text)
    catalog_item_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_items.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    process_version: Mapped[ProcessVersion] = relationship(lazy="select")
    proposed_by: Mapped[User] = relationship(foreign_keys=[proposed_by_id], lazy="joined")
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id], lazy="joined")
    catalog_item: Mapped[CatalogItem | None] = relationship(lazy="joined")
