"""The window's outgoing side: what is out at departments, results batched per township,
and the township agent's confirmation of receipt that moves each item on."""

from __future__ import annotations

from datetime import date, datetime
from functools import partial

from sqlalchemy import case as when
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..kernel.clock import utcnow
from ..kernel.errors import Conflict, DomainError, Invalid, NotFound
from ..kernel.i18n import N_
from ..kernel.vocabulary import BATCH_ROLES, EventType, Role, TaskState, UnitKind
from ..org.access import has_role
from ..store.calendar import TZ
from ..store.models import OrgUnit, TaskRow, User
from ..store.paging import parse_id
from ..store.workspace_tables import Batch, BatchItem
from .batch_membership import OUTGOING_STEPS, RECEIVED, SCHEDULED
from .permissions import require
from .pipeline import Work, execute
from .steps import advance, ready_task
from .window import UnitGroup, _window_rows, case_township, my_window, upcoming_office_days


def tracking(session: Session, user: User, now: datetime | None = None) -> list[UnitGroup]:
    """Per county department, the items out there and since when; overdue first."""
    now = now or utcnow()
    window = my_window(user)
    rows = session.scalars(
        select(TaskRow)
        .join(OrgUnit, OrgUnit.id == TaskRow.org_unit_id)
        .where(
            TaskRow.state == TaskState.READY, OrgUnit.kind == UnitKind.DEPARTMENT, OrgUnit.parent_id == window.parent_id
        )
        .order_by(when((TaskRow.due_at < now, 0), else_=1), TaskRow.due_at, TaskRow.created_at)
    ).all()
    groups: dict[int, UnitGroup] = {}
    for row in rows:
        groups.setdefault(row.org_unit_id, UnitGroup(row.org_unit)).rows.append(row)
    overdue = lambda g: sum(1 for r in g.rows if r.due_at and r.due_at < now)  # noqa: E731
    return sorted(groups.values(), key=lambda g: (-overdue(g), g.rows[0].due_at or now))


def _batched_task_ids(session: Session) -> set[str]:
    return set(session.scalars(select(BatchItem.task_id).join(Batch).where(Batch.status == SCHEDULED)))


def outgoing(session: Session, user: User) -> list[UnitGroup]:
    """Results waiting to go back, per township, not yet in a scheduled batch."""
    window = my_window(user)
    taken = _batched_task_ids(session)
    groups: dict[int, UnitGroup] = {}
    for row in _window_rows(session, window, OUTGOING_STEPS):
        if row.id not in taken:
            groups.setdefault(row.case.township_id, UnitGroup(case_township(session, row.case))).rows.append(row)
    return sorted(groups.values(), key=lambda g: g.unit.code)


def create_batch(session: Session, actor: User, township_code, day=None, now: datetime | None = None) -> Batch:
    """Gather the township's waiting results into one batch for one of its office days."""

    def act(work: Work) -> Batch:
        window = my_window(actor)
        group = next((g for g in outgoing(session, actor) if g.unit.code == township_code), None)
        if group is None:
            raise Invalid(N_("no results are waiting for this township"), {"township": N_("nothing to send")})
        choices = upcoming_office_days(session, group.unit, work.now.astimezone(TZ).date())
        try:
            chosen = date.fromisoformat(day) if isinstance(day, str) and day else (day or choices[0])
        except ValueError:
            chosen = None
        if chosen not in choices:
            raise Invalid(N_("choose one of the township's office days"), {"day": N_("not an office day")})
        batch = Batch(
            window_id=window.id,
            township_id=group.unit.id,
            township=group.unit,
            status=SCHEDULED,
            scheduled_for=chosen,
            created_at=work.now,
            created_by_id=actor.id,
        )
        session.add(batch)
        session.flush()
        for row in group.rows:
            session.add(BatchItem(batch_id=batch.id, task_id=row.id, case_id=row.case_id))
        work.event(
            EventType.BATCH_CREATED,
            None,
            batch=batch.id,
            township=group.unit.code,
            day=chosen.isoformat(),
            items=[r.case.receipt_code for r in group.rows],
        )
        return batch

    batch = execute(session, actor, act, now)
    session.refresh(batch)
    return batch


