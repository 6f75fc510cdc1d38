"""The case panel every task page shows (and `context` in GET /api/v1/tasks/{id}): what the handler of
any step needs from the steps before, so nothing typed once has to be asked again.

The resident's request; each required material provided at intake, supplied later (who, when),
promised under 容缺受理 (by when) or missing; every earlier step's decision and note under its unit's
*name*; the departments of a joint handling with the lead marked and each one's state; the
attachments; and, on a task sent back, the return reason first. Everything is read from the audit
trail and the inbox rows, which is what the item's history is.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from ..cases.materials import PROMISED_BY, TOLERATED, TOLERATED_MATERIALS
from ..kernel.vocabulary import EventType, MaterialState, PartState, TaskState
from ..library.processes import forms_for
from ..store.models import Case, Event, OrgUnit, TaskRow, User
from ..store.paging import iso
from ..store.workspace_tables import Attachment

# Fields that hold what a person wrote (shown as the step's note), in the order they are shown.
NOTE_FIELDS = ("answer", "opinion", "reason", "where_to_go", "note", "status_notice", "comment", "delay_explanation")
STEP_EVENTS = (EventType.TASK_COMPLETED, EventType.TASK_RETURNED, EventType.DEPARTMENT_ADDED)
DEPARTMENT_TASK = "handle_in_department"


def _units(session: Session, codes: set[str]) -> dict[str, OrgUnit]:
    if not codes:
        return {}
    return {u.code: u for u in session.scalars(select(OrgUnit).where(OrgUnit.code.in_(codes)))}


def _unit(units: dict[str, OrgUnit], code: str | None) -> dict | None:
    if not code:
        return None
    unit = units.get(code)
    return {"code": code, "name": unit.name if unit else code, "name_en": (unit.name_en or unit.name) if unit else code}


def display_names(session: Session, usernames: set[str]) -> dict[str, str]:
    """Display names by username (pages show who acted by name, the API gives both)."""
    if not usernames:
        return {}
    rows = session.execute(select(User.username, User.display_name).where(User.username.in_(usernames)))
    return {username: name for username, name in rows}


def _value(prop: dict, value) -> dict:
    """A field's value in words, in both languages (a choice by its title, yes/no for a tick)."""
    if isinstance(value, bool):
        return {"text": "是" if value else "否", "text_en": "Yes" if value else "No"}
    if "enum" in prop and value in prop["enum"]:
        i = prop["enum"].index(value)
        zh = prop.get("x-enum-titles", prop["enum"])[i]
        return {"text": zh, "text_en": prop.get("x-enum-titles-en", prop.get("x-enum-titles", prop["enum"]))[i]}
    if isinstance(value, list):
        text = "、".join(str(v) for v in value)
        return {"text": text, "text_en": ", ".join(str(v) for v in value)}
    return {"text": str(value), "text_en": str(value)}


UNIT_CHOICES = ("county_departments", "resort_departments")
NO_DEPARTMENT = {"text": "无需其他部门办理", "text_en": "No further department needed"}


def _fields(form: dict | None, data: dict, units: dict[str, OrgUnit] | None = None) -> list[dict]:
    """Each answered field with its title, in the form's order (a field the form does not know last)."""
    props = (form or {}).get("properties", {})
    order = [*props, *(k for k in data if k not in props)]
    shown = []
    for name in order:
        if name not in data or data[name] in (None, "", []):
            continue
        prop = props.get(name, {})
        words = _value(prop, data[name])
        if prop.get("x-choices") in UNIT_CHOICES:  # a unit chosen on the form: its name, never its code
            unit = _unit(units or {}, str(data[name])) or {}
            words = NO_DEPARTMENT if data[name] == "none" else {"text": unit["name"], "text_en": unit["name_en"]}
        shown.append(
            {
                "name": name,
                "title": prop.get("title", name),
                "title_en": prop.get("x-title-en", prop.get("title", name)),
                "value": data[name],
                **words,
            }
        )
    return shown


