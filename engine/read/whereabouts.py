"""当前所在: where an item is now. A joint item is with several departments at once, so "where" is every
unit holding an open step of it (the unit that holds the item first), by name; an item with no open
step is where it was last (its `org_unit`)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..kernel.vocabulary import CASE_OPEN, TaskState
from ..store.models import Case, OrgUnit, TaskRow


def units_now(
    session: Session, cases: list[Case], open_rows: dict[int, list[TaskRow]] | None = None
) -> dict[int, list[OrgUnit]]:
    """Each case's units holding an open step (one query for a page of cases), the holding unit first.
    `open_rows`: each case's open rows oldest first, if the caller has read them (then no query)."""
    ids = [c.id for c in cases]
    found: dict[int, list[OrgUnit]] = {i: [] for i in ids}
    if open_rows is not None:
        for case_id in ids:
            for row in open_rows.get(case_id, []):
                if row.org_unit not in found[case_id]:
                    found[case_id].append(row.org_unit)
    elif ids:
        rows = session.execute(
            select(TaskRow.case_id, OrgUnit)
            .join(OrgUnit, OrgUnit.id == TaskRow.org_unit_id)
            .where(TaskRow.case_id.in_(ids), TaskRow.state == TaskState.READY)
            .order_by(TaskRow.case_id, TaskRow.created_at, TaskRow.id)
        )
        for case_id, unit in rows:
            if unit not in found[case_id]:
                found[case_id].append(unit)
    for case in cases:
        held = found[case.id]
        if case.org_unit is not None and case.org_unit in held:
            held.remove(case.org_unit)
            held.insert(0, case.org_unit)
        elif not held and case.org_unit is not None and case.status in CASE_OPEN:
            held.append(case.org_unit)
    return found


def unit_names(units: list[OrgUnit]) -> list[dict]:
    return [{"code": u.code, "name": u.name, "name_en": u.name_en or u.name} for u in units]
