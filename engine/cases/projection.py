"""Keeps the inbox projection (tasks table) in step with a case's workflow state."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from ..kernel.errors import Invalid, NotFound
from ..kernel.i18n import N_
from ..kernel.vocabulary import Role, TaskState, UnitKind
from ..org.org import ancestor_of_kind, child_of_kind, unit_by_code
from ..org.roles import roles
from ..runtime.expressions import ExpressionError, evaluate
from ..runtime.spiff import ReadyTask, ready_user_tasks
from ..store.calendar import WorkingCalendar, default_calendar
from ..store.models import Case, OrgUnit, TaskRow
from .timers import RESUBMISSION, add_timers, cancel_all_but, schedule, sync_process_timers


class UnitResolver:
    """Finds the org unit that owns a task: `case.<unit>` or `data.<variable>` (config/roles.toml)."""

    def __init__(self, session: Session, case: Case):
        self.session = session
        self.case = case
        self._cache: dict[str, OrgUnit | None] = {}
        self._by_code: dict[str, OrgUnit | None] = {}

    def prefetch(self, tasks: list[ReadyTask]) -> None:
        """The units the tasks name by code in their data (`data.<variable>`), in one query: a joint
        item reaches all its departments at once."""
        codes = set()
        for task in tasks:
            rule = self._rule(task)
            source, _, name = (rule or "").partition(".")
            code = task.data.get(name) if source == "data" else None
            if isinstance(code, str) and code not in self._by_code:
                codes.add(code)
        if codes:
            found = {u.code: u for u in self.session.scalars(select(OrgUnit).where(OrgUnit.code.in_(sorted(codes))))}
            self._by_code.update({code: found.get(code) for code in codes})

    def _rule(self, task: ReadyTask) -> str | None:
        role = roles().get(task.lane or "")
        return task.properties.get("unit") or (role.unit if role is not None else None)

    def unit_by_code(self, code: str) -> OrgUnit | None:
        if code not in self._by_code:
            self._by_code[code] = unit_by_code(self.session, code)
        return self._by_code[code]

    def case_unit(self, which: str) -> OrgUnit | None:
        if which not in self._cache:
            village = self.case.village
            unit: OrgUnit | None
            if which == UnitKind.VILLAGE:
                unit = village
            elif which == UnitKind.TOWNSHIP:
                unit = ancestor_of_kind(self.session, village, UnitKind.TOWNSHIP)
            elif which == UnitKind.COUNTY:
                unit = ancestor_of_kind(self.session, village, UnitKind.COUNTY)
            elif which == UnitKind.WINDOW:
                county = self.case_unit(UnitKind.COUNTY)
                unit = county and child_of_kind(self.session, county, UnitKind.WINDOW)
            else:
                raise ValueError(f"unknown case unit {which}")
            self._cache[which] = unit
        return self._cache[which]

    def required_unit(self, which: str) -> OrgUnit:
        """`case_unit` for a unit every case has (its village's township and county): NotFound if the tree is broken."""
        unit = self.case_unit(which)
        if unit is None:
            raise NotFound(N_("no such unit"))
        return unit

    def resolve(self, task: ReadyTask) -> OrgUnit:
        role = roles().get(task.lane or "")
        if role is None and self.case.is_test_run:
            # An analyst's test run of another modeler's diagram: a lane that is no role is the analyst's.
            return self.case.village
        if role is None:
            raise Invalid(
                f"task {task.spec_name}: lane {task.lane!r} is not a known role", {task.spec_name: "lane is not a role"}
            )
        rule = task.properties.get("unit") or role.unit
        source, _, name = rule.partition(".")
        unit = None
        if source == "case":
            unit = self.case_unit(name)
        elif source == "data":
            code = task.data.get(name)
            unit = self.unit_by_code(code) if isinstance(code, str) else None
        if unit is None:
            raise Invalid(f"task {task.spec_name}: no org unit for {rule}", {task.spec_name: f"no unit for {rule}"})
        return unit


def open_rows(session: Session, case: Case) -> list[TaskRow]:
    """The case's open inbox rows, oldest first (steps opened together stay in the order they were
    written). Their case is the one in hand, not joined again for each row."""
    return list(
        session.scalars(
            select(TaskRow)
            .where(TaskRow.case_id == case.id, TaskRow.state == TaskState.READY)
            .options(lazyload(TaskRow.case))
            .order_by(TaskRow.created_at)
        )
    )


def is_alongside(task: ReadyTask) -> bool:
    """The task runs beside the main path (bpmn property `alongside`): an obligation with its own
    deadline, never where the item is."""
    return str(task.properties.get("alongside") or "").strip().lower() == "true"


def task_due(
    case: Case, task: ReadyTask, now: datetime, session: Session, calendar: WorkingCalendar | None = None
) -> datetime:
    """The task's own limit (working days; a number or an expression over the task data), never
    later than the case deadline, except a resident's resubmission deadline which is the resident's own."""
    days = str(task.properties.get("time_limit_days") or "").strip()
    if not days:
        return case.due_at
    if not days.isdigit():
        try:
            days = evaluate(days, task.data)
        except ExpressionError as err:
            raise Invalid(f"task {task.spec_name}: time_limit_days: {err}", {task.spec_name: str(err)}) from None
    own = (calendar or default_calendar(session)).deadline(now, int(days))
    if task.properties.get("deadline_kind") == RESUBMISSION:
        return own
    return min(case.due_at, own)


def task_context(data: dict) -> dict:
    """The task's workflow data as plain JSON (what GET /tasks/<id> shows the handler)."""
    return json.loads(json.dumps(data, default=str))


def refresh_inbox(
    session: Session,
    case: Case,
    workflow,
    now: datetime,
    completed: tuple[str, int] | None = None,
    reopened: list[TaskRow] | None = None,
    open_rows_read: list[TaskRow] | None = None,
) -> tuple[list[TaskRow], list[TaskRow], list[TaskRow]]:
    """Insert rows for new READY user tasks, close rows of tasks that left READY, and keep each
    open row's timers exactly: none for a row that is not open, new ones for a reopened row.

    `completed` is (task id, user id) of the task the command completed; other
    rows that left READY were cancelled by the process. `reopened` are rows a
    rewind (退回, 撤回) opened again with a new deadline. `open_rows_read`: the case's open rows if the
    command already read them. Returns the new rows, the rows the process cancelled (或签's other
    parts once one department answered, a removed department's part) and every row that left.

    Nothing it reads depends on what the command has not written yet (rows leave the inbox by
    UPDATE statements or here), so it never flushes midway: the command's changes go out once.
    """
    with session.no_autoflush:
        return _refresh(session, case, workflow, now, completed, reopened or [], open_rows_read)


def _refresh(session, case, workflow, now, completed, reopened, open_rows_read):
    ready = ready_user_tasks(workflow)
    ready_ids = {t.id for t in ready}
    if open_rows_read is None:
        open_rows_read = open_rows(session, case)
    # What is open now: rows the command closed are no longer, a row a rewind reopened is again.
    still_open = {r.id: r for r in [*open_rows_read, *reopened] if r.state == TaskState.READY}
    if case.id is not None:
        cancel_all_but(session, case.id, ready_ids)
        sync_process_timers(session, case, workflow)
    by_id = {t.id: t for t in ready}
    cancelled, left = [], []
    for row_id, row in still_open.items():
        if row_id in ready_ids:
            data = by_id[row_id].data
            if row.context != data:  # a transfer or migration may change it (most commands change no other row)
                row.context = task_context(data)
            continue
        left.append(row)
        row.context = None
        if completed and row_id == completed[0]:
            row.state, row.completed_by_id = TaskState.COMPLETED, completed[1]
        else:
            row.state = TaskState.CANCELLED
            cancelled.append(row)
        row.completed_at = now
    resolver = UnitResolver(session, case)
    new_rows = []
    timers: list[dict] = []
    calendar = None
    # Every read first (units, the calendar), then the new rows and their timers: added together, they
    # go out in one flush as one INSERT per table instead of a statement per row between the reads.
    placed = []
    resolver.prefetch([t for t in ready if t.id not in still_open])
    for task in ready:
        if task.id in still_open:
            continue
        calendar = calendar or default_calendar(session)  # one look at the calendar per command
        placed.append((task, resolver.resolve(task), task_due(case, task, now, session, calendar)))
    for task, unit, due_at in placed:
        row = TaskRow(
            id=task.id,
            case_id=case.id,
            spec_name=task.spec_name,
            name=task.name,
            role=task.lane if task.lane in roles() else Role.ANALYST,  # (a test run's unknown lane)
            org_unit_id=unit.id,
            org_unit=unit,
            form=task.properties.get("formJsonSchemaFilename"),
            state=TaskState.READY,
            created_at=now,
            due_at=due_at,
            context=task_context(task.data),
            # An analyst's test run never reaches real inboxes: every step is the analyst's.
            assignee_id=case.owner_id if case.is_test_run else None,
        )
        session.add(row)
        timers += schedule(session, case, row, task.properties.get("deadline_kind"), now, calendar)
        new_rows.append(row)
    for row in reopened:
        if row.state == TaskState.READY and row.id in by_id:
            calendar = calendar or default_calendar(session)
            row.due_state = None  # a fresh period: due soon and overdue are told again
            timers += schedule(session, case, row, by_id[row.id].properties.get("deadline_kind"), now, calendar)
    add_timers(session, timers)
    # The item is where its main path is: a task alongside it (the written progress notice) holds
    # the item only while nothing else is open.
    main = {t.id for t in ready if not is_alongside(t)} or ready_ids
    current = next((r for r in new_rows if r.id in main), None) or next(
        (still_open[t.id] for t in ready if t.id in still_open and t.id in main), None
    )
    if current is not None:
        # The unit itself, not only its id: the case object outlives the commit (sessions keep their
        # objects after it) and says where the item is in the command's answer.
        case.org_unit_id, case.org_unit = current.org_unit_id, current.org_unit
        case.level = roles()[current.role].level if current.role in roles() else case.level
    return new_rows, cancelled, left


def relabel_open_rows(session: Session, case: Case, workflow) -> None:
    """After a case moved to another version: open rows take the new step's name, form and lane
    (a new lane also means a new org unit); claims stay while the role stays."""
    ready = {t.id: t for t in ready_user_tasks(workflow)}
    resolver = UnitResolver(session, case)
    for row in open_rows(session, case):
        task = ready.get(row.id)
        if task is None:
            continue
        row.spec_name, row.name = task.spec_name, task.name
        row.form = task.properties.get("formJsonSchemaFilename")
        if task.lane != row.role:
            unit = resolver.resolve(task)
            assert task.lane is not None  # `resolve` accepts only a lane that is a known role
            row.role, row.org_unit_id, row.org_unit, row.assignee_id = task.lane, unit.id, unit, None
