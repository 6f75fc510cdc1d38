"""The staff inbox: tabs with counts, filters, due-date colours from the working-day calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import false, func, or_, select, tuple_
from sqlalchemy.orm import Session

from .calendar import default_calendar
from .clock import utcnow
from .models import Case, CatalogItem, OrgUnit, TaskRow, User
from .views import Page, clamp_page
from .vocabulary import TaskState, TimerKind, UnitKind

TABS = ("mine", "available", "due_soon", "overdue", "done")


@dataclass(frozen=True)
class Filters:
    category: str | None = None
    kind: str | None = None
    township: str | None = None  # unit code
    village: str | None = None  # unit code
    sort: str = "due"  # "due" soonest first, "-due" latest first

    @classmethod
    def from_args(cls, args) -> Filters:
        def pick(name):
            value = args.get(name) or None
            return value if value is None or len(value) <= 64 else None

        return cls(
            pick("category"),
            pick("kind"),
            pick("township"),
            pick("village"),
            "-due" if args.get("sort") == "-due" else "due",
        )


def due_soon_limit(now: datetime) -> datetime:
    """Due soon: due by the end of the next working day."""
    return default_calendar().deadline(now, 1)


def due_colour(due_at: datetime | None, now: datetime | None = None) -> str:
    now = now or utcnow()
    if due_at is None:
        return "normal"
    if due_at < now:
        return TimerKind.OVERDUE
    return TimerKind.DUE_SOON if due_at <= due_soon_limit(now) else "normal"


def _my_work(user: User):
    """Open tasks I hold, or open to my roles and units and not yet taken."""
    pairs = [(a.role, a.org_unit_id) for a in user.roles]
    unclaimed = (
        (TaskRow.assignee_id.is_(None) & tuple_(TaskRow.role, TaskRow.org_unit_id).in_(pairs)) if pairs else false()
    )
    return (TaskRow.state == TaskState.READY) & or_(TaskRow.assignee_id == user.id, unclaimed)


def tab_condition(user: User, tab: str, now: datetime):
    if tab == "mine":
        return (TaskRow.state == TaskState.READY) & (TaskRow.assignee_id == user.id)
    if tab == "available":
        pairs = [(a.role, a.org_unit_id) for a in user.roles]
        if not pairs:
            return false()
        return (
            (TaskRow.state == TaskState.READY)
            & TaskRow.assignee_id.is_(None)
            & tuple_(TaskRow.role, TaskRow.org_unit_id).in_(pairs)
        )
    if tab == "due_soon":
        return _my_work(user) & (TaskRow.due_at >= now) & (TaskRow.due_at <= due_soon_limit(now))
    if tab == "overdue":
        return _my_work(user) & (TaskRow.due_at < now)
    if tab == "done":
        return (TaskRow.state == TaskState.COMPLETED) & (TaskRow.completed_by_id == user.id)
    raise ValueError(tab)


def _filtered(session: Session, query, filters: Filters):
    if filters.category or filters.kind or filters.township or filters.village:
        query = query.join(Case, Case.id == TaskRow.case_id)
    if filters.category:
        query = query.join(CatalogItem, CatalogItem.id == Case.catalog_item_id).where(
            CatalogItem.category == filters.category
        )
    if filters.kind:
        query = query.where(Case.kind == filters.kind)
    for code, column in ((filters.township, Case.township_id), (filters.village, Case.village_id)):
        if code:
            query = query.where(column == select(OrgUnit.id).where(OrgUnit.code == code).scalar_subquery())
    return query


def inbox_page(
    session: Session,
    user: User,
    tab: str,
    filters: Filters = Filters(),
    page=1,
    per_page=20,
    now: datetime | None = None,
) -> Page:
    now = now or utcnow()
    page, per_page = clamp_page(page, per_page)
    query = _filtered(session, select(TaskRow).where(tab_condition(user, tab, now)), filters)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    if tab == "done":
        query = query.order_by(TaskRow.completed_at.desc())
    else:
        query = query.order_by(TaskRow.due_at.desc() if filters.sort == "-due" else TaskRow.due_at, TaskRow.created_at)
    items = list(session.scalars(query.order_by(TaskRow.id).limit(per_page).offset((page - 1) * per_page)).unique())
    return Page(items, total, page, per_page)


def tab_counts(session: Session, user: User, filters: Filters = Filters(), now: datetime | None = None) -> dict:
    now = now or utcnow()
    counts = {}
    for tab in TABS:
        query = _filtered(session, select(TaskRow.id).where(tab_condition(user, tab, now)), filters)
        counts[tab] = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    return counts


def filter_places(session: Session) -> tuple[list[OrgUnit], list[OrgUnit]]:
    """Townships and villages to filter by (names only; filtering never widens what one sees)."""
    units = session.scalars(
        select(OrgUnit)
        .where(OrgUnit.kind.in_((UnitKind.TOWNSHIP, UnitKind.VILLAGE)), OrgUnit.active.is_(True))
        .order_by(OrgUnit.path)
    ).all()
    return [u for u in units if u.kind == UnitKind.TOWNSHIP], [u for u in units if u.kind == UnitKind.VILLAGE]
