"""Who is told when work reaches them (in-app notifications).

The pipeline (engine/cases/pipeline.py, `Work.before_commit`) tells the people every task a
command opened or reopened reached; the timer sweep, urges and copies tell theirs through
`work.notify`. Each notification is written in the transaction of the change that causes it, so
nobody is told of a change that did not happen and no change goes untold."""

from __future__ import annotations

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from ..kernel.vocabulary import EventType, NotificationKind
from ..store.models import Case, RoleAssignment, TaskRow, User

# The events whose reopened or new tasks go back to someone who had them before.
RETURNING = frozenset({EventType.TASK_RETURNED, EventType.TASK_WITHDRAWN})


def holders(session: Session, row: TaskRow) -> list[int]:
    """Who has this task: its holder, or while nobody took it everyone holding its role at its unit."""
    if row.assignee_id is not None:
        return [row.assignee_id]
    return list(session.scalars(place_holders(row.role, row.org_unit_id).order_by(RoleAssignment.user_id)))


def place_holders(role, unit_id, column=RoleAssignment.user_id):
    """Everyone active holding `role` at `unit_id` (values, or columns of an enclosing query): who has a
    task nobody took; `column` is what is selected of them (their ids, or an aggregate of those)."""
    return (
        select(column)
        .select_from(RoleAssignment)
        .join(User, User.id == RoleAssignment.user_id)
        .where(RoleAssignment.role == role, RoleAssignment.org_unit_id == unit_id, User.active)
    )


def holders_of(session: Session, rows: list[TaskRow]) -> dict[str, list[int]]:
    """`holders` of several rows in one query (the departments a joint item reaches at once)."""
    places = {(row.role, row.org_unit_id) for row in rows if row.assignee_id is None}
    members: dict[tuple, list[int]] = {place: [] for place in places}
    if places:
        found = session.execute(
            select(RoleAssignment.role, RoleAssignment.org_unit_id, RoleAssignment.user_id)
            .join(User, User.id == RoleAssignment.user_id)
            .where(tuple_(RoleAssignment.role, RoleAssignment.org_unit_id).in_(sorted(places)), User.active)
            .order_by(RoleAssignment.user_id)
        )
        for role, unit_id, user_id in found:
            members[(role, unit_id)].append(user_id)
    return {
        row.id: [row.assignee_id] if row.assignee_id is not None else members[(row.role, row.org_unit_id)]
        for row in rows
    }


def task_detail(row: TaskRow, case: Case) -> dict:
    """What a notification about a task names: the step and the item's receipt code and name,
    nothing about the resident."""
    return {"name": row.name, "receipt_code": case.receipt_code, "item": case.catalog_item.name}


def arrival_kind(event_type: str) -> NotificationKind:
    return NotificationKind.RETURNED_TO_ME if event_type in RETURNING else NotificationKind.NEW_TASK


def role_holders(session: Session, role: str | None) -> list[int]:
    """Everyone active holding `role` at any unit (the county leaders a catalog approval waits for)."""
    if not role:
        return []
    return list(
        session.scalars(
            select(RoleAssignment.user_id)
            .join(User, User.id == RoleAssignment.user_id)
            .where(RoleAssignment.role == role, User.active)
            .distinct()
        )
    )
