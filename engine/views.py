"""Read side: the cases one may see and the JSON shapes of docs/api.md (no state changes here; the inbox
is engine/inbox.py)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .access import can_see_case, case_scope
from .calendar import TZ
from .errors import NotFound
from .forms import task_form
from .i18n import N_
from .models import Case, Event, TaskRow, User
from .permissions import available_actions
from .txn import visible_task
from .vocabulary import ItemKind, TaskState

MAX_PER_PAGE = 100
MAX_PAGE = 100_000
MAX_ID = 2**63 - 1  # PostgreSQL BIGINT


def parse_id(value) -> int | None:
    """A database id from a URL, or None for anything that cannot be one."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None


@dataclass
class Page:
    items: list
    total: int
    page: int
    per_page: int

    def to_dict(self, convert) -> dict:
        return {
            "items": [convert(i) for i in self.items],
            "total": self.total,
            "page": self.page,
            "per_page": self.per_page,
        }


def clamp_page(page, per_page, default: int = 20) -> tuple[int, int]:
    try:
        page = min(MAX_PAGE, max(1, int(page or 1)))
        per_page = min(MAX_PER_PAGE, max(1, int(per_page or default)))
    except (TypeError, ValueError):
        page, per_page = 1, default
    return page, per_page


def _paginate(session: Session, query, page: int, per_page: int) -> Page:
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = list(session.scalars(query.limit(per_page).offset((page - 1) * per_page)).unique())
    return Page(items, total or 0, page, per_page)


def visible_cases(session: Session, user: User, page=1, per_page=20, status: str | None = None) -> Page:
    page, per_page = clamp_page(page, per_page)
    query = select(Case).where(case_scope(user), Case.is_test_run.is_(False))
    if status:
        query = query.where(Case.status == status)
    return _paginate(session, query.order_by(Case.opened_at.desc(), Case.id.desc()), page, per_page)


def get_case(session: Session, user: User, case_id) -> Case:
    number = parse_id(case_id)
    case = session.get(Case, number) if number else None
    if case is None or not can_see_case(session, user, case):
        raise NotFound(N_("no such case"))
    return case


def case_events(session: Session, case: Case) -> list[Event]:
    return list(session.scalars(select(Event).where(Event.case_id == case.id).order_by(Event.at, Event.id)))


def open_tasks(session: Session, case: Case) -> list[TaskRow]:
    return list(
        session.scalars(
            select(TaskRow)
            .where(TaskRow.case_id == case.id, TaskRow.state == TaskState.READY)
            .order_by(TaskRow.created_at)
        )
    )


def iso(value) -> str | None:
    return value.astimezone(TZ).isoformat() if value is not None else None


def task_dict(task: TaskRow) -> dict:
    return {
        "id": task.id,
        "case_id": task.case_id,
        "receipt_code": task.case.receipt_code,
        "name": task.name,
        "task": task.spec_name,
        "role": task.role,
        "org_unit": task.org_unit.code,
        "assignee": task.assignee.username if task.assignee else None,
        "due_at": iso(task.due_at),
        "state": task.state,
        "created_at": iso(task.created_at),
        "due_state": task.due_state,
        # Special items (特办件) are flagged wherever the task is listed.
        "special": task.case.kind == ItemKind.SPECIAL,
    }


def task_detail(session: Session, user: User, task_id: str) -> dict:
    task = visible_task(session, user, task_id)
    return {
        **task_dict(task),
        "form": task_form(task) or {"type": "object", "properties": {}},
        "data": task_context(task),
        "available_actions": available_actions(session, user, task.case, task),
    }


def task_context(task: TaskRow) -> dict:
    """The workflow data a handler needs to decide (routing facts and earlier answers): kept on the
    row by the projection; rows projected before that was so read the workflow state."""
    if task.context is not None:
        return task.context
    from .processes import spec_for
    from .runtime import find_task, load_state

    workflow = load_state(task.case.state, spec_for(task.case.process_version))
    found = find_task(workflow, task.id)
    return dict(found.data) if found is not None else {}


def case_dict(session: Session, case: Case, user: User | None = None) -> dict:
    """The case as the API shows it; with `user`, the case-level actions offered to them."""
    actions = {"available_actions": available_actions(session, user, case)} if user is not None else {}
    return {
        "id": case.id,
        "receipt_code": case.receipt_code,
        "catalog_code": case.catalog_code,
        "catalog_name": case.catalog_item.name,
        "kind": case.kind,
        "status": case.status,
        "level": case.level,
        "org_unit": case.org_unit.code if case.org_unit else None,
        "village": case.village.code,
        "owner": case.owner.username,
        "resident": {"name": case.resident_name, "phone": mask_phone(case.resident_phone)},
        "summary": case.summary,
        "materials_provided": case.materials_provided,
        "rating": case.rating,
        "opened_at": iso(case.opened_at),
        "due_at": iso(case.due_at),
        "closed_at": iso(case.closed_at),
        "process": {"key": case.process_version.key, "version": case.process_version.version},
        "open_tasks": [task_dict(t) for t in open_tasks(session, case)],
        "events": [
            {"at": iso(e.at), "actor": e.actor, "type": e.type, "detail": e.detail} for e in case_events(session, case)
        ],
        **actions,
    }


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "****"
