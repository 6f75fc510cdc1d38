"""Task forms are JSON Schema documents (bpmn/forms/), stored with each process version."""

from __future__ import annotations

import json
from functools import lru_cache

from jsonschema import Draft202012Validator
from sqlalchemy import select
from sqlalchemy.orm import object_session

from ..kernel.errors import Invalid
from ..kernel.i18n import N_
from ..kernel.settings import BPMN_DIR
from ..kernel.vocabulary import TaskState, TimerKind, UnitKind
from ..library.processes import forms_for
from ..org.org import active_children
from ..store.models import TaskRow
from .projection import UnitResolver

# Plain-words messages for JSON Schema failures (translated by the web layer).
MESSAGES = {
    "const": N_("must be confirmed"),
    "enum": N_("not one of the allowed values"),
    "type": N_("wrong type"),
    "maxLength": N_("too long"),
    "minLength": N_("required"),
    "maximum": N_("too large"),
    "minimum": N_("too small"),
    "pattern": N_("not in the expected format"),
    "minItems": N_("choose at least one"),
    "uniqueItems": N_("chosen twice"),
}

# The joint handling's department step, and the re-sort's answer that no other department is needed.
DEPARTMENT_TASK, NO_DEPARTMENT = "handle_in_department", "none"

CHOICE_MESSAGES = {
    "county_departments": N_("choose a department of this county"),
    "resort_departments": N_("choose a department of this county not already handling the item"),
    "missing_materials": N_("choose among the materials still missing"),
}


def validate_form(schema: dict | None, data) -> dict:
    """Return the submitted data if it satisfies the form; Invalid names each bad field."""
    if not isinstance(data, dict):
        raise Invalid(N_("form data must be an object"), {"data": N_("must be an object")})
    if schema is None:
        return data
    errors: dict[str, str] = {}
    for err in Draft202012Validator(schema).iter_errors(data):
        if err.validator == "required":
            field = err.message.split("'")[1] if "'" in err.message else "data"
            errors[field] = N_("required")
        elif err.validator == "additionalProperties":
            for extra in err.instance.keys() - schema.get("properties", {}).keys():
                errors[extra] = N_("unknown field")
        else:
            field = ".".join(str(p) for p in err.absolute_path) or "data"
            prop = schema.get("properties", {}).get(str(err.absolute_path[0]) if err.absolute_path else field, {})
            if err.absolute_path and len(err.absolute_path) > 1:
                field = str(err.absolute_path[0])
                prop = prop.get("items", {})
            choices = err.validator == "enum" and prop.get("x-choices")
            errors.setdefault(field, CHOICE_MESSAGES.get(choices) or MESSAGES.get(err.validator, N_("invalid value")))
    if errors:
        raise Invalid(N_("the form has errors"), errors)
    return data


@lru_cache(maxsize=1)
def delay_explanation_field() -> dict:
    return json.loads((BPMN_DIR / "forms" / "delay_explanation.json").read_text(encoding="utf-8"))


def county_departments(row) -> list:
    """The active departments of the case's county: the units a county department task may go to."""
    session = object_session(row)
    assert session is not None  # the row was read in a session
    county = UnitResolver(session, row.case).case_unit(UnitKind.COUNTY)
    return active_children(session, county.id, UnitKind.DEPARTMENT) if county is not None else []


def _department_choices(row) -> list[tuple[str, str, str]]:
    return [(u.code, u.name, u.name_en or u.name) for u in county_departments(row)]


def _resort_choices(row) -> list[tuple[str, str, str]]:
    """重新分送: the county's departments not already handling the item (no two parts for one
    department), and "no further department" when the others can answer without one."""
    session = object_session(row)
    assert session is not None
    busy = set(
        session.scalars(
            select(TaskRow.org_unit_id).where(
                TaskRow.case_id == row.case_id,
                TaskRow.spec_name == DEPARTMENT_TASK,
                TaskRow.state == TaskState.READY,
            )
        )
    )
    free = [(u.code, u.name, u.name_en or u.name) for u in county_departments(row) if u.id not in busy]
    return [*free, (NO_DEPARTMENT, "无需其他部门办理", "No further department needed")]


def _missing_material_choices(row) -> list[tuple[str, str, str]]:
    """The catalog's materials for the item not yet on record: what a resubmission can tick off."""
    provided = set(row.case.materials_provided or [])
    return [(m, m, m) for m in row.case.catalog_item.materials if m not in provided]


# `x-choices` on a form field (or on an array field's items): the values come from the case (its
# county's departments, its missing materials), so the server offers and accepts only those.
CHOICES = {
    "county_departments": _department_choices,
    "resort_departments": _resort_choices,
    "missing_materials": _missing_material_choices,
}


def _choice(prop: dict, row) -> dict:
    source = CHOICES.get(str(prop.get("x-choices")))
    if source is None:
        return prop
    values = source(row)
    return {
        **prop,
        "enum": [v for v, _, _ in values],
        "x-enum-titles": [zh for _, zh, _ in values],
        "x-enum-titles-en": [en for _, _, en in values],
    }


def _with_choices(schema: dict, row) -> dict:
    properties = dict(schema.get("properties", {}))
    for name, prop in properties.items():
        if isinstance(prop.get("items"), dict) and "x-choices" in prop["items"]:
            properties[name] = {**prop, "items": _choice(prop["items"], row)}
        else:
            properties[name] = _choice(prop, row)
    return {**schema, "properties": properties}


def _has_choices(prop: dict) -> bool:
    return "x-choices" in prop or (isinstance(prop.get("items"), dict) and "x-choices" in prop["items"])


def task_form(row) -> dict | None:
    """The form of an inbox row. Responsibility (责任追究): whoever finishes an overdue task
    explains the delay to the resident, so an overdue task's form also asks for that."""
    schema = forms_for(row.case.process_version).get(row.form)
    if schema is not None and any(_has_choices(p) for p in schema.get("properties", {}).values()):
        schema = _with_choices(schema, row)
    if schema is None or row.due_state != TimerKind.OVERDUE:
        return schema
    return {
        **schema,
        "properties": {**schema.get("properties", {}), "delay_explanation": delay_explanation_field()},
        "required": [*schema.get("required", []), "delay_explanation"],
    }
