"""Editing the holiday calendar per year; open cases' deadlines follow every change."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Set
from datetime import date, datetime, time, timedelta
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..kernel.clock import utcnow
from ..kernel.errors import Invalid
from ..kernel.i18n import N_
from ..kernel.settings import CONFIG_DIR
from ..kernel.vocabulary import CASE_FINISHED, EventType
from ..library.processes import spec_for
from ..org.admin_scope import require_admin
from ..runtime.spiff import ReadyTask
from ..store.admin_tables import CalendarYear
from ..store.calendar import TZ, default_calendar, forget_calendar
from ..store.models import Case, User
from ..store.paging import iso
from .pipeline import Work, execute
from .projection import open_rows, task_due
from .timers import reschedule


def _file_years() -> dict[int, dict]:
    data = tomllib.loads((CONFIG_DIR / "calendar.toml").read_text(encoding="utf-8"))
    return {int(year): entry for year, entry in data.items()}


def sync_calendar(session: Session, actor: str = "system") -> int:
    """Seed the years of config/calendar.toml the table lacks (edited years are never overwritten)."""
    have = set(session.scalars(select(CalendarYear.year)))
    added = 0
    for year, entry in _file_years().items():
        if int(year) in have:
            continue
        session.add(
            CalendarYear(
                year=int(year),
                holidays=sorted(entry.get("holidays", [])),
                workdays=sorted(entry.get("workdays", [])),
                provisional=bool(entry.get("provisional", False)),
                revision=1,
                updated_at=utcnow(),
                updated_by=actor,
            )
        )
        added += 1
    session.flush()
    return added


def year_dict(row: CalendarYear | None, year: int) -> dict:
    if row is None:
        return {
            "year": year,
            "holidays": [],
            "workdays": [],
            "provisional": True,
            "revision": 0,
            "updated_at": None,
            "updated_by": None,
        }
    return {
        "year": row.year,
        "holidays": list(row.holidays),
        "workdays": list(row.workdays),
        "provisional": row.provisional,
        "revision": row.revision,
        "updated_at": iso(row.updated_at),
        "updated_by": row.updated_by,
    }


def list_years(session: Session, actor: User, now: datetime | None = None) -> list[dict]:
    """Every stored year, and next year even when nobody has entered it yet (to be entered ahead)."""
    require_admin(actor)
    years = {r.year: year_dict(r, r.year) for r in session.scalars(select(CalendarYear))}
    if not years:  # not seeded yet (`flask daiban init` does it): show the file's years
        for year, entry in _file_years().items():
            years[year] = {
                **year_dict(None, year),
                "holidays": sorted(entry.get("holidays", [])),
                "workdays": sorted(entry.get("workdays", [])),
                "provisional": bool(entry.get("provisional", False)),
                "revision": 1,
            }
    next_year = (now or utcnow()).astimezone(TZ).year + 1
    return [years.get(y) or year_dict(None, y) for y in sorted(set(years) | {next_year})]


def _dates(value, year: int, field: str, errors: dict) -> list[str]:
    items = re.split(r"[\s,，;；]+", value.strip()) if isinstance(value, str) else value
    if not isinstance(items, list):
        errors[field] = N_("a list of dates like 2026-10-01")
        return []
    days = set()
    for item in items:
        if item in ("", None):
            continue
        try:
            day = date.fromisoformat(item) if isinstance(item, str) else None
        except ValueError:
            day = None
        if day is None or day.year != year:
            errors[field] = N_("dates like 2026-10-01, all in this year")
            return []
        days.add(day)
    return sorted(d.isoformat() for d in days)


def set_year(
    session: Session, actor: User, year, holidays, workdays, provisional=False, now: datetime | None = None
) -> dict:
    """Replace one year's holidays and make-up working days; then each open item whose working
    period touches a changed day gets its deadlines counted again, each item its own command."""
    require_admin(actor)
    errors: dict[str, str] = {}
    try:
        year = int(year)
    except (TypeError, ValueError):
        year = 0
    if not 2000 <= year <= 2100:
        raise Invalid(N_("the year cannot be changed"), {"year": N_("a year between 2000 and 2100")})
    holidays = _dates(holidays, year, "holidays", errors)
    workdays = _dates(workdays, year, "workdays", errors)
    if set(holidays) & set(workdays):
        errors["workdays"] = N_("a day cannot be both a holiday and a working day")
    elif any(date.fromisoformat(d).weekday() < 5 for d in workdays):
        errors["workdays"] = N_("make-up working days fall on a Saturday or Sunday")
    if errors:
        raise Invalid(N_("the year cannot be changed"), errors)

    def act(work: Work) -> tuple[CalendarYear, set[date], list[int]]:
        sync_calendar(session)
        before = default_calendar(session, fresh=True)
        row = session.get(CalendarYear, year)
        if row is None:
            row = CalendarYear(year=year, revision=0, holidays=[], workdays=[])
            session.add(row)
        old = {"holidays": list(row.holidays), "workdays": list(row.workdays)}
        row.holidays, row.workdays, row.provisional = holidays, workdays, bool(provisional)
        row.revision += 1
        row.updated_at, row.updated_by = work.now, actor.username
        session.flush()
        after = default_calendar(session, fresh=True)
        changed = set((before.holidays ^ after.holidays) | (before.workdays ^ after.workdays))
        affected = _affected_cases(session, changed) if changed else []
        work.event(
            EventType.CALENDAR_CHANGED,
            None,
            year=year,
            holidays_added=sorted(set(holidays) - set(old["holidays"])),
            holidays_removed=sorted(set(old["holidays"]) - set(holidays)),
            workdays_added=sorted(set(workdays) - set(old["workdays"])),
            workdays_removed=sorted(set(old["workdays"]) - set(workdays)),
            cases_affected=len(affected),
        )
        return row, changed, affected

    try:
        row, _changed, affected = execute(session, actor, act, now)
    finally:
        forget_calendar()  # committed or not, this process reads the calendar again
    moved = sum(1 for case_id in affected if execute(session, actor, partial(_recount, case_id=case_id), now))
    return {**year_dict(row, year), "cases_recomputed": moved}


def task_properties(case: Case, spec_name: str) -> dict:
    """A task's BPMN properties from the case's pinned (cached) spec, subprocesses included."""
    process = spec_for(case.process_version)
    for spec in (process.spec, *process.subprocess_specs.values()):
        task = spec.task_specs.get(spec_name)
        if task is not None:
            return task.extensions.get("properties", {})
    return {}


def _affected_cases(session: Session, changed: Set[date]) -> list[int]:
    """Open items (not finished, not test runs) whose working period touches a changed day."""
    first = datetime.combine(min(changed), time.min, TZ)
    last = datetime.combine(max(changed) + timedelta(days=1), time.min, TZ)
    return list(
        session.scalars(
            select(Case.id)
            .where(
                Case.status.not_in(CASE_FINISHED),
                Case.is_test_run.is_(False),
                Case.opened_at < last,
                Case.due_at >= first,
            )
            .order_by(Case.id)
        )
    )


def _recount(work: Work, case_id: int) -> bool:
    """Count the item's deadline again from what it was counted from (its opening, or a restart such
    as a special item's halved limit), and each open task's from when it opened; their timers move
    with them. One event when anything moved."""
    session = work.session
    case = work.lock_case(case_id, with_state=False)
    if case.status in CASE_FINISHED:
        return False
    calendar = default_calendar(session)
    old_due = case.due_at
    start = case.due_from or case.opened_at
    days = case.due_days if case.due_days is not None else case.catalog_item.time_limit_days
    case.due_at = calendar.deadline(start, days)
    moved_tasks = 0
    for row in open_rows(session, case):
        properties = task_properties(case, row.spec_name)
        # The task as the projection saw it: its properties, and its data as the row keeps it.
        task = ReadyTask(row.id, row.spec_name, row.name, row.role, properties, row.context or {})
        due = task_due(case, task, row.created_at, session, calendar)
        if due != row.due_at:
            row.due_at, moved_tasks = due, moved_tasks + 1
            reschedule(session, case, row, properties.get("deadline_kind"), work.now, calendar)
    if case.due_at == old_due and not moved_tasks:
        return False
    work.event(
        EventType.DEADLINE_RECOMPUTED,
        case,
        old_due_at=iso(old_due),
        due_at=iso(case.due_at),
        tasks=moved_tasks,
    )
    return True
