"""The pipeline of every command on an item, on the store's unit of work (engine/store/unit_of_work.py):

    load (case locked with its version) → may this actor? (`work.may`) → act → engine steps →
    re-derive every fact of each touched case → exactly one audit event → commit

An act step loads what it needs through its `Work` (so the case is locked first), asks the
permission table (`work.may`), changes things, settles each case whose workflow it moved
(`work.settle`: every fact of the case is derived again from its workflow,
engine/cases/casefacts.py) and records its one event (`work.event`). The commit, the one event
and the Conflict (409) with nothing applied on a lost race come from the unit of work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from sqlalchemy import inspect, or_, select
from sqlalchemy.orm import Session, lazyload, undefer
from sqlalchemy.orm.attributes import set_committed_value

from ..kernel.errors import NotFound
from ..kernel.i18n import N_
from ..kernel.vocabulary import EventType, TaskState
from ..library.processes import spec_for
from ..runtime.spiff import WORKFLOWS, load_state
from ..store import unit_of_work
from ..store.models import Case, TaskRow, User
from .casefacts import Facts, completed_ids, derive_facts
from .notices import arrival_kind, holders_of, task_detail
from .permissions import require
from .sms import text_resident, texts_for

T = TypeVar("T")


@dataclass
class Work(unit_of_work.Work):
    """What an act step on an item sees: besides the unit of work, the item's loading, its
    permission check and the settling of its facts."""

    settled: set[int] = field(default_factory=set)
    passed: dict[int, set] = field(default_factory=dict)  # by case: what its workflow had completed
    arrived: dict[str, tuple[TaskRow, Case]] = field(default_factory=dict)  # tasks opened or reopened now
    statuses: dict[int, tuple[Case, str]] = field(default_factory=dict)  # each settled case's first status
    # Each settled case, its workflow and the state stored from it (for the workflow cache).
    stored: dict[int, tuple[Case, object, str]] = field(default_factory=dict)
    # By case: its open rows as `task` read them (for an act that changes no row before settling).
    open_rows: dict[int, list[TaskRow]] = field(default_factory=dict)

    def workflow(self, case: Case):
        """The case's workflow from its pinned version, remembering what it had passed (for notices).
        The workflow this process stored last for this very state is taken from the cache."""
        workflow = WORKFLOWS.take(case.id, case.version, case.state)
        if workflow is None:
            workflow = load_state(case.state, spec_for(case.process_version))
        self.passed[id(case)] = completed_ids(workflow)
        return workflow

    def lock_case(self, case_id, with_state: bool = True) -> Case:
        """The case, re-read and locked (FOR UPDATE on PostgreSQL) before anything else changes, so
        two commands on one case run one after the other and the second sees the first's result.
        `case_id` is an id or a scalar subquery that finds it (one statement for a task's case)."""
        query = select(Case).where(Case.id == case_id).execution_options(populate_existing=True)
        if with_state:
            query = query.options(undefer(Case.state))
        if self.session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(of=Case)
        case = self.session.scalar(query)
        if case is None:
            raise NotFound(N_("no such case"))
        return case

    def task(self, task_id, with_state: bool = True) -> TaskRow:
        """A task row and its case, the case locked first and the row read after the lock."""
        if not isinstance(task_id, str) or len(task_id) > 36:
            raise NotFound(N_("no such task"))
        # One statement finds and locks the case; a task id that names no task finds no case.
        case = self.lock_case(select(TaskRow.case_id).where(TaskRow.id == task_id).scalar_subquery(), with_state)
        # The rows are read again after the lock (populate_existing). Their case is the one just locked:
        # given to them here, not loaded with them, which would read the case a second time and forget
        # its just loaded state (a reload propagates to lazy loads). The case's other open rows come in
        # the same statement: settling the case after completing this row needs them.
        rows = self.session.scalars(
            select(TaskRow)
            .where(TaskRow.case_id == case.id, or_(TaskRow.id == task_id, TaskRow.state == TaskState.READY))
            .options(lazyload(TaskRow.case))
            .execution_options(populate_existing=True)
        ).all()
        for found in rows:
            set_committed_value(found, "case", case)
        row = next((r for r in rows if r.id == task_id), None)
        if row is None:
            raise NotFound(N_("no such task"))
        self.open_rows[case.id] = [r for r in rows if r.state == TaskState.READY]
        return row

    def may(self, action: str, case: Case | None = None, row: TaskRow | None = None, batch=None) -> None:
        """The pipeline's "may this actor?": the permission table answers (config/permissions.toml)."""
        assert self.actor is not None  # only the system acts without an actor, and it asks no permission
        require(self.session, self.actor, action, case if case is not None else (row.case if row else None), row, batch)

    def settle(
        self,
        case: Case,
        workflow,
        completed: tuple[str, int] | None = None,
        reopened: list[TaskRow] | None = None,
        open_rows: list[TaskRow] | None = None,
    ) -> Facts:
        """`case`'s workflow changed: store it and derive every fact of the case from it now (status,
        closing, where it is, inbox rows, timers, batches), so the act's event can name the result.
        `open_rows`: the case's open rows, when the act read them (`task`) and changed none since."""
        before = self.passed.get(id(case), set())
        self.statuses.setdefault(id(case), (case, case.status))
        facts = derive_facts(self.session, case, workflow, self.now, before, completed, reopened or [], open_rows)
        self.stored[id(case)] = (case, workflow, case.state)
        self.passed[id(case)] = facts.passed
        self.settled.add(id(case))
        for row in [*facts.new_rows, *(reopened or [])]:
            self.arrived[row.id] = (row, case)
        return facts

    def arrive(self, row: TaskRow, case: Case) -> None:
        """An open task reached someone new without the workflow moving (转交 to a colleague, 转办 to a
        peer unit): its new holder, or its new unit, is told like for a new task."""
        self.arrived[row.id] = (row, case)

    def before_commit(self) -> None:
        """Tell the people each task this command opened or reopened reached (engine/cases/notices.py):
        its holder, or every member of its unit's role; returned work is said to be returned. Text the
        resident what their item's change of status means for them (engine/cases/sms.py, the outbox)."""
        if not self.arrived and not self.statuses:
            return
        opened = self.events[0].type == EventType.CASE_OPENED
        for case, status_before in self.statuses.values():
            for template in texts_for(opened, status_before, case):
                text_resident(self.session, case, template, self.now)
        kind = arrival_kind(self.events[0].type)
        told = [
            (row, case) for row, case in self.arrived.values() if row.state == TaskState.READY and not case.is_test_run
        ]
        people = holders_of(self.session, [row for row, _ in told])  # one query for every row reached
        for row, case in told:
            self.notify(people[row.id], kind, case, row.id, **task_detail(row, case))

    def after_commit(self) -> None:
        """The workflows just stored stay in this process for the next command on their case."""
        for case, workflow, state in self.stored.values():
            # Only a workflow whose state went out unchanged (nothing re-stored it after settling);
            # read without loading anything (a session that expires on commit has forgotten it all).
            loaded = inspect(case).dict
            case_id, version = loaded.get("id"), loaded.get("version")
            if case_id is not None and version is not None and state and loaded.get("state") is state:
                WORKFLOWS.keep(case_id, version, state, workflow)

    def changed(self) -> bool:
        return bool(self.settled) or super().changed()


def execute(session: Session, actor: User | None, act: Callable[[Work], T], now: datetime | None = None) -> T:
    """Run one command on an item: `act`, then the facts, the one event and the commit."""
    return unit_of_work.run(session, actor, act, now, Work)