def may_see_batch(user: User, batch: Batch) -> bool:
    return has_role(user, Role.COUNTY_WINDOW, batch.window_id) or any(
        has_role(user, r, batch.township_id) for r in BATCH_ROLES
    )


def get_batch(session: Session, user: User, batch_id) -> Batch:
    number = parse_id(batch_id)
    batch = session.get(Batch, number) if number else None
    if batch is None or not may_see_batch(user, batch):
        raise NotFound(N_("no such batch"))
    return batch


def batches_for(session: Session, user: User, limit: int = 50) -> list[Batch]:
    """The window's batches, or those for my township (township agent and reception)."""
    windows = [a.org_unit_id for a in user.roles if a.role == Role.COUNTY_WINDOW]
    townships = [a.org_unit_id for a in user.roles if a.role in BATCH_ROLES]
    if not windows and not townships:
        return []
    return list(
        session.scalars(
            select(Batch)
            .where(Batch.window_id.in_(windows) | Batch.township_id.in_(townships))
            .order_by(Batch.status.desc(), Batch.scheduled_for.desc(), Batch.id.desc())
            .limit(limit)
        )
    )


def confirm_receipt(session: Session, actor: User, batch_id, now: datetime | None = None) -> list[dict]:
    """The township agent signs for the batch: each item's hand-over step completes in its own
    command with its own event; the batch is received once every item went through."""
    now = now or utcnow()
    batch = get_batch(session, actor, batch_id)
    require(session, actor, "receive_batch", None, batch=batch)
    if batch.status != SCHEDULED:
        raise Conflict(N_("this batch has already been received"))
    number = batch.id
    results = []
    for item_id, receipt in [(i.id, i.case.receipt_code) for i in batch.items if i.received_at is None]:
        try:
            execute(session, actor, partial(_receive_item, batch_id=number, item_id=item_id), now)
            results.append({"receipt_code": receipt, "ok": True, "message": None})
        except DomainError as err:  # the pipeline applied nothing of this item
            results.append({"receipt_code": receipt, "ok": False, "message": err.message})
    execute(session, actor, partial(_close_if_received, batch_id=number), now)
    return results


def _receive_item(work: Work, batch_id: int, item_id: int) -> None:
    item = work.session.get(BatchItem, item_id)
    if item is None:
        raise Conflict(N_("this task is no longer open"))  # it left the batch meanwhile
    row = work.task(item.task_id)
    batch = work.session.get(Batch, batch_id, populate_existing=True)
    if row.state != TaskState.READY or batch is None or batch.status != SCHEDULED or item.received_at is not None:
        raise Conflict(N_("this task is no longer open"))
    case = row.case
    workflow = work.workflow(case)
    advance(workflow, ready_task(workflow, row), {"note": f"batch {batch_id}"})
    item.received_at = work.now
    assert work.actor is not None  # the township agent who signs
    work.settle(case, workflow, completed=(row.id, work.actor.id))
    work.event(
        EventType.BATCH_ITEM_RECEIVED,
        case,
        task_id=row.id,
        name=row.name,
        batch=batch_id,
        unit=row.org_unit.code,
    )


def _close_if_received(work: Work, batch_id: int) -> None:
    """The batch is received when every item still in it was; nothing happens otherwise."""
    batch = work.session.get(Batch, batch_id, populate_existing=True)
    if batch is None or batch.status != SCHEDULED:
        return
    items = list(work.session.scalars(select(BatchItem).where(BatchItem.batch_id == batch_id)))
    if not items or any(i.received_at is None for i in items):
        return
    assert work.actor is not None
    batch.status, batch.received_at, batch.received_by_id = RECEIVED, work.now, work.actor.id
    work.event(EventType.BATCH_RECEIVED, None, batch=batch.id, township=batch.township.code)
