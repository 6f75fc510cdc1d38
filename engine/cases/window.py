"""The county window (县代办窗口): incoming items from every township, bulk dispatch to
departments, tracking what is out, and results going back in one batch per township,
handed over on the township's fixed office days and confirmed by the township agent."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..kernel.errors import DomainError, Forbidden, Invalid, NotFound
from ..kernel.i18n import N_
from ..kernel.vocabulary import Role
from ..org.org import active_children, office_days
from ..store.calendar import default_calendar
from ..store.models import Case, OrgUnit, TaskRow, User
from ..store.workspace_tables import Batch, BatchItem, OfficeDay  # noqa: F401  (Batch, BatchItem: the window's tables)
from .commands import complete_task

# The window's steps in bpmn/proxy_case.bpmn: sorting items to departments, sending results back.
INCOMING_STEPS = ("sort_to_departments",)


def upcoming_office_days(session: Session, township: OrgUnit, today: date, count: int = 4) -> list[date]:
    """The township's next fixed days; every working day when it has none."""
    days: list[date] = []
    weekdays, day = set(office_days(session, township)), today
    calendar = default_calendar(session)
    while len(days) < count and day < today + timedelta(days=120):
        # Fixed office days are often a Sunday (market day), so they override weekends, not holidays.
        if (day.weekday() in weekdays and day not in calendar.holidays) if weekdays else calendar.is_working_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def my_window(user: User) -> OrgUnit:
    unit = next((a.org_unit for a in user.roles if a.role == Role.COUNTY_WINDOW), None)
    if unit is None:
        raise Forbidden(N_("only the county window may do this"))
    return unit


def _window_rows(session: Session, window: OrgUnit, steps) -> list[TaskRow]:
    return list(
        session.scalars(
            select(TaskRow)
            .where(
                TaskRow.state == "ready",
                TaskRow.role == "county_window",
                TaskRow.org_unit_id == window.id,
                TaskRow.spec_name.in_(steps),
            )
            .order_by(TaskRow.due_at, TaskRow.created_at)
        )
    )


@dataclass
class Group:
    """Rows gathered under a unit; `unit` is None for a department function the county has no unit for."""

    unit: OrgUnit | None
    rows: list = field(default_factory=list)


@dataclass
class UnitGroup(Group):
    """Rows gathered under a unit that exists (a township, a department holding tasks)."""

    unit: OrgUnit


def case_township(session: Session, case: Case) -> OrgUnit:
    """The township a case belongs to (`Case.township_id` is a foreign key)."""
    township = session.get(OrgUnit, case.township_id)
    if township is None:
        raise NotFound(N_("no such unit"))
    return township


def _departments(session: Session, window: OrgUnit) -> dict[str, OrgUnit]:
    if window.parent_id is None:  # no county above it: no departments
        return {}
    return {u.function: u for u in active_children(session, window.parent_id, "department") if u.function is not None}


def incoming(session: Session, user: User) -> tuple[list[Group], list[Group]]:
    """Items waiting to be sorted, grouped by township and by target department (an item
    needing three departments counts under each)."""
    window = my_window(user)
    rows = _window_rows(session, window, INCOMING_STEPS)
    townships: dict[int, Group] = {}
    departments: dict[str, Group] = {}
    units = _departments(session, window)
    for row in rows:
        townships.setdefault(row.case.township_id, Group(session.get(OrgUnit, row.case.township_id))).rows.append(row)
        for function in row.case.catalog_item.departments:
            departments.setdefault(function, Group(units.get(function))).rows.append(row)
    return list(townships.values()), sorted(departments.values(), key=lambda g: -len(g.rows))


def dispatch_many(session: Session, actor: User, task_ids, note: str = "", now: datetime | None = None) -> list[dict]:
    """Sort many items at once: each its own command (transaction and event); one failing
    never stops or undoes the others. Returns per-item outcomes."""

    my_window(actor)
    if not isinstance(task_ids, list) or not all(isinstance(t, str) for t in task_ids):
        raise Invalid(N_("choose the items to send"), {"task_ids": N_("a list of task ids")})
    data = {"note": note.strip()} if isinstance(note, str) and note.strip() else {}
    results = []
    for task_id in list(dict.fromkeys(task_ids))[:200]:
        row = session.get(TaskRow, task_id) if isinstance(task_id, str) and len(task_id) <= 36 else None
        receipt = row.case.receipt_code if row is not None else None
        try:
            if row is None or row.spec_name not in INCOMING_STEPS:
                raise NotFound(N_("no such task"))
            complete_task(session, actor, task_id, data, now=now)
            results.append({"task_id": task_id, "receipt_code": receipt, "ok": True, "message": None})
        except DomainError as err:  # the pipeline applied nothing of this item
            results.append({"task_id": task_id, "receipt_code": receipt, "ok": False, "message": err.message})
    return results
