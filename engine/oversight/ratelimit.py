"""Rate limits for the resident portal, counted in the database so every web worker and node shares them.

A counter per key (an IP address, a receipt code) per fixed window; one
upsert per hit, and finished windows are swept as new ones start. The counters
are throttling bookkeeping, not case state: they record no event.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ..kernel.clock import utcnow
from ..kernel.errors import DomainError
from ..kernel.i18n import N_
from ..store.oversight_tables import RateCounter
from .assessment import config


class TooMany(DomainError):
    status = 429


def hit(session: Session, key: str, window_seconds: int, now: datetime) -> int:
    """Count one hit of `key` in the current window; returns the hits so far (this one included)."""
    window = int(now.timestamp()) // window_seconds
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(RateCounter)
        .values(key=key[:120], window=window, hits=1)
        .on_conflict_do_update(index_elements=["key", "window"], set_={"hits": RateCounter.hits + 1})
        .returning(RateCounter.hits)
    )
    hits = session.execute(statement).scalar_one()
    if hits == 1:
        # A key's first hit in a window sweeps finished windows; rows another worker holds are
        # skipped (and swept later) so concurrent sweeps never wait on or deadlock each other.
        stale = (
            select(RateCounter.key, RateCounter.window)
            .where(RateCounter.window < window - 1)
            .with_for_update(skip_locked=True)
        )
        session.execute(delete(RateCounter).where(tuple_(RateCounter.key, RateCounter.window).in_(stale)))
    session.commit()
    return hits


def check_portal(session: Session, ip: str | None, receipt: str | None = None, now: datetime | None = None) -> None:
    """Raise TooMany when this address, or this receipt code from anywhere, asked too often."""
    now = now or utcnow()
    rules = config()["portal"]
    seconds = rules["window_seconds"]
    over = hit(session, f"ip:{ip or '-'}", seconds, now) > rules["per_ip"]
    if isinstance(receipt, str) and receipt.strip():
        over = hit(session, f"receipt:{receipt.strip().upper()}", seconds, now) > rules["per_receipt"] or over
    if over:
        raise TooMany(N_("too many requests; please wait a few minutes and try again"))
