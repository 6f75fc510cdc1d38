"""The permission table (config/permissions.toml): which role may do which action on which item.

One table answers both questions the system asks: "may this actor do this?" (the command's
check, `require`) and "which buttons does this actor get?" (`available_actions`, all that pages
and the API render). A button hidden is never the check; the command asks `require` again.

Relations say how the actor's role assignments stand to the task or case; they read only what
is loaded with the row and the actor's assignments, except the county window and the lead
department of a joint handling, which are looked up once per question and only for actors
holding a role that could match.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import ParallelMultiInstanceTask
from SpiffWorkflow.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..kernel.errors import Forbidden
from ..kernel.i18n import N_
from ..kernel.settings import CONFIG_DIR
from ..kernel.vocabulary import CASE_OPEN
from ..library.processes import spec_for
from ..org.org import ancestor_of_kind, child_of_kind, unit_by_code
from ..org.roles import roles
from ..runtime.spiff import WORKFLOWS, load_state
from ..store.models import Case, OrgUnit, TaskRow, User
from ..store.oversight_tables import Rectification
from . import projection

TARGETS = ("task", "case", "batch")

# The refusal messages a row may name: listed here so `pybabel extract` finds them for translation.
REFUSALS = (
    N_("this task belongs to another role or unit"),
    N_("only the user who claimed a task can release it"),
    N_("only the user who completed a step can withdraw it"),
    N_("only the lead department or the county window may add a department"),
    N_("only the lead department or the county window may remove a department"),
    N_("only the county window may do this"),
    N_("only the township agent confirms receipt"),
    N_("only the analyst who started the test run may move it on"),
    N_("only the item's first-ask agent, the county window, supervisors and the discipline committee may urge"),
    N_("only someone holding a task of the item, the county window or the lead department may copy it"),
    N_("only the staff of an open step of this item may attach files to it"),
    N_("only the responsible unit, supervisors and the discipline committee may close a rectification"),
)


class PermissionTableError(ValueError):
    """The table names an unknown relation, role, state or target: raised when it is loaded."""


@dataclass(frozen=True)
class Rule:
    relation: str
    roles: frozenset[str] | None  # None: any role the relation finds


@dataclass(frozen=True)
class Permission:
    action: str
    target: str
    label: str
    label_en: str
    refused: str
    state: str
    rules: tuple[Rule, ...]
    steps: frozenset[str] | None = None
    offered: bool = True


@dataclass
class Subject:
    """What an action is done on, with the lookups some relations need made at most once."""

    session: Session
    case: Case | None
    row: TaskRow | None = None
    batch: Any = None
    known_open_rows: list[TaskRow] | None = None  # the case's open rows, when the caller has read them

    @cached_property
    def window_id(self) -> int | None:
        county = ancestor_of_kind(self.session, self.case.village, "county") if self.case else None
        window = child_of_kind(self.session, county, "window") if county else None
        return window.id if window else None

    @cached_property
    def open_rows(self) -> list[TaskRow]:
        """The case's open tasks (the `task_holder` and `open_task` relations)."""
        if self.known_open_rows is not None:
            return self.known_open_rows
        if self.case is None or self.case.id is None:
            return []
        return projection.open_rows(self.session, self.case)

    @cached_property
    def joint(self):
        """The running joint handling (a parallel multi-instance over departments), if any."""
        if self.case is None or self.case.status != "open":
            return None
        case = self.case
        # Only looked at: the workflow this process stored last for this very state serves, if it has one.
        workflow = WORKFLOWS.peek(case.id, case.version, case.state)
        if workflow is None:
            workflow = load_state(case.state, spec_for(case.process_version))
        return running_joint_handling(workflow)

    @cached_property
    def lead_department_id(self) -> int | None:
        code = self.joint.data.get("lead_department") if self.joint is not None else None
        unit: OrgUnit | None = unit_by_code(self.session, code) if isinstance(code, str) and code else None
        return unit.id if unit else None

    @cached_property
    def open_steps(self) -> set[tuple[str, int]]:
        """(role, unit) of each open task of the case."""
        return {(row.role, row.org_unit_id) for row in self.open_rows}

    @cached_property
    def rectification(self) -> Rectification | None:
        """The item's open rectification of a 差评 (整改), if any."""
        if self.case is None or self.case.id is None:
            return None
        return self.session.scalar(
            select(Rectification).where(Rectification.case_id == self.case.id, Rectification.status == "open")
        )

    @property
    def township_id(self) -> int | None:
        if self.batch is not None:
            return self.batch.township_id
        return self.case.township_id if self.case else None


def running_joint_handling(workflow):
    """The started joint handling of a workflow: departments answering in parallel (加签 joins it)."""
    for task in workflow.get_tasks(state=TaskState.STARTED):
        if isinstance(task.task_spec, ParallelMultiInstanceTask) and task.task_spec.data_input is not None:
            return task
    return None


def _held(actor: User, rule: Rule, unit_id: int | None) -> bool:
    return unit_id is not None and any(
        a.org_unit_id == unit_id and (rule.roles is None or a.role in rule.roles) for a in actor.roles
    )


