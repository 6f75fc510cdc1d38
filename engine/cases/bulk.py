"""Bulk claim and bulk urge from the inbox: several independent commands, one per task, each with
its own transaction and event, so one refused task never undoes the others. The answer says what
happened to each task."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from ..kernel.errors import DomainError, Invalid
from ..kernel.i18n import N_
from ..store.models import User
from .claims import claim_task
from .urges import urge_task

MAX_TASKS = 100


@dataclass(frozen=True)
class Outcome:
    task_id: str
    done: bool
    status: int | None = None  # the refusal's HTTP status (403, 404, 409, 422)
    message: str | None = None  # the refusal's N_() message, translated by the caller


def _ids(task_ids) -> list[str]:
    if (
        not isinstance(task_ids, list)
        or not task_ids
        or len(task_ids) > MAX_TASKS
        or not all(isinstance(t, str) and 0 < len(t) <= 36 for t in task_ids)
    ):
        raise Invalid(N_("choose the tasks"), {"ids": N_("1 to 100 task ids")})
    return list(dict.fromkeys(task_ids))


def _each(task_ids, command: Callable[[str], object]) -> list[Outcome]:
    outcomes = []
    for task_id in _ids(task_ids):
        try:
            command(task_id)
        except DomainError as err:
            outcomes.append(Outcome(task_id, False, err.status, err.message))
        else:
            outcomes.append(Outcome(task_id, True))
    return outcomes


def claim_tasks(session: Session, actor: User, task_ids, now: datetime | None = None) -> list[Outcome]:
    return _each(task_ids, lambda task_id: claim_task(session, actor, task_id, now))


def urge_tasks(session: Session, actor: User, task_ids, note=None, now: datetime | None = None) -> list[Outcome]:
    return _each(task_ids, lambda task_id: urge_task(session, actor, task_id, note, now))
