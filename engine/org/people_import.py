"""Bulk import of people from a sheet: a preview with per-row errors; nothing is written unless
every row is valid, and then the whole sheet is written in one transaction with one event."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..kernel.errors import Invalid
from ..kernel.i18n import N_
from ..kernel.sheets import Sheet, guess_mapping, refuse_bad_rows
from ..kernel.vocabulary import EventType
from ..store.models import OrgUnit, User
from ..store.unit_of_work import Work, execute
from .admin_scope import require_admin, scope_condition
from .people import add_user, check_new_user, check_role_and_unit
from .roles import roles

REQUIRED = ("username", "display_name", "role", "unit")
FIELDS = REQUIRED + ("password",)


def role_code(text: str) -> str:
    """A role named by its code or by its Chinese or English name."""
    for code, role in roles().items():
        if text in (code, role.name, role.name_en):
            return code
    return text


def unit_codes_by_name(session: Session, paths: list[str]) -> dict[str, str | None]:
    """Active unit names → code (None when the name is ambiguous: then the code must be used)."""
    found: dict[str, str | None] = {}
    for code, name in session.execute(
        select(OrgUnit.code, OrgUnit.name).where(scope_condition(paths), OrgUnit.active.is_(True))
    ):
        found[name] = None if name in found else code
    return found


def check_sheet(session: Session, actor: User, sheet: Sheet, mapping: dict | None = None) -> dict:
    """Validate every row; returns {"mapping", "rows": [{"row", "values", "errors"}], "valid"}."""
    paths = require_admin(actor)
    mapping = {k: v for k, v in (mapping or guess_mapping(sheet.headers, "people")).items() if k in FIELDS}
    missing = [f for f in REQUIRED if f not in sheet.columns(mapping)]
    if missing:
        raise Invalid(N_("the sheet lacks required columns"), {f: N_("no column for this field") for f in missing})
    by_name = unit_codes_by_name(session, paths)
    accounts: dict[str, dict] = {}
    rows = []
    for number, values in sheet.records(mapping):
        errors: dict[str, str] = {}
        role = role_code(values.get("role", ""))
        unit = values.get("unit", "")
        unit = by_name.get(unit) or unit
        username = values.get("username", "")
        account = accounts.get(username)
        if account is None:
            body: dict[str, object] = {
                "username": username,
                "display_name": values.get("display_name", ""),
                "password": values.get("password") or None,
                "roles": [],
            }
            check_new_user(session, paths, body, errors)
            account = accounts[username] = {"body": body, "pairs": [], "row": number}
        elif values.get("display_name") and values["display_name"] != account["body"]["display_name"]:
            errors["display_name"] = N_("differs from the user's earlier row")
        found = check_role_and_unit(session, paths, role, unit, errors)
        if (role, unit) in [(r, u.code) for r, u in account["pairs"]]:
            errors["role"] = N_("repeats an earlier row")
        elif not errors:
            account["pairs"].append((role, found))
        rows.append({"row": number, "values": values, "errors": errors})
    if not rows:
        raise Invalid(N_("the sheet is empty"), {"file": N_("the sheet has no rows below the headings")})
    return {"mapping": mapping, "rows": rows, "valid": not any(r["errors"] for r in rows), "accounts": accounts}


def import_people(
    session: Session,
    actor: User,
    sheet: Sheet,
    mapping: dict | None = None,
    dry_run: bool = False,
    now: datetime | None = None,
) -> dict:
    """Preview (dry run) or import; an invalid sheet raises Invalid naming each bad cell and writes nothing."""

    def act(work: Work) -> dict:
        result = check_sheet(session, actor, sheet, mapping)
        accounts = result.pop("accounts")
        if dry_run:
            return result
        refuse_bad_rows(result["rows"])
        created = []
        for _username, account in accounts.items():
            user, password = add_user(session, account["body"], account["pairs"], work.now)
            created.append(
                {
                    "username": user.username,
                    "display_name": user.display_name,
                    "password": password if not account["body"]["password"] else None,
                }
            )
        work.event(EventType.PEOPLE_IMPORTED, None, users=[c["username"] for c in created], rows=len(result["rows"]))
        return {**result, "created": created}

    return execute(session, actor, act, now)
