"""The one inbox of all work (待办): steps of items, catalog approvals, complaints, reviews, call-backs,
residents' requests and visits due, each kind a source in its own module, registered here.

Every source gives the rows of a scope as one SQL select of the same four columns (kind, key, due date,
when it started); the inbox unions them, so the tab counts and one page of any tab are a few queries
whatever the amount of work, and a page loads only its own rows (each source's `items`). The scopes mean
what engine/read/inbox.py says for tasks; work nobody claims lists under "open to my unit".

At a county's size (a million open items) no request reads a whole tab: a count stops at `COUNT_CAP`
(more is answered as COUNT_CAP + 1, shown "1000+"), and a page takes from each source only its first
rows in the page's order, which each source's indexes give (engine/store/models.py, migration 14_scale),
before the union orders those few.

Adding a kind of work (as rectifications, 整改, were) is one module with `rows` and `items` (or a short list
through `base.literal_rows`) and one line in `SOURCES`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, union_all
from sqlalchemy.orm import Session

from ...kernel.clock import utcnow
from ...read.inbox import SCOPES, Filters, due_soon_limit
from ...store.models import User
from ...store.paging import COUNT_CAP, Page, clamp_page, count_upto, page_cap
from . import approvals, asking, records, rectifications, tasks
from .base import Moment, WorkItem, WorkSource, selects_of

SOURCES: tuple[WorkSource, ...] = (
    tasks.SOURCE,
    approvals.SOURCE,
    *records.SOURCES,
    *asking.SOURCES,
    rectifications.SOURCE,
)
NO_FILTERS = Filters()
BY_KIND = {s.kind: s for s in SOURCES}
KINDS = tuple(BY_KIND)


def moment_of(session: Session, now: datetime | None = None) -> Moment:
    now = now or utcnow()
    return Moment(now, due_soon_limit(session, now))


def _union(session: Session, user: User, scope: str, filters: Filters, moment: Moment, kinds=None):
    selects = [
        one
        for source in SOURCES
        if kinds is None or source.kind in kinds
        for one in selects_of(source.rows(session, user, scope, filters, moment))
    ]
    if not selects:
        return None
    return (selects[0] if len(selects) == 1 else union_all(*selects)).subquery("work")


def counts(session: Session, user: User, filters: Filters = NO_FILTERS, moment: Moment | None = None) -> dict:
    """How much work each tab holds (one count query per tab over every source), exact up to
    `COUNT_CAP`; a tab holding more is COUNT_CAP + 1."""
    moment = moment or moment_of(session)
    found = {}
    for scope in SCOPES:
        work = _union(session, user, scope, filters, moment)
        found[scope] = 0 if work is None else count_upto(session, work, COUNT_CAP)
    return found


def _order(columns, scope: str, filters: Filters) -> list:
    """A tab's order: soonest due first and work without a deadline after the rest (done: newest first),
    written as the sources' indexes hold it (NULLS LAST, not a computed "is null" key)."""
    if scope == "done":
        return [columns.sort_at.desc(), columns.kind, columns.key]
    due = columns.due_at.desc() if filters.sort == "-due" else columns.due_at.asc()
    return [due.nulls_last(), columns.sort_at, columns.kind, columns.key]


def _first_rows(session: Session, user: User, scope: str, filters: Filters, moment: Moment, kinds, count: int):
    """The first `count` rows of the tab in its order: each source's first `count` (read off its index
    in that order), then the union of those few in order."""
    branches = []
    for source in SOURCES:
        if kinds is not None and source.kind not in kinds:
            continue
        for number, rows in enumerate(selects_of(source.rows(session, user, scope, filters, moment))):
            one = rows.subquery(f"{source.kind}_rows_{number}")
            if scope != "done" and filters.sort == "-due":
                # Latest due first, as an index read backwards holds it (DESC puts no deadline first
                # there): the work with a deadline, then the work without one, each its first `count`.
                for due in (one.c.due_at.is_not(None), one.c.due_at.is_(None)):
                    latest = select(one).where(due).order_by(one.c.due_at.desc(), one.c.sort_at, one.c.kind, one.c.key)
                    branches.append(latest.limit(count).subquery().select())
                continue
            branches.append(select(one).order_by(*_order(one.c, scope, filters)).limit(count).subquery().select())
    if not branches:
        return None
    return (branches[0] if len(branches) == 1 else union_all(*branches)).subquery("work")


def work_page(
    session: Session,
    user: User,
    scope: str,
    filters: Filters = NO_FILTERS,
    page=1,
    per_page=20,
    moment: Moment | None = None,
    kinds=None,
) -> Page:
    """One page of a tab: soonest due first, work without a deadline after the rest (done: newest
    first); the page's items are `WorkItem`s."""
    moment = moment or moment_of(session)
    page, per_page = clamp_page(page, per_page)
    work = _union(session, user, scope, filters, moment, kinds)
    if work is None:
        return Page([], 0, page, per_page)
    cap = page_cap(page, per_page)
    total = count_upto(session, work, cap)
    first = _first_rows(session, user, scope, filters, moment, kinds, page * per_page)
    keys = session.execute(
        select(first.c.kind, first.c.key)
        .order_by(*_order(first.c, scope, filters))
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    by_kind: dict[str, list[str]] = {}
    for kind, key in keys:
        by_kind.setdefault(kind, []).append(key)
    loaded = {
        (kind, key): item
        for kind, wanted in by_kind.items()
        for key, item in BY_KIND[kind].items(session, user, wanted, moment).items()
    }
    return Page([loaded[k] for k in map(tuple, keys) if k in loaded], total, page, per_page, total > cap)


__all__ = ["COUNT_CAP", "KINDS", "SOURCES", "WorkItem", "counts", "moment_of", "work_page"]
