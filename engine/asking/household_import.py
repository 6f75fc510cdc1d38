"""Importing a household ledger (农户台账) from Excel or CSV, as the people import does: a preview with each
row's problems; nothing is written unless every row is valid, then the whole sheet in one transaction with one
event. And the register back out as rows for a workbook."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..kernel.errors import Forbidden, Invalid
from ..kernel.i18n import N_
from ..kernel.sheets import Sheet, guess_mapping, refuse_bad_rows
from ..kernel.vocabulary import EventType, UnitKind
from ..org.org import active_children, unit_by_code
from ..store.asking_tables import Household
from ..store.models import User
from ..store.unit_of_work import Work, execute
from .households import check_household, register_query
from .scope import keeping_villages
from .tags import tags

REQUIRED = ("village", "head_name", "phone")
FIELDS = REQUIRED + ("group", "members", "address", "tags", "agent")
SEPARATORS = re.compile(r"[、,,;;/\n]+")


def _tag_codes(text: str) -> list[str]:
    """Tags by code or by their Chinese or English label, separated by 、 , ; or /."""
    by_label = {}
    for code, tag in tags().items():
        by_label.update({code: code, tag.zh: code, tag.en.lower(): code})
    return [
        by_label.get(part.strip().lower(), by_label.get(part.strip(), part.strip()))
        for part in SEPARATORS.split(text)
        if part.strip()
    ]


def _members(text: str) -> list[dict]:
    """ "李秀英(配偶)、王小明" → members with their relation to the head."""
    members = []
    for part in SEPARATORS.split(text):
        part = part.strip()
        if not part:
            continue
        found = re.match(r"^(.+?)[((](.+)[))]$", part)
        members.append(
            {"name": found.group(1).strip(), "relation": found.group(2).strip()} if found else {"name": part}
        )
    return members


def check_sheet(session: Session, actor: User, sheet: Sheet, mapping: dict | None = None) -> dict:
    """Validate every row; returns {"mapping", "rows": [{"row", "values", "errors"}], "valid", "households"}."""
    villages = keeping_villages(session, actor)
    if not villages:
        raise Forbidden(N_("you do not keep records for this village"))
    mapping = {k: v for k, v in (mapping or guess_mapping(sheet.headers, "households")).items() if k in FIELDS}
    missing = [f for f in REQUIRED if f not in sheet.columns(mapping)]
    if missing:
        raise Invalid(N_("the sheet lacks required columns"), {f: N_("no column for this field") for f in missing})
    by_name = {v.name: v.code for v in villages} | {v.code: v.code for v in villages}
    rows, households, seen = [], [], set()
    for number, values in sheet.records(mapping):
        errors: dict[str, str] = {}
        village = by_name.get(values.get("village", "").strip())
        if village is None:
            errors["village"] = N_("not a village you keep records for")
            rows.append({"row": number, "values": values, "errors": errors})
            continue
        body = {
            "village": village,
            "group": _group_code(session, values.get("group", ""), village),
            "head_name": values.get("head_name", ""),
            "phone": values.get("phone", ""),
            "members": _members(values.get("members", "")),
            "address": values.get("address", ""),
            "tags": _tag_codes(values.get("tags", "")),
            "agent": values.get("agent", "") or None,
        }
        fields = check_household(session, actor, body, errors)
        key = (fields["village_id"], fields["head_name"], fields["phone"])
        if key in seen:
            errors["head_name"] = N_("repeats an earlier row")
        elif not errors and _registered(session, *key):
            errors["head_name"] = N_("this household is already registered")
        seen.add(key)
        rows.append({"row": number, "values": values, "errors": errors})
        households.append(fields)
    if not rows:
        raise Invalid(N_("the sheet is empty"), {"file": N_("the sheet has no rows below the headings")})
    return {"mapping": mapping, "rows": rows, "valid": not any(r["errors"] for r in rows), "households": households}


def _group_code(session: Session, text: str, village_code: str) -> str:
    """A villager group by its code or name, or by its number within the village ("2", "2组", "第2村民小组")."""
    text = text.strip()
    village = unit_by_code(session, village_code)
    groups = active_children(session, village.id, UnitKind.GROUP) if village else []
    for group in groups:
        if text in (group.code, group.name):
            return group.code
    number = re.search(r"\d+", text)
    if number:
        numbered = [g for g in groups if re.search(rf"(^|\D){int(number.group())}(\D|$)", g.name)]
        if len(numbered) == 1:
            return numbered[0].code
    return text


def _registered(session: Session, village_id: int, head: str, phone: str) -> bool:
    return (
        session.scalar(
            select(Household.id).where(
                Household.village_id == village_id, Household.head_name == head, Household.phone == phone
            )
        )
        is not None
    )


def import_households(
    session: Session, actor: User, sheet: Sheet, mapping: dict | None = None, dry_run: bool = False, now=None
) -> dict:
    """Preview (dry run) or import; an invalid sheet raises Invalid naming each bad cell and writes nothing."""

    def act(work: Work) -> dict:
        result = check_sheet(work.session, actor, sheet, mapping)
        households = result.pop("households")
        if dry_run:
            return result
        refuse_bad_rows(result["rows"])
        for fields in households:
            work.session.add(Household(**fields, created_at=work.now, created_by_id=actor.id))
        work.session.flush()
        work.event(EventType.HOUSEHOLDS_IMPORTED, rows=len(households))
        return {**result, "imported": len(households)}

    return execute(session, actor, act, now)


def export_rows(session: Session, actor: User, village=None, tag=None, q=None, locale=None):
    """Every household the actor sees (full phones: the export is for the village's own staff), as rows."""
    query = register_query(actor, village, tag, q).order_by(Household.village_id, Household.group_id, Household.id)
    labels = tags()
    for h in session.scalars(query):
        yield [
            h.village.name,
            h.group.name if h.group else "",
            h.head_name,
            h.phone,
            "、".join(f"{m['name']}({m['relation']})" if m.get("relation") else m["name"] for m in h.members or []),
            h.address,
            "、".join(labels[t].label(locale) if t in labels else t for t in h.tags or []),
            h.agent.username if h.agent else "",
            h.last_visited_at.date().isoformat() if h.last_visited_at else "",
        ]
