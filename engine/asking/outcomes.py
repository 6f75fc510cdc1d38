"""What became of a need (in the needs diary or a resident's online request): answered on the spot, opened as
a proxy item, referred to mediation (which opens the mediation item, so the township's mediation officer has it
in their inbox), or declined with a reason. Checked before anything is written."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from ..cases.commands import open_case
from ..kernel.i18n import N_
from ..kernel.vocabulary import NeedOutcome
from ..library.catalog import current_item
from ..store.models import Case, OrgUnit, User
from .tags import referral_item

TEXT_LIMIT = 2000
# Outcomes that open an item: a proxy item, or the mediation item of a referred dispute.
OPENS_ITEM = frozenset({NeedOutcome.CASE, NeedOutcome.REFERRED})


def _long_text(value, required: bool) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip() and not required):
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > TEXT_LIMIT:
        return ""
    return value.strip()


def check_outcome(session: Session, need: dict, prefix: str, errors: dict) -> dict:
    """The need's outcome fields, cleaned; problems go to `errors` under `prefix`."""
    outcome = need.get("outcome")
    if outcome not in NeedOutcome.codes():
        errors[f"{prefix}outcome"] = N_("answered, case, referred or declined")
        return {}
    clean: dict = {"outcome": outcome, "answer": None, "catalog_code": None, "reason": None}
    if outcome == NeedOutcome.ANSWERED:
        clean["answer"] = _long_text(need.get("answer"), True)
        if not clean["answer"]:
            errors[f"{prefix}answer"] = N_("the answer given is required")
    elif outcome == NeedOutcome.CASE:
        code = need.get("catalog_code")
        if not isinstance(code, str) or current_item(session, code) is None:
            errors[f"{prefix}catalog_code"] = N_("unknown catalog item")
        clean["catalog_code"] = code
    else:
        if outcome == NeedOutcome.REFERRED:
            code = need.get("catalog_code") or referral_item()
            if not isinstance(code, str) or current_item(session, code) is None:
                errors[f"{prefix}catalog_code"] = N_("unknown catalog item")
            clean["catalog_code"] = code
        clean["reason"] = _long_text(need.get("reason"), True)
        if not clean["reason"]:
            errors[f"{prefix}reason"] = (
                N_("say to whom and why it is referred")
                if outcome == NeedOutcome.REFERRED
                else N_("the reason for declining is required")
            )
    if outcome != NeedOutcome.ANSWERED and need.get("answer") not in (None, ""):
        clean["answer"] = _long_text(need.get("answer"), False)
        if clean["answer"] == "":
            errors[f"{prefix}answer"] = N_("too long")
    return clean


def open_item(
    session: Session, actor: User, catalog_code: str, name: str, phone: str, village: OrgUnit, text: str, now
) -> Case:
    """Open the proxy item a need became, pre-filled with the resident, the village and the request (its own
    command, with its own event, before the record that links to it)."""
    return open_case(
        session, actor, catalog_code, {"name": name, "phone": phone, "village": village.code}, text, [], now
    )


def parse_moment(value, field: str, errors: dict, now: datetime, default: datetime) -> datetime:
    """An ISO 8601 moment with its offset, not in the future (a few minutes of clock drift allowed)."""
    if value in (None, ""):
        return default
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        errors[field] = N_("a date and time with its offset, e.g. 2026-05-01T09:30:00+08:00")
        return default
    if moment > now + timedelta(minutes=5):
        errors[field] = N_("cannot be in the future")
    return moment
