"""Which task a command may touch: visible to the actor (else 404, never told apart from none),
still open (else 409), and the actor's to work on (else 403)."""

from __future__ import annotations

from sqlalchemy.orm import Session, defaultload

from .access import can_see_case, may_act
from .errors import Conflict, Forbidden, NotFound
from .i18n import N_
from .models import Case, TaskRow, User
from .vocabulary import TaskState


def visible_task(session: Session, actor: User, task_id, with_state: bool = False) -> TaskRow:
    """The task if its case is visible to `actor`; `with_state` loads the workflow state with it."""
    options = [defaultload(TaskRow.case).undefer(Case.state)] if with_state else []
    row = session.get(TaskRow, task_id, options=options) if isinstance(task_id, str) and len(task_id) <= 36 else None
    # Whoever may act on a task sees its case; only others need the visibility query.
    if row is None or not (may_act(actor, row) or can_see_case(session, actor, row.case)):
        raise NotFound(N_("no such task"))
    return row


def open_task(session: Session, actor: User, task_id, acting: bool = False) -> TaskRow:
    """A READY task the actor can see; with `acting`, one the actor may also work on."""
    return check_open(session, actor, visible_task(session, actor, task_id, with_state=acting), acting)


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
