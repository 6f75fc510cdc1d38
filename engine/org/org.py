"""The org tree (county → townships → villages → groups, departments, stations, window)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..kernel.clock import utcnow
from ..kernel.errors import NotFound
from ..kernel.i18n import N_
from ..kernel.passwords import hash_password
from ..kernel.settings import CONFIG_DIR
from ..kernel.vocabulary import EventType, Role, UnitKind
from ..store.models import Event, OrgUnit, RoleAssignment, User
from ..store.workspace_tables import OfficeDay

KINDS = tuple(UnitKind)


def add_unit(
    session: Session,
    code: str,
    name: str,
    kind: str,
    parent: OrgUnit | None = None,
    name_en: str | None = None,
    function: str | None = None,
) -> OrgUnit:
    if kind not in KINDS:
        raise ValueError(f"unknown unit kind {kind}")
    path = (parent.path if parent else "/") + code + "/"
    unit = OrgUnit(
        code=code, name=name, name_en=name_en, kind=kind, function=function, parent=parent, path=path, active=True
    )
    session.add(unit)
    return unit


def unit_by_code(session: Session, code: str) -> OrgUnit | None:
    return session.scalar(select(OrgUnit).where(OrgUnit.code == code))


def existing_unit(session: Session, code: str) -> OrgUnit:
    """`unit_by_code` for a unit that must exist (NotFound otherwise)."""
    unit = unit_by_code(session, code)
    if unit is None:
        raise NotFound(N_("no such unit"))
    return unit


def ancestor_of_kind(session: Session, unit: OrgUnit, kind: str) -> OrgUnit | None:
    """The unit itself or its nearest ancestor of `kind` (path holds the codes)."""
    codes = [c for c in unit.path.strip("/").split("/") if c]
    rows = session.scalars(select(OrgUnit).where(OrgUnit.code.in_(codes), OrgUnit.kind == kind)).all()
    return max(rows, key=lambda u: len(u.path), default=None)


def enclosing_unit(session: Session, unit: OrgUnit, kind: str) -> OrgUnit:
    """`ancestor_of_kind` where the tree guarantees one (a village's township and county): NotFound if it is broken."""
    found = ancestor_of_kind(session, unit, kind)
    if found is None:
        raise NotFound(N_("no such unit"))
    return found


def child_with_function(session: Session, parent: OrgUnit, kinds: tuple[str, ...], function: str) -> OrgUnit | None:
    return session.scalar(
        select(OrgUnit).where(
            OrgUnit.parent_id == parent.id,
            OrgUnit.kind.in_(kinds),
            OrgUnit.function == function,
            OrgUnit.active.is_(True),
        )
    )


def active_children(session: Session, parent_id: int, kind: str) -> list[OrgUnit]:
    """The active units of `kind` directly under a unit (e.g. a county's departments), by code."""
    return list(
        session.scalars(
            select(OrgUnit)
            .where(OrgUnit.parent_id == parent_id, OrgUnit.kind == kind, OrgUnit.active.is_(True))
            .order_by(OrgUnit.code)
        )
    )


def child_of_kind(session: Session, parent: OrgUnit, kind: str) -> OrgUnit | None:
    return session.scalar(
        select(OrgUnit).where(OrgUnit.parent_id == parent.id, OrgUnit.kind == kind, OrgUnit.active.is_(True))
    )


def load_demo_county(session: Session, path: Path | None = None, password: str = "demo") -> int:
    """Create the demo county and one user per (role, unit) as `{role}@{code}`, plus the
    second staff members of `[[colleagues]]` as `{role}2@{code}` (someone to delegate to).

    Idempotent: does nothing when the county exists. Returns the number of users created.
    """
    data = tomllib.loads((path or CONFIG_DIR / "demo_county.toml").read_text(encoding="utf-8"))
    c = data["county"]
    if unit_by_code(session, c["code"]) is not None:
        return 0
    # One hash for all demo users keeps loading fast; demo passwords are public anyway.
    pw_hash = hash_password(password)
    assignments: list[tuple[str, OrgUnit]] = []
    county = add_unit(session, c["code"], c["name"], UnitKind.COUNTY, name_en=c.get("name_en"))
    assignments += [(r, county) for r in c.get("roles", [])]
    window = add_unit(
        session, c["window"]["code"], c["window"]["name"], UnitKind.WINDOW, county, name_en=c["window"].get("name_en")
    )
    assignments.append((Role.COUNTY_WINDOW, window))
    for d in c.get("departments", []):
        dep = add_unit(session, d["code"], d["name"], UnitKind.DEPARTMENT, county, d.get("name_en"), d["function"])
        assignments.append((Role.DEPARTMENT_HANDLER, dep))
    for t in data["townships"]:
        township = add_unit(session, t["code"], t["name"], UnitKind.TOWNSHIP, county, t.get("name_en"))
        assignments += [(r, township) for r in data["township_roles"]["roles"]]
        for s in data["stations"]:
            station = add_unit(
                session,
                f"{t['code']}-{s['suffix']}",
                t["name"] + s["name"],
                UnitKind.STATION,
                township,
                f"{t.get('name_en', t['code'])} {s['name_en']}",
                s["function"],
            )
            assignments.append((Role.STATION_HANDLER, station))
        for v in t["villages"]:
            village = add_unit(session, v["code"], v["name"], UnitKind.VILLAGE, township, v.get("name_en"))
            assignments += [(r, village) for r in data["village_roles"]["roles"]]
            for n in range(1, data.get("groups_per_village", 0) + 1):
                group = add_unit(
                    session,
                    f"{v['code']}-g{n}",
                    f"{v['name']}第{n}村民小组",
                    UnitKind.GROUP,
                    village,
                    f"{v.get('name_en', v['code'])} group {n}",
                )
                assignments += [(r, group) for r in data["group_roles"]["roles"]]
    session.flush()
    colleagues = _colleagues(data.get("colleagues", []), assignments)

    for t in data["townships"]:
        set_office_days(session, existing_unit(session, t["code"]), t.get("office_days", []))
    now = utcnow()
    admin = User(username="admin", display_name="admin", password_hash=pw_hash, active=True, created_at=now)
    session.add(admin)
    session.flush()
    session.add(RoleAssignment(user_id=admin.id, role=Role.ADMIN, org_unit_id=county.id))
    users = [(role, unit, "") for role, unit in assignments] + [(role, unit, "2") for role, unit in colleagues]
    for role, unit, suffix in users:
        user = User(
            username=f"{role}{suffix}@{unit.code}",
            display_name=f"{unit.name}{Role(role).zh}{suffix}",  # a person's name on pages: never a code
            password_hash=pw_hash,
            active=True,
            created_at=now,
        )
        session.add(user)
        session.flush()
        session.add(RoleAssignment(user_id=user.id, role=role, org_unit_id=unit.id))
    session.add(
        Event(
            at=now,
            actor="system",
            type=EventType.DEMO_COUNTY_LOADED,
            detail={"county": c["code"], "users": len(users) + 1},
        )
    )
    return len(users) + 1


def _colleagues(entries: list[dict], firsts: list[tuple[str, OrgUnit]]) -> list[tuple[str, OrgUnit]]:
    """(role, unit) of each second holder: only of a role the unit already has, so the two are
    colleagues (same role, same unit); a typo in the file fails loudly."""
    held = {(role, unit.code): unit for role, unit in firsts}
    result = []
    for entry in entries:
        for code in entry["units"]:
            unit = held.get((entry["role"], code))
            if unit is None:
                raise ValueError(f"colleague {entry['role']}2@{code}: the unit has no {entry['role']}")
            result.append((entry["role"], unit))
    return result


# A township's fixed office days (赶集日, often a Sunday): the county window hands results over on them.
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def set_office_days(session: Session, township: OrgUnit, names) -> None:
    for name in names:
        session.add(OfficeDay(township_id=township.id, weekday=WEEKDAYS.index(name.lower())))


def office_days(session: Session, township: OrgUnit) -> list[int]:
    return list(
        session.scalars(
            select(OfficeDay.weekday).where(OfficeDay.township_id == township.id).order_by(OfficeDay.weekday)
        )
    )
