"""Lists a page at a time, ids from URLs and times as the API writes them: shared by every layer
that answers a list."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from .calendar import TZ

MAX_PER_PAGE = 100
MAX_PAGE = 100_000
MAX_ID = 2**63 - 1  # PostgreSQL BIGINT
# Lists that can hold a county's millions count this far and no further: more is answered as
# COUNT_CAP + 1 (`Page.capped`; a page shows "1000+"), so a count never reads a whole table.
COUNT_CAP = 1000


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


def paginate_by_key(session: Session, query, key, page: int, per_page: int) -> Page:
    """One page of `query` whose total counts only as far as `page_cap`. Within the cap it is one pass
    over the matches: the keys of the first matches in the query's order give the total and this
    page's keys (a search whose matches come off an index, a rare word's trigrams, reads them once,
    not once for the page and again for the count); then only this page's rows are loaded, in order."""
    cap = page_cap(page, per_page)
    keyed = query.with_only_columns(key)
    if cap == COUNT_CAP:
        keys = list(session.scalars(keyed.limit(cap + 1)))
        total = len(keys)
        wanted = keys[(page - 1) * per_page : page * per_page]
    else:  # a page past the cap: its keys by offset, and the total counted past it, in the database
        wanted = list(session.scalars(keyed.limit(per_page).offset((page - 1) * per_page)))
        total = count_upto(session, query.order_by(None).subquery(), cap)
    rows = list(session.scalars(query.order_by(None).where(key.in_(wanted))).unique()) if wanted else []
    by_key = {getattr(row, key.key): row for row in rows}
    return Page([by_key[k] for k in wanted if k in by_key], total, page, per_page, total > cap)


def page_cap(page: int, per_page: int) -> int:
    """How far a page's total counts: the cap, or past this page when it lies further (so "next" is
    offered while there is more)."""
    return max(COUNT_CAP, page * per_page)


def count_upto(session: Session, rows, cap: int) -> int:
    """How many rows the subquery `rows` holds, counting no further than cap + 1."""
    limited = select(literal(1)).select_from(rows).limit(cap + 1).subquery()
    return session.scalar(select(func.count()).select_from(limited)) or 0


def iso(value) -> str | None:
    return value.astimezone(TZ).isoformat() if value is not None else None
