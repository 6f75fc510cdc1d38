"""The unit of work every command shares: find the task, record the event, commit or conflict."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, defaultload
from sqlalchemy.orm.exc import StaleDataError

from .access import can_see_case, may_act
from .errors import Conflict, Forbidden, NotFound
from .i18n import N_
from .models import Case, Event, TaskRow, User
from .vocabulary import TaskState, event_type


def record_event(
    session: Session,
    case: Case | int | None,
    actor: User | None,
    type_: str,
    now: datetime,
    task_id: str | None = None,
    **detail,
) -> None:
    """Append the one audit event of a state change (in the command's transaction); `case` may be its id."""
    case_id = case if isinstance(case, int) else (case.id if case is not None else None)
    session.add(
        Event(
            case_id=case_id,
            at=now,
            actor_id=actor.id if actor else None,
            actor=actor.username if actor else "system",
            type=event_type(type_),
            task_id=task_id,
            detail=detail,
        )
    )


def commit(session: Session) -> None:
    """Commit the command; a lost race (stale version, locked database) is a Conflict with nothing applied."""
    _or_conflict(session, session.commit)


def claim_case_version(session: Session) -> None:
    """Write the case row (its version check) before anything else of the command.

    The UPDATE ... WHERE version = n takes the row lock first, so a racing command
    waits there and then loses cleanly, instead of colliding on the task rows it
    would insert (their ids come from the shared workflow state).
    """
    _or_conflict(session, session.flush)


def _or_conflict(session: Session, action) -> None:
    try:
        action()
    except (StaleDataError, OperationalError) as err:
        session.rollback()
        if isinstance(err, OperationalError) and "locked" not in str(err):
            raise
        raise Conflict(N_("the case was changed by someone else; reload and try again")) from None


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
