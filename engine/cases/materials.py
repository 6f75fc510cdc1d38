"""An item's materials as a checklist (一次性告知, 补交, 容缺受理).

The catalog lists what an item requires; the case records what is on file. Acceptance may not call
an item's materials complete while some are missing, unless the agent records 容缺受理: the resident
promises to supply those named materials by a date. A resubmission ticks materials off the list,
never replaces it. Both are task properties on the diagram (`materials_check`, `supplies_materials`),
so an analyst's own process gets the same rule by naming its fields.
"""

from __future__ import annotations

from datetime import date, datetime

from ..kernel.errors import Invalid
from ..kernel.i18n import N_
from ..store.calendar import TZ
from ..store.models import Case

# The acceptance form's fields for 容缺受理 (accepted with materials to follow).
TOLERATED, TOLERATED_MATERIALS, PROMISED_BY = "tolerated", "tolerated_materials", "promised_by"


def missing(case: Case) -> list[str]:
    """The catalog's materials for the item that are not on file, in the catalog's order."""
    on_file = set(case.materials_provided or [])
    return [m for m in case.catalog_item.materials if m not in on_file]


def check_acceptance(case: Case, complete_field: str, valid: dict, now: datetime) -> None:
    """Refuse "materials complete" while materials are missing, unless every missing one is promised
    (容缺受理) by a date that has not passed. Items not accepted (refused, guided) are not checked."""
    if valid.get("acceptance", "accept") != "accept" or case.is_test_run:
        return  # a test run has no resident and nothing on file: the analyst's data picks the path
    lacking = missing(case)
    errors: dict[str, str] = {}
    if valid.get(TOLERATED):
        promised = set(valid.get(TOLERATED_MATERIALS) or [])
        if not set(lacking) <= promised:
            errors[TOLERATED_MATERIALS] = N_("name every missing material the resident promises to supply")
        try:
            by = date.fromisoformat(str(valid.get(PROMISED_BY, "")))
        except ValueError:
            errors[PROMISED_BY] = N_("not a date (YYYY-MM-DD)")
        else:
            if by < now.astimezone(TZ).date():
                errors[PROMISED_BY] = N_("the promised date has passed")
            else:
                case.materials_promised_by, case.materials_promise_broken_at = by, None
    elif valid.get(complete_field) and lacking:
        errors[complete_field] = N_(
            "required materials are missing: send the one-time notice, or record 容缺受理 with the materials"
            " promised and a date"
        )
    if errors:
        raise Invalid(N_("the form has errors"), errors)


def supply(case: Case, field: str, valid: dict, data: dict) -> None:
    """Add the supplied materials to the case's record (and the workflow's), keeping what was there."""
    on_record = list(case.materials_provided or [])
    supplied = [m for m in valid.get(field, []) if m not in on_record]
    case.materials_provided = [*on_record, *supplied]
    data["materials_provided"] = list(case.materials_provided)
    if case.materials_promised_by is not None and not missing(case):
        # What was promised under 容缺受理 is on file now: the promise is kept, any flag goes.
        case.materials_promised_by, case.materials_promise_broken_at = None, None


def supply_promised(case: Case, material: str) -> bool:
    """A scan of a material promised under 容缺受理 puts it on file (the resident brought it); once
    nothing is missing the promise is kept and its flag goes. Returns whether it ticked one off."""
    if case.materials_promised_by is None or material not in missing(case):
        return False
    case.materials_provided = [*list(case.materials_provided or []), material]
    if not missing(case):
        case.materials_promised_by, case.materials_promise_broken_at = None, None
    return True
