"""The properties an analyst puts on diagram elements (<spiffworkflow:property name= value=>) and
the values the engine accepts for each.

The engine reads them in casefacts (case_status, case_deadline, notice), projection (form,
time_limit_days, deadline_kind, unit), commands (result_variable, case_fields, supplies_materials: the form field whose
materials are added to the item's record; materials_check: the field claiming the materials complete) and actions
(return_flag: 退回 completes the task with that variable true; the process routes the part).
Validation checks every value here before a diagram enters the library, and the modeler offers the same
choices, so an analyst cannot deploy a property the engine would misread.
"""

from __future__ import annotations

import json
import re

from ..kernel.i18n import N_
from ..kernel.settings import BPMN_DIR
from ..kernel.vocabulary import CaseStatus, TimerKind, UnitKind
from .expressions import ExpressionError, compile_restricted

FORM = "formJsonSchemaFilename"
CASE_STATUSES = tuple(s for s in CaseStatus if s != CaseStatus.FAILED)  # failed: only a test run, by the engine
# Case columns a task may set from its form through the `case_fields` property.
CASE_FIELDS = ("rating", "materials_provided")
# `unit`: case.<one of these> (projection.UnitResolver) or data.<variable holding a unit code>.
CASE_UNITS = (UnitKind.VILLAGE, UnitKind.TOWNSHIP, UnitKind.COUNTY, UnitKind.WINDOW)
DEADLINE_KINDS = (TimerKind.RESUBMISSION,)
CASE_DEADLINES = ("restart",)
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)$")


def _names(value: str) -> list[str]:
    return [n.strip() for n in value.split(",")]


def _time_limit(value: str) -> str | None:
    """Whole working days (0 or more), or an expression over the task data giving them."""
    text = value.strip()
    if NUMBER.match(text):
        return None if text.isdigit() else N_("the time limit is not a whole number of working days")
    try:
        compile_restricted(text, "eval")
    except ExpressionError:
        return N_("the time limit is not a whole number of working days")
    return None


def _unit(value: str) -> str | None:
    source, _, name = value.strip().partition(".")
    if (source == "case" and name in CASE_UNITS) or (source == "data" and NAME.match(name)):
        return None
    return N_("the unit is neither case.<unit> nor data.<variable>")


RULES = {
    "time_limit_days": _time_limit,
    "case_status": lambda v: None if v in CASE_STATUSES else N_("the case status is not a known status"),
    "deadline_kind": lambda v: None if v in DEADLINE_KINDS else N_("the deadline kind is not known"),
    "case_deadline": lambda v: None if v in CASE_DEADLINES else N_("the case deadline can only restart"),
    "case_fields": lambda v: (
        None if all(n in CASE_FIELDS for n in _names(v)) else N_("a case field cannot be set from a form")
    ),
    "notice": lambda v: None if all(NAME.match(n) for n in _names(v)) else N_("not a list of variable names"),
    "result_variable": lambda v: None if NAME.match(v.strip()) else N_("not a variable name"),
    "unit": _unit,
    "alongside": lambda v: None if v.strip() in ("true", "false") else N_("alongside is true or false"),
    "return_flag": lambda v: None if NAME.match(v.strip()) else N_("not a variable name"),
    "materials_check": lambda v: None if NAME.match(v.strip()) else N_("not a variable name"),
    "supplies_materials": lambda v: None if NAME.match(v.strip()) else N_("not a variable name"),
}


def check(name: str, value: str | None) -> str | None:
    """The problem with one property value (a constant message), or None. An empty value means the
    property is not set; the form is checked on its own (a user task must have one)."""
    rule = RULES.get(name)
    if rule is None or not (value or "").strip():
        return None
    return rule(value)


def form_library() -> list[dict]:
    """The forms in bpmn/forms a user task may name: [{file, title, title_en}]."""
    forms = []
    for path in sorted((BPMN_DIR / "forms").glob("*.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        forms.append(
            {
                "file": path.name,
                "title": schema.get("title") or path.stem,
                "title_en": schema.get("x-title-en") or schema.get("title") or path.stem,
            }
        )
    return forms