def _task_unit(actor: User, rule: Rule, s: Subject) -> bool:
    row = s.row
    if row is None:
        return False
    if row.case.is_test_run:  # an analyst's test run: every task is its owner's
        return row.case.owner_id == actor.id
    return (rule.roles is None or row.role in rule.roles) and any(
        a.role == row.role and a.org_unit_id == row.org_unit_id for a in actor.roles
    )


def _test_run_owner(actor: User, rule: Rule, s: Subject) -> bool:
    return s.case is not None and s.case.is_test_run and s.case.owner_id == actor.id


def _open_task(actor: User, rule: Rule, s: Subject) -> bool:
    """Holds the role of one of the case's open tasks at that task's unit (a test run: its owner)."""
    if s.case is None:
        return False
    if s.case.is_test_run:
        return s.case.owner_id == actor.id
    return any(
        (a.role, a.org_unit_id) in s.open_steps and (rule.roles is None or a.role in rule.roles) for a in actor.roles
    )


def _claimer(actor: User, rule: Rule, s: Subject) -> bool:
    return s.row is not None and s.row.assignee_id == actor.id


def _completer(actor: User, rule: Rule, s: Subject) -> bool:
    return s.row is not None and s.row.completed_by_id == actor.id


def _case_owner(actor: User, rule: Rule, s: Subject) -> bool:
    return s.case is not None and s.case.owner_id == actor.id


def _task_holder(actor: User, rule: Rule, s: Subject) -> bool:
    """Holds an open task of the case: claimed it, or holds its role at its unit while nobody took it."""
    return any(
        r.assignee_id == actor.id
        or (r.assignee_id is None and any(a.role == r.role and a.org_unit_id == r.org_unit_id for a in actor.roles))
        for r in s.open_rows
    )


def _case_subtree(actor: User, rule: Rule, s: Subject) -> bool:
    path = s.case.village.path if s.case is not None else None
    return path is not None and any(
        path.startswith(a.org_unit.path) and (rule.roles is None or a.role in rule.roles) for a in actor.roles
    )


def _case_township(actor: User, rule: Rule, s: Subject) -> bool:
    return _held(actor, rule, s.township_id)


def _case_window(actor: User, rule: Rule, s: Subject) -> bool:
    return _may_hold(actor, rule) and _held(actor, rule, s.window_id)


def _lead_department(actor: User, rule: Rule, s: Subject) -> bool:
    return _may_hold(actor, rule) and _held(actor, rule, s.lead_department_id)


def _rectification_unit(actor: User, rule: Rule, s: Subject) -> bool:
    """Holds a role at the unit responsible for the item's open rectification (整改)."""
    return s.rectification is not None and _held(actor, rule, s.rectification.unit_id)


def _anywhere(actor: User, rule: Rule, s: Subject) -> bool:
    return _may_hold(actor, rule)


def _may_hold(actor: User, rule: Rule) -> bool:
    """Cheap first test before a lookup: the actor has one of the rule's roles somewhere."""
    return any(rule.roles is None or a.role in rule.roles for a in actor.roles)


Relation = Callable[[User, Rule, Subject], bool]
RELATIONS: dict[str, Relation] = {
    "task_unit": _task_unit,
    "open_task": _open_task,
    "claimer": _claimer,
    "completer": _completer,
    "case_owner": _case_owner,
    "task_holder": _task_holder,
    "case_subtree": _case_subtree,
    "case_township": _case_township,
    "case_window": _case_window,
    "lead_department": _lead_department,
    "anywhere": _anywhere,
    "test_run_owner": _test_run_owner,
    "rectification_unit": _rectification_unit,
}
# Relations that name the unit but not the role: a rule must say which roles count there.
NEEDS_ROLES = ("case_window", "lead_department", "anywhere", "case_township", "case_subtree")
# Relations to the person, not to a role: roles would mean nothing.
NO_ROLES = ("claimer", "completer", "test_run_owner", "case_owner", "task_holder")


def _ready_claimed_by(s: Subject, *claimers: int | None) -> bool:
    """The task is open and claimed by one of `claimers` (None: nobody)."""
    return s.row is not None and s.row.state == "ready" and s.row.assignee_id in claimers


def _ready_claimed(s: Subject) -> bool:
    return s.row is not None and s.row.state == "ready" and s.row.assignee_id is not None


STATES: dict[str, Callable[[User, Subject], bool]] = {
    "ready": lambda actor, s: s.row is not None and s.row.state == "ready",
    "ready_unclaimed": lambda actor, s: _ready_claimed_by(s, None),
    "ready_claimed": lambda actor, s: _ready_claimed(s),
    "ready_free_or_mine": lambda actor, s: _ready_claimed_by(s, None, actor.id),
    "completed": lambda actor, s: s.row is not None and s.row.state == "completed",
    "joint_running": lambda actor, s: s.joint is not None,
    "case_open": lambda actor, s: s.case is not None and s.case.status in CASE_OPEN,
    "batch_scheduled": lambda actor, s: s.batch is not None and s.batch.status == "scheduled",
    "test_run": lambda actor, s: s.case is not None and s.case.is_test_run,
    "rectification_open": lambda actor, s: s.rectification is not None,
}


