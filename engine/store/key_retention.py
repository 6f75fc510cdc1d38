"""How long the server keeps what clients' Idempotency-Keys answered (engine/store/idempotency.py): at least
7 days, so a phone that was a week without a signal still gets its first answer replayed."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from ..kernel.vocabulary import EventType
from .db import rowcount
from .device_tables import IdempotencyKey
from .unit_of_work import Work, execute

MIN_DAYS = 7


def purge_expired(session: Session, days: int, now: datetime | None = None) -> int:
    """Forget keys older than `days` (at least 7): one command, one event when any went."""
    days = max(MIN_DAYS, int(days))

    def act(work: Work) -> int:
        cutoff = work.now - timedelta(days=days)
        gone = rowcount(
            work.session.execute(
                delete(IdempotencyKey)
                .where(IdempotencyKey.created_at < cutoff)
                .execution_options(synchronize_session=False)
            )
        )
        if gone:
            work.event(EventType.IDEMPOTENCY_KEYS_PURGED, None, count=gone, days=days)
        return gone

    return execute(session, None, act, now)
