"""Read side: the cases one may see and the JSON shapes of docs/api.md (no state changes here; the inbox
is engine/read/inbox.py)."""

from __future__ import annotations

import re

from sqlalchemy import String, bindparam, or_, select
from sqlalchemy.orm import Session

from ..cases.forms import task_form
from ..cases.permissions import available_actions
from ..cases.projection import open_rows as open_tasks
from ..cases.urges import urge_count
from ..cases.visibility import visible_task
from ..kernel.vocabulary import ItemKind
from ..library.processes import spec_for
from ..org.access import case_scope
from ..runtime.spiff import find_task, load_state
from ..store.models import Case, Event, OrgUnit, TaskRow, User
from ..store.paging import Page, clamp_page, iso, paginate_by_key
from .context import case_context
from .whereabouts import unit_names, units_now


def visible_cases(
    session: Session, user: User, page=1, per_page=20, status: str | None = None, q: str | None = None
) -> Page:
    page, per_page = clamp_page(page, per_page)
    query = select(Case).where(case_scope(user), Case.is_test_run.is_(False))
    if status:
        query = query.where(Case.status == status)
    for word in search_words(q):
        query = query.where(_matches(word))
    # Newest first; the total stops at the cap (a word in every case must not count them all), and the
    # matches are read once for the total and the page.
    return paginate_by_key(session, query.order_by(Case.opened_at.desc(), Case.id.desc()), Case.id, page, per_page)


# Search (查询): every word must match one of the receipt code, the resident's name, their phone (in
# full or its last four digits) or the request. On PostgreSQL the trigram indexes of migration
# 12_context (pg_trgm, GIN) serve the substring matches; the receipt code has its unique index.
MAX_WORDS, MAX_WORD = 5, 40
DIGITS = re.compile(r"^[0-9]+$")


def search_words(q) -> list[str]:
    if not isinstance(q, str):
        return []
    return [w[:MAX_WORD] for w in q.split()[:MAX_WORDS]]


def _like(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _written(value: str):
    """A search pattern written into the statement, not bound: the planner must see each search's words
    to choose between a rare word's trigram index and the newest-first walk a word in every case takes.
    A prepared statement (psycopg prepares one run five times) would get a generic plan that cannot,
    and scanned every case. SQLAlchemy quotes the value (`literal_execute`)."""
    return bindparam(None, value, type_=String(), literal_execute=True)


def _matches(word: str):
    pattern = _written(_like(word))
    options = [
        Case.receipt_code == word.upper(),
        Case.resident_name.ilike(pattern, escape="\\"),
        Case.summary.ilike(pattern, escape="\\"),
    ]
    if DIGITS.match(word):
        options.append(Case.resident_phone == word)
        if len(word) == 4:
            options.append(Case.resident_phone.like(_written("%" + word)))
    return or_(*options)


def case_events(session: Session, case: Case) -> list[Event]:
    return list(session.scalars(select(Event).where(Event.case_id == case.id).order_by(Event.at, Event.id)))


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
    data = task_context(task)
    return {
        **task_dict(task),
        "form": task_form(task) or {"type": "object", "properties": {}},
        "data": data,
        "context": case_context(session, task, data),
        "available_actions": available_actions(session, user, task.case, task),
        "urges": urge_count(session, task.id),
    }


def task_context(task: TaskRow) -> dict:
    """The workflow data a handler needs to decide (routing facts and earlier answers): kept on the
    row by the projection; rows projected before that was so read the workflow state."""
    if task.context is not None:
        return task.context

    workflow = load_state(task.case.state, spec_for(task.case.process_version))
    found = find_task(workflow, task.id)
    return dict(found.data) if found is not None else {}


def case_dict(session: Session, case: Case, user: User | None = None) -> dict:
    """The case as the API shows it; with `user`, the case-level actions offered to them."""
    rows = open_tasks(session, case)  # read once: the tasks, where the item is and what is offered
    offered = available_actions(session, user, case, open_rows=rows) if user is not None else None
    actions = {"available_actions": offered} if offered is not None else {}
    return {
        "id": case.id,
        "receipt_code": case.receipt_code,
        "catalog_code": case.catalog_code,
        "catalog_name": case.catalog_item.name,
        "kind": case.kind,
        "status": case.status,
        "level": case.level,
        "org_unit": case.org_unit.code if case.org_unit else None,
        # 当前所在: every unit holding an open step (a joint item is with several departments at once).
        "now_at": unit_names(units_now(session, [case], {case.id: rows})[case.id]),
        "village": case.village.code,
        "owner": case.owner.username,
        "resident": {"name": case.resident_name, "phone": mask_phone(case.resident_phone)},
        "summary": case.summary,
        "materials_provided": case.materials_provided,
        # The rating that counts (the resident's when they gave one), and both as given.
        "rating": case.resident_rating or case.rating,
        "agent_rating": case.rating,
        "resident_rating": case.resident_rating,
        # 容缺受理: the date the missing materials were promised by, and whether it passed with them missing.
        "materials_promised_by": case.materials_promised_by.isoformat() if case.materials_promised_by else None,
        "materials_promise_broken": case.materials_promise_broken_at is not None,
        "opened_at": iso(case.opened_at),
        "due_at": iso(case.due_at),
        "closed_at": iso(case.closed_at),
        "process": {"key": case.process_version.key, "version": case.process_version.version},
        "open_tasks": [task_dict(t) for t in rows],
        "events": [
            {"at": iso(e.at), "actor": e.actor, "type": e.type, "detail": e.detail} for e in case_events(session, case)
        ],
        **actions,
    }


def case_item(case: Case, now_at: list[OrgUnit] | None = None) -> dict:
    """A case in a list (search results): enough to recognise it, without its tasks and events; with
    where it is now (`units_now` for the page) when given."""
    return {
        "id": case.id,
        "receipt_code": case.receipt_code,
        "catalog_code": case.catalog_code,
        "catalog_name": case.catalog_item.name,
        "kind": case.kind,
        "status": case.status,
        "level": case.level,
        "village": case.village.code,
        "resident": {"name": case.resident_name, "phone": mask_phone(case.resident_phone)},
        "summary": case.summary,
        "opened_at": iso(case.opened_at),
        "due_at": iso(case.due_at),
        "closed_at": iso(case.closed_at),
        "now_at": unit_names(now_at or []),
    }


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "****"
