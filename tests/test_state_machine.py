"""Stateful property test of the pipeline (SQLite and PostgreSQL): hypothesis runs random sequences
of commands (open, claim, release, complete, return, withdraw, transfer, add or remove a department,
change the lead department) by the right and the wrong users, with clock jumps, calendar edits and
timer sweeps; after every step the
consistency check (engine/read/consistency.py, the same as `flask daiban check`) finds nothing, and a
refused command changed nothing."""

from __future__ import annotations

from datetime import timedelta

import hypothesis.strategies as st
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import func, select

from bench.driver import sample_data
from engine.cases import actions, commands, joint
from engine.cases.calendar_admin import set_year
from engine.cases.forms import task_form
from engine.cases.timer_sweep import fire_due_timers
from engine.kernel.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from engine.library.catalog import current_item
from engine.read.consistency import check_consistency
from engine.store.models import Event, TaskRow, User

from .isolated_db import demo_db, own_database_url  # noqa: F401  (calendar edits: a database of its own)
from .scenario import at

ITEMS = [("temporary-aid", "t1-v1"), ("house-building", "t1-v2"), ("social-security-annual-review", "t2-v1")]
OUTSIDERS = ["village_agent@t3-v3", "township_reception@t2", "department_handler@qx-wjj", "supervisor@qx"]
HOLIDAYS = ["2026-11-24", "2026-11-25", "2026-11-27", "2026-12-02", "2026-12-08"]


