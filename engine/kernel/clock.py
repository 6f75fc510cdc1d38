"""Injectable time: tests move time by passing another clock, never by sleeping."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
