"""Claiming: who is working on a task. One conditional UPDATE each, so of two users
claiming at once exactly one wins, without touching the case's workflow state."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from ..kernel.errors import Conflict
from ..kernel.i18n import N_
from ..kernel.vocabulary import EventType, TaskState
from ..store.db import rowcount
from ..store.models import TaskRow, User
from .pipeline import Work, execute
from .visibility import check_open


def reassign(work: Work, row: TaskRow, expected, new, event: str, conflict: str, **detail) -> TaskRow:
    """Move the task from `expected` to `new` (user ids or None) if nobody changed it meanwhile."""
    done = rowcount(
        work.session.execute(
            update(TaskRow)
            .where(
                TaskRow.id == row.id,
                TaskRow.state == TaskState.READY,
                TaskRow.assignee_id.is_(None) if expected is None else TaskRow.assignee_id == expected,
            )
            .values(assignee_id=new)
        )
    )
    if not done:
        raise Conflict(conflict)
    work.session.expire(row, ["assignee_id", "assignee"])  # read again, with its new holder
    work.event(event, row.case, task_id=row.id, name=row.name, **detail)
    return row


def claim_task(session: Session, actor: User, task_id: str, now: datetime | None = None) -> TaskRow:
    def act(work: Work) -> TaskRow:
        row = check_open(session, actor, work.task(task_id, with_state=False))
        work.may("claim", row=row)
        if row.assignee_id == actor.id:
            return row  # already mine: nothing changes, no event
        return reassign(work, row, None, actor.id, EventType.TASK_CLAIMED, N_("this task is already claimed"))

    return execute(session, actor, act, now)


def unclaim_task(session: Session, actor: User, task_id: str, now: datetime | None = None) -> TaskRow:
    def act(work: Work) -> TaskRow:
        row = check_open(session, actor, work.task(task_id, with_state=False))
        if row.assignee_id is None:
            raise Conflict(N_("this task is not claimed"))
        work.may("unclaim", row=row)
        return reassign(work, row, row.assignee_id, None, EventType.TASK_UNCLAIMED, N_("this task changed meanwhile"))

    return execute(session, actor, act, now)
