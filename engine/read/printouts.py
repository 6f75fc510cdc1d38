"""What the printed forms show: read-only facts gathered from a case and its events."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..kernel.vocabulary import EventType
from ..store.models import Case
from .shapes import case_events


def case_result(session: Session, case: Case) -> dict | None:
    """The latest answer given on the item (a station's result or the lead's consolidation)."""
    for event in reversed(case_events(session, case)):
        data = (event.detail or {}).get("data") or {}
        if event.type == EventType.TASK_COMPLETED and isinstance(data.get("answer"), str):
            return {
                "answer": data["answer"],
                "approved": data.get("approved"),
                "at": event.at,
                "by": event.actor,
                "unit": event.detail.get("unit"),
            }
    return None
