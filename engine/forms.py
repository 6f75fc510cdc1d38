"""Task forms are JSON Schema documents (bpmn/forms/), stored with each process version."""
from __future__ import annotations

import json
from functools import lru_cache

from jsonschema import Draft202012Validator

from .i18n import N_
from .errors import Invalid
from .processes import forms_for
from .settings import BPMN_DIR


# Plain-words messages for JSON Schema failures (translated by the web layer).
MESSAGES = {
    "const": N_("must be confirmed"),
    "enum": N_("not one of the allowed values"),
    "type": N_("wrong type"),
    "maxLength": N_("too long"),
    "minLength": N_("required"),
    "maximum": N_("too large"),
    "minimum": N_("too small"),
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
            errors.setdefault(field, MESSAGES.get(err.validator, N_("invalid value")))
    if errors:
        raise Invalid(N_("the form has errors"), errors)
    return data


@lru_cache(maxsize=1)
def delay_explanation_field() -> dict:
    return json.loads((BPMN_DIR / "forms" / "delay_explanation.json").read_text(encoding="utf-8"))


def task_form(row) -> dict | None:
    """The form of an inbox row. Responsibility (责任追究): whoever finishes an overdue task
    explains the delay to the resident, so an overdue task's form also asks for that."""
    schema = forms_for(row.case.process_version).get(row.form)
    if schema is None or row.due_state != "overdue":
        return schema
    return {**schema, "properties": {**schema.get("properties", {}), "delay_explanation": delay_explanation_field()},
            "required": [*schema.get("required", []), "delay_explanation"]}
