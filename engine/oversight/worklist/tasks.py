"""Steps of items (the workflow's user tasks): the inbox's first source, its scopes those of
engine/read/inbox.py (claimed by me, open to my unit, due soon and overdue by the deadline timers, done)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...cases.urges import urge_counts
from ...read.inbox import Filters, due_mark, inbox_query, returned_to
from ...read.shapes import task_dict
from ...store.models import TaskRow, User
from .base import Moment, Parts, WorkItem, WorkSource, columns

KIND = "task"


def rows(session: Session, user: User, scope: str, filters: Filters, moment: Moment):
    query = inbox_query(user, scope, filters).order_by(None)
    at = TaskRow.completed_at if scope == "done" else TaskRow.created_at
    query = query.with_only_columns(*columns(KIND, TaskRow.id, TaskRow.due_at, at))
    places = sorted({(a.role, a.org_unit_id) for a in user.roles})
    if scope != "available" or len(places) < 2:
        return query
    # Someone with several roles or units: one part per (role, unit), each read off ix_tasks_available in
    # the tab's order; one select over all of them would be sorted whole for a page.
    return Parts([query.where(TaskRow.role == role, TaskRow.org_unit_id == unit) for role, unit in places])


def items(session: Session, user: User, keys: list[str], moment: Moment) -> dict[str, WorkItem]:
    tasks = list(session.scalars(select(TaskRow).where(TaskRow.id.in_(keys))).unique())
    urged = urge_counts(session, keys)
    # Each step marked as on the page: sent back (退回, with the reason) and urged (催办 ×n).
    returned = returned_to(session, tasks)
    found = {}
    for t in tasks:
        href = f"/tasks/{t.id}"
        data = {
            **task_dict(t),
            "kind": KIND,
            "href": href,
            "urges": urged.get(t.id, 0),
            "returned": t.id in returned,
            "return_reason": returned.get(t.id),
        }
        found[t.id] = WorkItem(KIND, t.id, t.name, href, t.due_at, due_mark(t), data, t.case, t.org_unit, t)
    return found


SOURCE = WorkSource(KIND, rows, items)