def _machine(sessions):
    class Pipeline(RuleBasedStateMachine):
        """One database, one clock; the cases this run opened."""

        @initialize()
        def start(self):
            self.session = sessions()
            self.now = at(11, 23, 9)
            self.cases: list[int] = []
            for which in ITEMS:
                self.open_item(which)
            self.joint_cases: list[int] = []
            self.to_departments()  # a joint item whose departments are at work: 加签, 减签, a new lead

        def to_departments(self) -> None:
            """A joint county item with all its materials, completed up to its departments' parts."""
            code, village = ITEMS[1]
            case = commands.open_case(
                self.session,
                self.user(f"village_agent@{village}"),
                code,
                {"name": "属性测试", "phone": "13900009999", "village": village},
                "联办件",
                list(current_item(self.session, code).materials),
                now=self.now,
            )
            case_id = case.id
            self.cases.append(case_id)
            self.joint_cases = [case_id]
            for _ in range(10):
                rows = [r for r in self.open_rows() if r.case_id == case_id and r.spec_name != "status_notice"]
                if not rows or rows[0].spec_name == "handle_in_department":
                    return
                self.attempt(commands.complete_task, self.holder(rows[0]), rows[0].id, sample_data(task_form(rows[0])))

        def teardown(self):
            self.session.close()

        def user(self, username: str) -> User:
            return self.session.scalar(select(User).where(User.username == username))

        def open_rows(self) -> list[TaskRow]:
            if not self.cases:
                return []
            return list(
                self.session.scalars(
                    select(TaskRow)
                    .where(TaskRow.case_id.in_(self.cases), TaskRow.state == "ready")
                    .order_by(TaskRow.created_at, TaskRow.id)
                )
            )

        def done_rows(self) -> list[TaskRow]:
            if not self.cases:
                return []
            return list(
                self.session.scalars(
                    select(TaskRow).where(TaskRow.case_id.in_(self.cases), TaskRow.state == "completed")
                )
            )

        def events(self) -> int:
            return self.session.scalar(select(func.count()).select_from(Event))

        def holder(self, row: TaskRow) -> User:
            return row.assignee or self.user(f"{row.role}@{row.org_unit.code}")

        def attempt(self, command, *args, allowed=(Conflict, Invalid)):
            """Run a command; an allowed refusal must change nothing."""
            before = self.events()
            try:
                command(self.session, *args, now=self.now)
            except allowed:
                self.session.rollback()
                assert self.events() == before, "a refused command recorded an event"

        @rule(which=st.sampled_from(ITEMS))
        def open_item(self, which):
            code, village = which
            case = commands.open_case(
                self.session,
                self.user(f"village_agent@{village}"),
                code,
                {"name": "属性测试", "phone": "13900009999", "village": village},
                "随机命令序列",
                [],
                now=self.now,
            )
            self.cases.append(case.id)

        @rule(pick=st.integers(0, 50), answer=st.booleans())
        def complete(self, pick, answer):
            self.complete_one(pick, answer)

        @rule(pick=st.integers(0, 50))
        def complete_as_asked(self, pick):
            """Most work is completing tasks: a second rule makes it twice as likely as any other."""
            self.complete_one(pick, True)

        def complete_one(self, pick, answer):
            rows = self.open_rows()
            if rows:
                row = rows[pick % len(rows)]
                data = sample_data(task_form(row))
                data.update({k: answer for k in ("approved", "materials_complete") if k in data})
                self.attempt(commands.complete_task, self.holder(row), row.id, data)

        @rule(pick=st.integers(0, 50), outsider=st.sampled_from(OUTSIDERS))
        def complete_as_a_stranger(self, pick, outsider):
            rows = self.open_rows()
            if rows:
                row = rows[pick % len(rows)]
                stranger = self.user(outsider)
                if stranger.id != self.holder(row).id and not any(
                    a.role == row.role and a.org_unit_id == row.org_unit_id for a in stranger.roles
                ):
                    self.attempt(
                        commands.complete_task, stranger, row.id, {}, allowed=(Forbidden, NotFound, Conflict, Invalid)
                    )

        @rule(pick=st.integers(0, 50), release=st.booleans())
        def claim(self, pick, release):
            rows = self.open_rows()
            if rows:
                row = rows[pick % len(rows)]
                command = commands.unclaim_task if release else commands.claim_task
                self.attempt(command, self.holder(row), row.id, allowed=(Conflict, Forbidden))

        @rule(pick=st.integers(0, 50))
        def return_task(self, pick):
            rows = self.open_rows()
            if rows:
                row = rows[pick % len(rows)]
                self.attempt(actions.return_task, self.holder(row), row.id, "退回重办")

        @rule(pick=st.integers(0, 50))
        def withdraw(self, pick):
            rows = self.done_rows()
            if rows:
                row = rows[pick % len(rows)]
                completer = self.session.get(User, row.completed_by_id)
                self.attempt(actions.withdraw_task, completer, row.id, "撤回重填", allowed=(Conflict, Forbidden))

        @rule(pick=st.integers(0, 50))
        def transfer(self, pick):
            rows = self.open_rows()
            if rows:
                row = rows[pick % len(rows)]
                targets = actions.transfer_targets(self.session, row)
                if targets:
                    self.attempt(actions.transfer_task, self.holder(row), row.id, targets[0].code, "转办")

        @rule(pick=st.integers(0, 50), department=st.sampled_from(["qx-mzj", "qx-rsj", "qx-zrzy"]))
        def add_department(self, pick, department):
            if self.cases:
                case_id = self.cases[pick % len(self.cases)]
                lead = self.user("department_handler@qx-zrzy")
                try:
                    case = self.session.get(commands.Case, case_id)
                    actions.add_department(self.session, lead, case, department, "需会签", now=self.now)
                except DomainError:
                    self.session.rollback()

        @rule(
            pick=st.integers(0, 50),
            department=st.sampled_from(["qx-nync", "qx-zjj", "qx-zrzy", "qx-mzj"]),
            by_window=st.booleans(),
        )
        def remove_department(self, pick, department, by_window):
            """减签 by the window or the lead (whoever leads now): a refusal changes nothing."""
            if self.joint_cases:
                case = self.session.get(commands.Case, self.joint_cases[pick % len(self.joint_cases)])
                actor = self.user("county_window@qx-window" if by_window else "department_handler@qx-zrzy")
                self.attempt(
                    joint.remove_department, actor, case, department, "减签", allowed=(Conflict, Invalid, Forbidden)
                )

        @rule(pick=st.integers(0, 50), department=st.sampled_from(["qx-nync", "qx-zjj", "qx-zrzy"]))
        def change_lead(self, pick, department):
            if self.joint_cases:
                case = self.session.get(commands.Case, self.joint_cases[pick % len(self.joint_cases)])
                window = self.user("county_window@qx-window")
                self.attempt(joint.change_lead, window, case, department, "变更牵头", allowed=(Conflict, Invalid))

        @rule(hours=st.integers(1, 96))
        def time_passes(self, hours):
            self.now += timedelta(hours=hours)

        @rule()
        def sweep(self):
            fire_due_timers(self.session, self.now, 1000)

        @rule(holidays=st.sets(st.sampled_from(HOLIDAYS)))
        def edit_calendar(self, holidays):
            set_year(self.session, self.user("admin"), 2026, sorted(holidays), [], now=self.now)

        @invariant()
        def every_fact_agrees(self):
            if self.cases:
                self.session.expire_all()
                assert check_consistency(self.session, self.cases) == []

    return Pipeline


def test_random_command_sequences_keep_every_item_consistent(demo_db):  # noqa: F811
    machine = _machine(demo_db)
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=10,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        ),
    )
