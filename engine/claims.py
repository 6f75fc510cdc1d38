"""Claiming: who is working on a task. One conditional UPDATE each, so of two users
claiming at once exactly one wins, without touching the case's workflow state."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from .access import has_role
from .clock import utcnow
from .db import rowcount
from .errors import Conflict, Forbidden
from .i18n import N_
from .models import TaskRow, User
from .txn import commit, open_task, record_event


def _reassign(session: Session, actor: User, row: TaskRow, expected, new, event: str, now, conflict: str, **detail):
    done = rowcount(
        session.execute(
            update(TaskRow)
            .where(
                TaskRow.id == row.id,
                TaskRow.state == "ready",
                TaskRow.assignee_id.is_(None) if expected is None else TaskRow.assignee_id == expected,
            )
            .values(assignee_id=new)
        )
    )
    if not done:
        session.rollback()
        raise Conflict(conflict)
    record_event(session, row.case, actor, event, now, task_id=row.id, name=row.name, **detail)
    commit(session)
    session.refresh(row)
    return row


def claim_task(session: Session, actor: User, task_id: str, now: datetime | None = None) -> TaskRow:
    row = open_task(session, actor, task_id, acting=True)
    if row.assignee_id == actor.id:
        return row
    return _reassign(
        session, actor, row, None, actor.id, "task_claimed", now or utcnow(), N_("this task is already claimed")
    )


def unclaim_task(session: Session, actor: User, task_id: str, now: datetime | None = None) -> TaskRow:
    row = open_task(session, actor, task_id)
    if row.assignee_id is None:
        raise Conflict(N_("this task is not claimed"))
    if row.assignee_id != actor.id and not has_role(actor, "admin"):
        raise Forbidden(N_("only the user who claimed a task can release it"))
    return _reassign(
        session, actor, row, row.assignee_id, None, "task_unclaimed", now or utcnow(), N_("this task changed meanwhile")
    )
