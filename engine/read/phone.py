"""What the village agent's phone keeps for a day without a signal (issue 22): the catalog with each item's
materials, the villages the agent keeps records for with their households, the agent's open tasks with their
forms, and the items the agent opened with their progress. The app fetches it whenever it is online and
shows it from its own store when it is not (docs/phone.md says what is kept and for how long)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..asking.households import register_query
from ..asking.scope import may_keep, village_ids
from ..asking.shapes import household_dict
from ..cases.forms import task_form
from ..kernel.clock import utcnow
from ..kernel.vocabulary import CaseStatus, ContactChannel, NeedOutcome
from ..library.catalog import active_items
from ..org.access import may_open_for
from ..store.asking_tables import Household
from ..store.models import Case, OrgUnit, TaskRow, User
from ..store.paging import iso
from .inbox import Filters, inbox_query

HOUSEHOLDS = 2000  # a village has a few hundred households; an agent keeps one to a few villages
TASKS = 100
OPENED = 100


def _labels(vocabulary) -> dict:
    return {m.value: {"zh": m.zh, "en": m.en} for m in vocabulary}


def offline_bundle(session: Session, user: User) -> dict:
    villages = session.scalars(select(OrgUnit).where(OrgUnit.id.in_(village_ids(user))).order_by(OrgUnit.path)).all()
    households = session.scalars(
        register_query(user, None, None, None).order_by(Household.village_id, Household.id).limit(HOUSEHOLDS)
    ).all()
    # The agent's own tasks, then those of their unit that nobody took yet (the inbox's first two tabs).
    mine = session.scalars(inbox_query(user, "mine", Filters()).limit(TASKS)).unique().all()
    available = session.scalars(inbox_query(user, "available", Filters()).limit(TASKS)).unique().all()
    opened = session.scalars(
        select(Case)
        .where(Case.owner_id == user.id, Case.is_test_run.is_(False))
        .order_by(Case.opened_at.desc())
        .limit(OPENED)
    ).all()
    return {
        "fetched_at": iso(utcnow()),
        "user": {"username": user.username, "display_name": user.display_name},
        "catalog": [
            {
                "code": i.code,
                "name": i.name,
                "name_en": i.name_en,
                "category": i.category,
                "materials": list(i.materials or []),
                "time_limit_days": i.time_limit_days,
            }
            for i in active_items(session)
        ],
        "villages": [
            {
                "code": v.code,
                "name": v.name,
                "name_en": v.name_en,
                "may_open": may_open_for(user, v),
                "may_keep": may_keep(user, v),
            }
            for v in villages
        ],
        "households": [household_dict(h) for h in households],
        "tasks": [_task(t, True) for t in mine] + [_task(t, False) for t in available],
        "opened": [_case(c) for c in opened],
        "labels": {
            "status": _labels(CaseStatus),
            "channel": _labels(ContactChannel),
            "outcome": _labels(NeedOutcome),
        },
    }


def _task(t: TaskRow, mine: bool) -> dict:
    return {
        "id": t.id,
        "mine": mine,
        "case_id": t.case_id,
        "receipt_code": t.case.receipt_code,
        "name": t.name,
        "resident_name": t.case.resident_name,
        "catalog_code": t.case.catalog_code,
        "due_at": iso(t.due_at),
        "due_state": t.due_state,
        "form": task_form(t),
    }


def _case(c: Case) -> dict:
    return {
        "id": c.id,
        "receipt_code": c.receipt_code,
        "catalog_code": c.catalog_code,
        "resident_name": c.resident_name,
        "summary": c.summary,
        "status": c.status,
        "opened_at": iso(c.opened_at),
        "due_at": iso(c.due_at),
        "closed_at": iso(c.closed_at),
        "level": c.level,
    }