def _materials(case: Case, completed: list[Event], scans: list[Attachment]) -> tuple[list[dict], dict | None]:
    """The catalog's list with each material's state; and the 容缺受理 promise, if one was made.
    A material resubmitted at 补交材料登记, or scanned and attached later, counts as supplied."""
    supplied: dict[str, dict] = {}
    tolerance: dict | None = None
    for event in completed:
        data = event.detail.get("data") or {}
        if event.type != EventType.TASK_COMPLETED:
            continue
        for m in data.get("materials_supplied") or []:
            supplied.setdefault(m, {"by": event.actor, "at": iso(event.at)})
        if data.get(TOLERATED):
            tolerance = {
                "materials": list(data.get(TOLERATED_MATERIALS) or []),
                "promised_by": data.get(PROMISED_BY),
                "by": event.actor,
                "at": iso(event.at),
            }
    on_file = set(case.materials_provided or [])
    promised: set[str] = set(tolerance["materials"]) if tolerance else set()
    for scan in scans:
        if scan.material not in on_file:
            supplied.setdefault(scan.material, {"by": scan.uploaded_by.username, "at": iso(scan.uploaded_at)})
    rows = []
    for name in case.catalog_item.materials:
        later = supplied.get(name)
        if later is not None:
            rows.append({"name": name, "state": MaterialState.SUPPLIED.value, **later})
        elif name in on_file:
            rows.append({"name": name, "state": MaterialState.PROVIDED.value, "by": None, "at": None})
        elif name in promised:
            rows.append(
                {
                    "name": name,
                    "state": MaterialState.PROMISED.value,
                    "by": None,
                    "at": tolerance and tolerance["promised_by"],
                }
            )
        else:
            rows.append({"name": name, "state": MaterialState.MISSING.value, "by": None, "at": None})
    return rows, tolerance


def _steps(events: list[Event], rows: dict[str, TaskRow], forms: dict, units: dict[str, OrgUnit]) -> list[dict]:
    """Every earlier step's decision and note (and every return and added department), oldest first."""
    steps = []
    for event in events:
        detail = event.detail or {}
        row = rows.get(event.task_id or detail.get("task_id") or "")
        unit = detail.get("unit") or (row.org_unit.code if row is not None else None)
        if event.type == EventType.TASK_COMPLETED:
            data = detail.get("data") or {}
            fields = _fields(forms.get(row.form) if row is not None and row.form else None, data, units)
        elif event.type == EventType.TASK_RETURNED:
            fields = [
                {
                    "name": "reason",
                    "title": "退回理由",
                    "title_en": "Reason for the return",
                    "value": detail.get("reason"),
                    "text": detail.get("reason"),
                    "text_en": detail.get("reason"),
                }
            ]
        else:  # a department added to the joint handling
            unit = None
            added = _unit(units, detail.get("department"))
            fields = [
                {
                    "name": "department",
                    "title": "增加部门",
                    "title_en": "Department added",
                    "value": detail.get("department"),
                    "text": added and added["name"],
                    "text_en": added and added["name_en"],
                },
                {
                    "name": "reason",
                    "title": "理由",
                    "title_en": "Reason",
                    "value": detail.get("reason"),
                    "text": detail.get("reason"),
                    "text_en": detail.get("reason"),
                },
            ]
        note = next((f["text"] for n in NOTE_FIELDS for f in fields if f["name"] == n), None)
        steps.append(
            {
                "at": iso(event.at),
                "type": event.type,
                "task": row.spec_name if row is not None else None,
                "name": detail.get("name") or (row.name if row is not None else None),
                "unit": _unit(units, unit),
                "actor": event.actor,
                "fields": [f for f in fields if f["text"] not in (None, "")],
                "note": note,
            }
        )
    return steps


def _departments(rows: list[TaskRow], lead: str | None, returned: set[str]) -> list[dict]:
    """The departments of a joint handling, the lead first, each with its latest part's state."""
    latest: dict[str, TaskRow] = {}
    for row in rows:
        if row.spec_name == DEPARTMENT_TASK:
            latest[row.org_unit.code] = row  # rows come oldest first: the last one is the current part
    shown = []
    for code, row in latest.items():
        state = PartState.RETURNED.value if row.id in returned else PartState(row.state).value
        shown.append(
            {
                "unit": {"code": code, "name": row.org_unit.name, "name_en": row.org_unit.name_en or row.org_unit.name},
                "lead": code == lead,
                "state": state,
                "task_id": row.id,
                "at": iso(row.completed_at or row.created_at),
            }
        )
    return sorted(shown, key=lambda d: not d["lead"])