def _rule(action: str, entry: Any) -> Rule:
    if not isinstance(entry, dict) or entry.get("relation") not in RELATIONS:
        raise PermissionTableError(f"{action}: unknown relation {entry!r}")
    relation, codes = entry["relation"], entry.get("roles")
    if codes is not None and (not isinstance(codes, list) or not codes):
        raise PermissionTableError(f"{action}: roles must be a non-empty list")
    unknown = [c for c in codes or () if c not in roles()]
    if unknown:
        raise PermissionTableError(f"{action}: unknown role {', '.join(map(str, unknown))}")
    if relation in NEEDS_ROLES and codes is None:
        raise PermissionTableError(f"{action}: relation {relation} needs roles")
    if relation in NO_ROLES and codes is not None:
        raise PermissionTableError(f"{action}: relation {relation} takes no roles")
    return Rule(relation, frozenset(codes) if codes is not None else None)


def _permission(action: str, row: Any) -> Permission:
    if not isinstance(row, dict):
        raise PermissionTableError(f"{action}: not a table")
    missing = [k for k in ("target", "label", "label_en", "refused", "state", "rules") if k not in row]
    if missing:
        raise PermissionTableError(f"{action}: missing {', '.join(missing)}")
    if row["target"] not in TARGETS:
        raise PermissionTableError(f"{action}: unknown target {row['target']!r}")
    if row["state"] not in STATES:
        raise PermissionTableError(f"{action}: unknown state {row['state']!r}")
    if row["refused"] not in REFUSALS:
        raise PermissionTableError(f"{action}: refusal message not in permissions.REFUSALS (untranslated)")
    if not isinstance(row["rules"], list) or not row["rules"]:
        raise PermissionTableError(f"{action}: at least one rule")
    steps = row.get("steps")
    return Permission(
        action=action,
        target=row["target"],
        label=row["label"],
        label_en=row["label_en"],
        refused=row["refused"],
        state=row["state"],
        rules=tuple(_rule(action, r) for r in row["rules"]),
        steps=frozenset(steps) if steps is not None else None,
        offered=bool(row.get("offered", True)),
    )


def parse_table(text: str) -> dict[str, Permission]:
    """The table from TOML text; any unknown name is an error now, not a silent refusal later."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise PermissionTableError(str(err)) from None
    return {action: _permission(action, row) for action, row in data.items()}


def load_table(path: Path | None = None) -> dict[str, Permission]:
    return parse_table((path or CONFIG_DIR / "permissions.toml").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def table() -> dict[str, Permission]:
    return load_table()


def permission(action: str) -> Permission:
    try:
        return table()[action]
    except KeyError:
        raise ValueError(f"no permission row for action {action!r}") from None


def _subject(session: Session, case: Case | None, row: TaskRow | None, batch) -> Subject:
    return Subject(session, case if case is not None else (row.case if row is not None else None), row, batch)


def _applies(p: Permission, s: Subject) -> bool:
    """The row is about this kind of thing (a task of its steps, a case, a batch)."""
    if p.target == "task":
        return s.row is not None and (p.steps is None or s.row.spec_name in p.steps)
    if p.target == "batch":
        return s.batch is not None
    return s.row is None and s.batch is None and s.case is not None


def _permitted(actor: User, p: Permission, s: Subject) -> bool:
    return _applies(p, s) and any(RELATIONS[r.relation](actor, r, s) for r in p.rules)


def allowed(session: Session, actor: User, action: str, case: Case | None, row: TaskRow | None = None, batch=None):
    """May `actor` do `action` on this task (row), case or batch? Permission only, not state."""
    return _permitted(actor, permission(action), _subject(session, case, row, batch))


def require(
    session: Session, actor: User, action: str, case: Case | None, row: TaskRow | None = None, batch=None
) -> None:
    """The command's check: Forbidden with the row's message unless `allowed`."""
    p = permission(action)
    if not _permitted(actor, p, _subject(session, case, row, batch)):
        raise Forbidden(p.refused)


def available_actions(
    session: Session,
    actor: User,
    case: Case | None,
    row: TaskRow | None = None,
    batch=None,
    open_rows: list[TaskRow] | None = None,
) -> list[str]:
    """The actions to offer `actor` on a task (row), else on the case (or a batch): permitted, and
    their simple preconditions hold. The command may still refuse (409) on deeper ones.
    `open_rows`: the case's open rows, if the caller has just read them."""
    s = _subject(session, case, row, batch)
    s.known_open_rows = open_rows
    return [p.action for p in table().values() if p.offered and _permitted(actor, p, s) and STATES[p.state](actor, s)]


def label(action: str, english: bool = False) -> str:
    p = permission(action)
    return p.label_en if english else p.label
