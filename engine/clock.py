"""Injectable time: tests move time by passing another clock, never by sleeping."""
from datetime import datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc)