def case_context(session: Session, task: TaskRow, data: dict) -> dict:
    """The panel for `task` (whose workflow data is `data`): see the module's docstring."""
    case = task.case
    events = list(session.scalars(select(Event).where(Event.case_id == case.id).order_by(Event.at, Event.id)))
    rows_list = list(
        session.scalars(
            select(TaskRow)
            .where(TaskRow.case_id == case.id)
            .options(lazyload(TaskRow.case))  # the case in hand (joined again for each row otherwise)
            .order_by(TaskRow.created_at, TaskRow.id)
        )
    )
    rows = {r.id: r for r in rows_list}
    earlier = [e for e in events if e.type in STEP_EVENTS]
    codes = {str(e.detail.get("unit")) for e in earlier if e.detail.get("unit")}
    codes |= {str(e.detail.get("department")) for e in earlier if e.detail.get("department")}
    codes |= {r.org_unit.code for r in rows_list}
    codes |= {str((e.detail.get("data") or {}).get("department")) for e in earlier}
    units = _units(session, codes)
    attachments = list(
        session.scalars(
            select(Attachment).where(Attachment.case_id == case.id).order_by(Attachment.uploaded_at, Attachment.id)
        )
    )
    materials, tolerance = _materials(case, events, attachments)
    returned = {str(e.task_id or e.detail.get("task_id")) for e in events if e.type == EventType.TASK_RETURNED}
    back = [e for e in events if e.type == EventType.TASK_RETURNED and e.detail.get("to_task") == task.id]
    return_reason = None
    if back and task.state == TaskState.READY:
        last = back[-1]
        source = rows.get(str(last.task_id or last.detail.get("task_id")))
        return_reason = {
            "reason": last.detail.get("reason"),
            "by": last.actor,
            "at": iso(last.at),
            "step": last.detail.get("name"),
            "unit": _unit(_units(session, {source.org_unit.code}), source.org_unit.code) if source else None,
        }
    steps = _steps(earlier, rows, forms_for(case.process_version), units)
    people = display_names(session, {e.actor for e in events if e.actor})
    for entry in [*steps, *materials, *([tolerance] if tolerance else []), *([return_reason] if return_reason else [])]:
        who = entry.get("actor") or entry.get("by")
        entry["by_name"] = people.get(who, who) if who else None
    return {
        "request": {
            "catalog_code": case.catalog_code,
            "catalog_name": case.catalog_item.name,
            "catalog_name_en": case.catalog_item.name_en or case.catalog_item.name,
            "summary": case.summary,
            "resident": case.resident_name,
            "village": {
                "code": case.village.code,
                "name": case.village.name,
                "name_en": case.village.name_en or case.village.name,
            },
            "opened_at": iso(case.opened_at),
        },
        "materials": materials,
        "tolerance": tolerance,
        "steps": steps,
        "lead_department": data.get("lead_department"),
        "departments": _departments(rows_list, data.get("lead_department"), returned),
        "attachments": [
            {
                "id": a.id,
                "material": a.material,
                "file_name": a.file_name,
                "at": iso(a.uploaded_at),
                "by": a.uploaded_by.username,
            }
            for a in attachments
        ],
        "return_reason": return_reason,
        "answer": outcome(earlier, units),
        "refusal": refusal(earlier),
    }


# The fields a handling step writes its result into (村级办理, 站所办理, 牵头部门汇总), in any process.
ANSWER_FIELD, APPROVED_FIELD = "answer", "approved"


def outcome(events: list[Event], units: dict[str, OrgUnit] | None = None) -> dict | None:
    """The answer the item got: the last handling step's result (the lead department's consolidated
    answer, the station's or the village's), with whether it was granted and by which unit."""
    answer = None
    for event in events:
        data = event.detail.get("data") or {} if event.type == EventType.TASK_COMPLETED else {}
        if isinstance(data.get(ANSWER_FIELD), str) and data[ANSWER_FIELD].strip():
            answer = {
                "text": data[ANSWER_FIELD].strip(),
                "approved": data.get(APPROVED_FIELD) if isinstance(data.get(APPROVED_FIELD), bool) else None,
                "step": event.detail.get("name"),
                "unit": _unit(units or {}, event.detail.get("unit")),
                "at": iso(event.at),
            }
    return answer


def refusal(events: list[Event]) -> dict | None:
    """Why an item ended without being handled: not accepted or guided to go in person (the reason
    and where to go), or withdrawn by the resident while materials were missing (the agent's note)."""
    for event in reversed(events):
        data = event.detail.get("data") or {} if event.type == EventType.TASK_COMPLETED else {}
        if data.get("acceptance") in ("refuse", "guide_in_person"):
            return {
                "kind": data["acceptance"],
                "reason": data.get("reason"),
                "where_to_go": data.get("where_to_go"),
                "at": iso(event.at),
                "by": event.actor,
            }
        if data.get("withdrawn"):
            return {
                "kind": "withdrawn",
                "reason": data.get("note"),
                "where_to_go": None,
                "at": iso(event.at),
                "by": event.actor,
            }
    return None


def case_outcome(session: Session, case: Case) -> tuple[dict | None, dict | None]:
    """(the answer, the refusal) of an item, unit names resolved."""
    events = list(
        session.scalars(
            select(Event)
            .where(Event.case_id == case.id, Event.type == EventType.TASK_COMPLETED)
            .order_by(Event.at, Event.id)
        )
    )
    units = _units(session, {str(e.detail.get("unit")) for e in events if e.detail.get("unit")})
    return outcome(events, units), refusal(events)
