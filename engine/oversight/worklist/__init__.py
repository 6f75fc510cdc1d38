"""The one inbox of all work (待办): steps of items, catalog approvals, complaints, reviews, call-backs,
residents' requests and visits due, each kind a source in its own module, registered here.

Every source gives the rows of a scope as one SQL select of the same four columns (kind, key, due date,
when it started); the inbox unions them, so the tab counts and one page of any tab are a few queries
whatever the amount of work, and a page loads only its own rows (each source's `items`). The scopes mean
what engine/read/inbox.py says for tasks; work nobody claims lists under "open to my unit".

Adding a kind of work (as rectifications, 整改, were) is one module with `rows` and `items` (or a short list
through `base.literal_rows`) and one line in `SOURCES`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, union_all
from sqlalchemy.orm import Session

from ...kernel.clock import utcnow
from ...read.inbox import SCOPES, Filters, due_soon_limit
from ...store.models import User
from ...store.paging import Page, clamp_page
from . import approvals, asking, records, rectifications, tasks
from .base import Moment, WorkItem, WorkSource

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
        rows
        for source in SOURCES
        if kinds is None or source.kind in kinds
        if (rows := source.rows(session, user, scope, filters, moment)) is not None
    ]
    if not selects:
        return None
    return (selects[0] if len(selects) == 1 else union_all(*selects)).subquery("work")


def counts(session: Session, user: User, filters: Filters = NO_FILTERS, moment: Moment | None = None) -> dict:
    """How much work each tab holds (one count query per tab over every source)."""
    moment = moment or moment_of(session)
    found = {}
    for scope in SCOPES:
        work = _union(session, user, scope, filters, moment)
        found[scope] = 0 if work is None else session.scalar(select(func.count()).select_from(work)) or 0
    return found


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
    total = session.scalar(select(func.count()).select_from(work)) or 0
    if scope == "done":
        order = [work.c.sort_at.desc(), work.c.kind, work.c.key]
    else:
        due = work.c.due_at.desc() if filters.sort == "-due" else work.c.due_at
        order = [work.c.due_at.is_(None), due, work.c.sort_at, work.c.kind, work.c.key]
    keys = session.execute(
        select(work.c.kind, work.c.key).order_by(*order).limit(per_page).offset((page - 1) * per_page)
    ).all()
    by_kind: dict[str, list[str]] = {}
    for kind, key in keys:
        by_kind.setdefault(kind, []).append(key)
    loaded = {
        (kind, key): item
        for kind, wanted in by_kind.items()
        for key, item in BY_KIND[kind].items(session, user, wanted, moment).items()
    }
    return Page([loaded[k] for k in map(tuple, keys) if k in loaded], total, page, per_page)


__all__ = ["KINDS", "SOURCES", "WorkItem", "counts", "moment_of", "work_page"]
