"""Which task a command may touch: visible to the actor (else 404, never told apart from none),
still open (else 409), and the actor's to work on (else 403)."""

from __future__ import annotations

from sqlalchemy.orm import Session, defaultload

from ..kernel.errors import Conflict, Forbidden, NotFound
from ..kernel.i18n import N_
from ..kernel.vocabulary import TaskState
from ..org.access import can_see_case, may_act
from ..store.models import Case, TaskRow, User
from ..store.paging import parse_id


def visible_task(session: Session, actor: User, task_id, with_state: bool = False) -> TaskRow:
    """The task if its case is visible to `actor`; `with_state` loads the workflow state with it."""
    options = [defaultload(TaskRow.case).undefer(Case.state)] if with_state else []
    row = session.get(TaskRow, task_id, options=options) if isinstance(task_id, str) and len(task_id) <= 36 else None
    # Whoever may act on a task sees its case; only others need the visibility query.
    if row is None or not (may_act(actor, row) or can_see_case(session, actor, row.case)):
        raise NotFound(N_("no such task"))
    return row


def check_visible(session: Session, actor: User, row: TaskRow) -> TaskRow:
    """NotFound unless `actor` may see the task's case (a foreign task is never told apart from none)."""
    if not (may_act(actor, row) or can_see_case(session, actor, row.case)):
        raise NotFound(N_("no such task"))
    return row


def check_open(session: Session, actor: User, row: TaskRow, acting: bool = False) -> TaskRow:
    """The task is visible and READY; with `acting`, the actor may also work on it."""
    check_visible(session, actor, row)
    if row.state != TaskState.READY:
        raise Conflict(N_("this task has already been completed"))
    if acting and not may_act(actor, row):
        raise Forbidden(N_("this task belongs to another role or unit"))
    return row


def get_case(session: Session, user: User, case_id) -> Case:
    number = parse_id(case_id)
    case = session.get(Case, number) if number else None
    if case is None or not can_see_case(session, user, case):
        raise NotFound(N_("no such case"))
    return case
