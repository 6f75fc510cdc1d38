"""The timers table: deadlines of open tasks in a table of their own, so a sweep reads only what is
due (engine/cases/timers.py keeps it exact, engine/cases/timer_sweep.py fires it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base, BigId, UtcDateTime


class Timer(Base):
    __tablename__ = "timers"
    __table_args__ = (
        # Only unfired timers are ever swept: the partial index stays as small as the open work.
        Index(
            "ix_timers_due", "due_at", postgresql_where=text("fired_at IS NULL"), sqlite_where=text("fired_at IS NULL")
        ),
        Index("ix_timers_task", "task_id"),
        # A command keeps its case's timers exact (`cancel_all_but`): found by case, not by scan.
        Index("ix_timers_case", "case_id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id"))
    task_id: Mapped[str] = mapped_column(String(36))
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    kind: Mapped[str] = mapped_column(String(16))
    fired_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
