"""Importing a county's existing Excel ledger (台账) as archived history, so reports cover the
time before Daiban. Imported items have no workflow: their state holds only a marker."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..kernel.errors import Conflict, Invalid
from ..kernel.i18n import N_
from ..kernel.sheets import Sheet, guess_mapping, import_columns, refuse_bad_rows
from ..kernel.vocabulary import CaseStatus, EventType, UnitKind
from ..org.admin_scope import clean_text, require_admin, scope_condition
from ..org.org import enclosing_unit
from ..store.calendar import END_OF_DAY, TZ, default_calendar
from ..store.models import Case, CatalogItem, OrgUnit, User
from ..store.unit_of_work import Work, execute
from .processes import live_version

LEDGER_STATE = '{"ledger":true}'
REQUIRED = ("catalog", "resident_name", "village", "opened_at", "closed_at")
FIELDS = ("receipt_code",) + REQUIRED + ("resident_phone", "summary", "rating")
DAY = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T](\d{1,2}):(\d{2})(?::\d{2})?)?$")
RECEIPT = re.compile(r"^[A-Za-z0-9-]{4,32}$")


def is_ledger_case(case: Case) -> bool:
    return case.state == LEDGER_STATE


def parse_when(text: str, default: time) -> datetime | None:
    """A ledger date ("2025-03-01", "2025/3/1", "2025年3月1日", optional time) in Shanghai time."""
    match = DAY.match(text.strip())
    if not match:
        return None
    y, m, d, hh, mm = match.groups()
    if not 1990 <= int(y) <= 2099:  # ledgers start after 1990; beyond, the time zone arithmetic overflows
        return None
    try:
        at = time(int(hh), int(mm)) if hh is not None else default
        return datetime(int(y), int(m), int(d), at.hour, at.minute, tzinfo=TZ)
    except ValueError:
        return None


class _Lookups:
    """Catalog items and villages by code or name, loaded once per sheet."""

    def __init__(self, session: Session, paths: list[str]):
        self.items: dict[str, CatalogItem] = {}
        for item in session.scalars(select(CatalogItem).order_by(CatalogItem.version)):
            self.items[item.code] = self.items[item.name] = item  # the latest version wins
        self.villages: dict[str, OrgUnit | None] = {}
        for v in session.scalars(select(OrgUnit).where(OrgUnit.kind == UnitKind.VILLAGE, scope_condition(paths))):
            self.villages[v.code] = v
            self.villages[v.name] = None if v.name in self.villages and self.villages[v.name] is not v else v
        self.receipts: set[str] = set()


def _check_row(session: Session, values: dict, found: _Lookups, now: datetime) -> tuple[dict, dict]:
    errors: dict[str, str] = {}
    item = found.items.get(values.get("catalog", "").strip())
    if item is None:
        errors["catalog"] = N_("unknown catalog item")
    village = found.villages.get(values.get("village", "").strip())
    if village is None:
        errors["village"] = N_("unknown village")
    name = clean_text(values.get("resident_name"), 100)
    if name is None:
        errors["resident_name"] = N_("required, at most 100 characters")
    phone = values.get("resident_phone", "").strip()
    if len(phone) > 20:
        errors["resident_phone"] = N_("at most 20 characters")
    summary = values.get("summary", "").strip()
    if len(summary) > 2000:
        errors["summary"] = N_("at most 2000 characters")
    opened = parse_when(values.get("opened_at", ""), time(9, 0))
    closed = parse_when(values.get("closed_at", ""), END_OF_DAY)
    if opened is None:
        errors["opened_at"] = N_("a date like 2025-03-01")
    if closed is None:
        errors["closed_at"] = N_("a date like 2025-03-01")
    elif (opened and closed < opened) or closed > now:
        errors["closed_at"] = N_("between the opening date and today")
    rating = values.get("rating", "").strip()
    if rating:
        rating = import_columns()["ratings"].get(rating)
        if rating is None:
            errors["rating"] = N_("not one of the allowed values")
    receipt = values.get("receipt_code", "").strip().upper()
    if receipt:
        if not RECEIPT.match(receipt):
            errors["receipt_code"] = N_("4 to 32 letters, digits or dashes")
        elif receipt in found.receipts or session.scalar(select(Case.id).where(Case.receipt_code == receipt)):
            errors["receipt_code"] = N_("already taken")
        found.receipts.add(receipt)
    return {
        "item": item,
        "village": village,
        "name": name,
        "phone": phone,
        "summary": summary or None,
        "opened": opened,
        "closed": closed,
        "rating": rating or None,
        "receipt": receipt,
    }, errors


def import_ledger(
    session: Session,
    actor: User,
    sheet: Sheet,
    mapping: dict | None = None,
    dry_run: bool = False,
    now: datetime | None = None,
) -> dict:
    """Preview (dry run) or import a ledger; any bad row refuses the whole sheet and writes nothing."""

    def act(work: Work) -> dict:
        paths = require_admin(actor)
        columns = {k: v for k, v in (mapping or guess_mapping(sheet.headers, "ledger")).items() if k in FIELDS and v}
        missing = [f for f in REQUIRED if f not in sheet.columns(columns)]
        if missing:
            raise Invalid(N_("the sheet lacks required columns"), {f: N_("no column for this field") for f in missing})
        found = _Lookups(session, paths)
        checked: list[dict] = []
        rows: list[dict] = []  # {"row", "values", "errors"} of each sheet row
        for number, values in sheet.records(columns):
            clean, errors = _check_row(session, values, found, work.now)
            checked.append(clean)
            rows.append({"row": number, "values": values, "errors": errors})
        if not rows:
            raise Invalid(N_("the sheet is empty"), {"file": N_("the sheet has no rows below the headings")})
        result = {"mapping": columns, "rows": rows, "valid": not any(r["errors"] for r in rows)}
        if dry_run:
            return result
        refuse_bad_rows(rows)
        calendar = default_calendar(session)
        townships: dict[int, OrgUnit] = {}
        for c in checked:
            item, village = c["item"], c["village"]
            version = live_version(session, item.process_key)
            if version is None:
                raise Conflict(N_("no live process version; deploy the process library first"))
            if village.id not in townships:
                townships[village.id] = enclosing_unit(session, village, UnitKind.TOWNSHIP)
            session.add(
                Case(
                    receipt_code=c["receipt"] or "TZ" + c["opened"].strftime("%y%m%d") + secrets.token_hex(4).upper(),
                    catalog_item_id=item.id,
                    catalog_code=item.code,
                    kind=item.kind,
                    status=CaseStatus.ARCHIVED,
                    level=item.level,
                    org_unit_id=village.id,
                    village_id=village.id,
                    township_id=townships[village.id].id,
                    owner_id=actor.id,
                    resident_name=c["name"],
                    resident_phone=c["phone"],
                    summary=c["summary"] or item.name,
                    materials_provided=[],
                    rating=c["rating"],
                    opened_at=c["opened"],
                    closed_at=c["closed"],
                    due_at=calendar.deadline(c["opened"], item.time_limit_days),
                    process_version_id=version.id,
                    is_test_run=False,
                    state=LEDGER_STATE,
                )
            )
        session.flush()
        work.event(
            EventType.LEDGER_IMPORTED,
            None,
            rows=len(rows),
            opened_from=min(c["opened"] for c in checked).date().isoformat(),
            opened_to=max(c["opened"] for c in checked).date().isoformat(),
        )
        return {**result, "imported": len(rows)}

    return execute(session, actor, act, now)
