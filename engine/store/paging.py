"""Lists a page at a time, ids from URLs and times as the API writes them: shared by every layer
that answers a list."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .calendar import TZ

MAX_PER_PAGE = 100
MAX_PAGE = 100_000
MAX_ID = 2**63 - 1  # PostgreSQL BIGINT


def parse_id(value) -> int | None:
    """A database id from a URL, or None for anything that cannot be one."""
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):  # None, words, infinities
        return None
    return number if 0 < number <= MAX_ID else None


@dataclass
class Page:
    items: list
    total: int
    page: int
    per_page: int
    # The total stopped counting at a cap: there is more than it says (a list shows "N+").
    capped: bool = False

    def to_dict(self, convert) -> dict:
        return {
            "items": [convert(i) for i in self.items],
            "total": self.total,
            "page": self.page,
            "per_page": self.per_page,
        }


def clamp_page(page, per_page, default: int = 20) -> tuple[int, int]:
    try:
        page = min(MAX_PAGE, max(1, int(page or 1)))
        per_page = min(MAX_PER_PAGE, max(1, int(per_page or default)))
    except (TypeError, ValueError):
        page, per_page = 1, default
    return page, per_page


def paginate(session: Session, query, page: int, per_page: int) -> Page:
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = list(session.scalars(query.limit(per_page).offset((page - 1) * per_page)).unique())
    return Page(items, total or 0, page, per_page)


def iso(value) -> str | None:
    return value.astimezone(TZ).isoformat() if value is not None else None
