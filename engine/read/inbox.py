"""The one staff inbox, for pages and the API: scopes with counts, filters, due marks from the deadline timers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import false, func, or_, select, tuple_
from sqlalchemy.orm import Session, aliased

from ..kernel.clock import utcnow
from ..kernel.vocabulary import EventType, TaskState, TimerKind, UnitKind
from ..store.calendar import default_calendar
from ..store.models import Case, CatalogItem, Event, OrgUnit, TaskRow, User
from .shapes import Page, clamp_page

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


def due_soon_limit(session: Session, now: datetime) -> datetime:
    """Due soon: due by the end of the next working day (of the county's calendar as edited)."""
    return default_calendar(session).deadline(now, 1)


def due_colour(session: Session, due_at: datetime | None, now: datetime | None = None) -> str:
    """A deadline's colour by the clock and the working-day calendar, for the window's lists of other units'
    work (the inbox marks its own tasks by their timers, `due_mark`)."""
    now = now or utcnow()
    if due_at is None:
        return "normal"
    if due_at < now:
        return TimerKind.OVERDUE
    return TimerKind.DUE_SOON if due_at <= due_soon_limit(session, now) else "normal"


# The one inbox, for pages and API alike. Each scope means one thing (docs/domain.md, "Inbox"):
#   mine       open tasks claimed by me
#   available  open tasks of my roles at my units that nobody has claimed
#   due_soon   my work (mine + available) whose due-soon timer has fired (due_state = due_soon)
#   overdue    my work whose overdue timer has fired (due_state = overdue); for supervisors and
#              discipline inspectors also every overdue open task of an item in their subtree
#   done       tasks I completed, newest first
# "Due soon" and "overdue" are the deadline timers' verdict (engine/cases/timers.py), the same fact that
# escalates a task to oversight and asks for a delay explanation, so a list never disagrees with them.
SCOPES = TABS
# Oversight roles see overdue tasks of their whole subtree (the county supervisor, the township inspector).
OVERSIGHT_ROLES = ("supervisor", "discipline_inspector")


def _available(user: User):
    pairs = [(a.role, a.org_unit_id) for a in user.roles]
    if not pairs:
        return false()
    return (
        (TaskRow.state == "ready")
        & TaskRow.assignee_id.is_(None)
        & tuple_(TaskRow.role, TaskRow.org_unit_id).in_(pairs)
    )


def _mine(user: User):
    return (TaskRow.state == "ready") & (TaskRow.assignee_id == user.id)


def _my_work(user: User):
    """Open tasks I hold, or open to my roles and units and not yet taken."""
    return or_(_mine(user), _available(user))


def _overseen(user: User):
    """Open tasks of items whose village lies below a unit where I hold an oversight role."""
    paths = [a.org_unit.path for a in user.roles if a.role in OVERSIGHT_ROLES]
    if not paths:
        return false()
    # Asked of each overdue task by its item (a key lookup and its village), never as the set of the
    # county's items: overdue tasks come off their own index (ix_tasks_late), a handful beside the
    # millions of items a county supervisor oversees, which a hashed set would read every time.
    village = aliased(OrgUnit)
    below = (
        select(Case.id)
        .join(village, village.id == Case.village_id)
        .where(
            Case.id == TaskRow.case_id,
            village.kind == UnitKind.VILLAGE,
            or_(*[village.path.startswith(p) for p in paths]),
        )
    )
    return (TaskRow.state == "ready") & below.exists()


def scope_condition(user: User, scope: str):
    """The SQL condition of one inbox scope for `user` (the meanings are listed above)."""
    if scope == "mine":
        return _mine(user)
    if scope == "available":
        return _available(user)
    if scope == "due_soon":
        return _my_work(user) & (TaskRow.due_state == TimerKind.DUE_SOON)
    if scope == "overdue":
        return or_(_my_work(user), _overseen(user)) & (TaskRow.due_state == TimerKind.OVERDUE)
    if scope == "done":
        return (TaskRow.state == TaskState.COMPLETED) & (TaskRow.completed_by_id == user.id)
    raise ValueError(scope)


def due_mark(row: TaskRow) -> str:
    """How a listed task is coloured: its timers' verdict while open ("due_soon", "overdue"), else "normal"."""
    return row.due_state if row.state == "ready" and row.due_state in ("due_soon", "overdue") else "normal"


def _filtered(query, filters: Filters):
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


def inbox_query(user: User, scope: str, filters: Filters = Filters()):
    """The scope's tasks, filtered and in list order: soonest due first (done: newest first)."""
    query = _filtered(select(TaskRow).where(scope_condition(user, scope)), filters)
    if scope == "done":
        return query.order_by(TaskRow.completed_at.desc(), TaskRow.id)
    due = TaskRow.due_at.desc() if filters.sort == "-due" else TaskRow.due_at
    return query.order_by(due, TaskRow.created_at, TaskRow.id)


def inbox_page(session: Session, user: User, scope: str, filters: Filters = Filters(), page=1, per_page=20) -> Page:
    """One page of a scope, as the API's {items, total, page, per_page}."""
    page, per_page = clamp_page(page, per_page)
    query = inbox_query(user, scope, filters)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    items = list(session.scalars(query.limit(per_page).offset((page - 1) * per_page)).unique())
    return Page(items, total, page, per_page)


def inbox(session: Session, user: User, scope: str = "available", page=1, per_page=20) -> Page:
    """`inbox_page` without filters (the API's and the scenarios' call)."""
    return inbox_page(session, user, scope, Filters(), page, per_page)


def tab_counts(session: Session, user: User, filters: Filters = Filters()) -> dict:
    counts = {}
    for scope in SCOPES:
        query = _filtered(select(TaskRow.id).where(scope_condition(user, scope)), filters)
        counts[scope] = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    return counts


def opening_tab(session: Session, user: User, counts: dict) -> str:
    """The tab the inbox opens on: my claimed work when something was sent back to me (a return lands
    on whoever did the step), else the unit's unclaimed work when there is some, else the first tab
    with work in it."""
    if counts.get("mine"):
        mine = session.scalars(select(TaskRow).where(scope_condition(user, "mine")).limit(200)).all()
        if returned_to(session, list(mine)):
            return "mine"
    order = ("available", "mine", "overdue", "due_soon")
    return next((scope for scope in order if counts.get(scope)), "available")


def returned_to(session: Session, rows: list[TaskRow]) -> dict[str, str]:
    """The open rows among `rows` that were sent back to their holder (退回), with the latest reason."""
    open_ids = {r.id for r in rows if r.state == TaskState.READY}
    if not open_ids:
        return {}
    events = session.scalars(
        select(Event)
        .where(Event.case_id.in_({r.case_id for r in rows}), Event.type == EventType.TASK_RETURNED)
        .order_by(Event.at, Event.id)
    )
    return {
        str(e.detail.get("to_task")): str(e.detail.get("reason") or "")
        for e in events
        if e.detail.get("to_task") in open_ids
    }


def filter_places(session: Session) -> tuple[list[OrgUnit], list[OrgUnit]]:
    """Townships and villages to filter by (names only; filtering never widens what one sees)."""
    units = session.scalars(
        select(OrgUnit)
        .where(OrgUnit.kind.in_((UnitKind.TOWNSHIP, UnitKind.VILLAGE)), OrgUnit.active.is_(True))
        .order_by(OrgUnit.path)
    ).all()
    return [u for u in units if u.kind == UnitKind.TOWNSHIP], [u for u in units if u.kind == UnitKind.VILLAGE]
