"""A township of its own for assessment tests, so hand-computed counts stay exact in the shared database.

Items are inserted directly (figures read only columns, never workflow
state); times are Shanghai local.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from sqlalchemy import select

from engine.kernel.passwords import hash_password
from engine.library.catalog import current_item
from engine.org.org import add_unit, unit_by_code
from engine.store.calendar import TZ
from engine.store.models import Case, Event, OrgUnit, ProcessVersion, RoleAssignment, User


@lru_cache(maxsize=1)
def _demo_hash() -> str:
    return hash_password("demo")


def at(text: str) -> datetime:
    """'2026-11-02 10:00' in Shanghai time."""
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


@dataclass
class Township:
    unit: OrgUnit
    villages: list[OrgUnit]
    users: dict[str, User] = field(default_factory=dict)


def make_township(session, villages: int = 3) -> Township:
    """A new township under the demo county: villages v1..vN, group v1-g1, and one user per role."""
    tag = "x" + uuid.uuid4().hex[:6]
    county = unit_by_code(session, "qx")
    township = add_unit(session, tag, f"测试镇{tag}", "township", county, f"Test town {tag}")
    units = [
        add_unit(session, f"{tag}-v{n}", f"测试村{n}", "village", township, f"Test village {n}")
        for n in range(1, villages + 1)
    ]
    group = add_unit(session, f"{tag}-v1-g1", "测试组", "group", units[0])
    session.flush()
    result = Township(township, units)
    people = [
        ("ta", "township_agent", township),
        ("ta2", "township_agent", township),
        ("inspector", "discipline_inspector", township),
        ("g1", "group_agent", group),
    ]
    people += [(f"a{n}", "village_agent", v) for n, v in enumerate(units, start=1)]
    for key, role, unit in people:
        name = f"{role}@{unit.code}" if key != "ta2" else f"{role}2@{unit.code}"
        user = User(
            username=name,
            display_name=f"{key} {tag}",
            password_hash=_demo_hash(),
            active=True,
            created_at=at("2026-01-01 00:00"),
        )
        session.add(user)
        session.flush()
        session.add(RoleAssignment(user_id=user.id, role=role, org_unit_id=unit.id))
        result.users[key] = user
    session.commit()
    return result


def add_case(
    session,
    town: Township,
    village: int,
    owner: str,
    item: str,
    opened: str,
    due: str,
    closed: str | None = None,
    rating: str | None = None,
    status: str | None = None,
    test_run: bool = False,
    phone: str = "13900001111",
) -> Case:
    catalog = current_item(session, item)
    version = session.scalar(select(ProcessVersion.id).where(ProcessVersion.status == "live").limit(1))
    unit = town.villages[village - 1]
    case = Case(
        receipt_code="T" + uuid.uuid4().hex[:12].upper(),
        catalog_item_id=catalog.id,
        catalog_code=item,
        kind=catalog.kind,
        status=status or ("closed" if closed else "open"),
        level="village",
        org_unit_id=unit.id,
        village_id=unit.id,
        township_id=town.unit.id,
        owner_id=town.users[owner].id,
        resident_name="王五",
        resident_phone=phone,
        summary="测试",
        materials_provided=[],
        rating=rating,
        opened_at=at(opened),
        due_at=at(due),
        closed_at=at(closed) if closed else None,
        process_version_id=version,
        is_test_run=test_run,
        state="",
    )
    session.add(case)
    session.flush()
    session.add(
        Event(case_id=case.id, at=at(opened), actor_id=town.users[owner].id, actor=owner, type="case_opened", detail={})
    )
    session.commit()
    return case


def add_event(session, town: Township, who: str, case: Case, when: str, type_: str = "task_completed") -> None:
    session.add(Event(case_id=case.id, at=at(when), actor_id=town.users[who].id, actor=who, type=type_, detail={}))
    session.commit()


def november_town(session) -> Township:
    """Seven real items and one test run (see each line for the figures they make)."""
    t = make_township(session)
    c = {}
    c[1] = add_case(
        session, t, 1, "a1", "temporary-aid", "2026-11-02 10:00", "2026-11-09 17:30", "2026-11-05 09:00", "satisfied"
    )  # on time, satisfied
    c[2] = add_case(
        session,
        t,
        1,
        "a1",
        "temporary-aid",
        "2026-11-03 10:00",
        "2026-11-10 17:30",
        "2026-11-12 09:00",
        "basically_satisfied",
    )  # late, basically satisfied
    c[3] = add_case(session, t, 1, "a1", "house-building", "2026-11-10 10:00", "2026-12-08 17:30")  # open, overdue
    c[4] = add_case(
        session, t, 2, "a2", "temporary-aid", "2026-11-15 10:00", "2026-11-20 17:30", "2026-11-18 09:00", "dissatisfied"
    )  # on time, dissatisfied
    c[5] = add_case(
        session, t, 2, "a2", "temporary-aid", "2026-11-30 23:30", "2026-12-07 17:30", "2026-12-01 09:00"
    )  # last minute of November, unrated
    c[6] = add_case(session, t, 2, "a2", "house-building", "2026-12-01 00:10", "2026-12-11 17:30")  # December, due soon
    c[7] = add_case(
        session, t, 1, "a1", "temporary-aid", "2026-10-31 23:59", "2026-11-06 17:30", "2026-11-02 09:00"
    )  # October
    c[8] = add_case(
        session, t, 2, "a2", "temporary-aid", "2026-12-02 10:00", "2026-12-03 17:30", status="returned"
    )  # returned: never overdue
    add_case(session, t, 1, "a1", "temporary-aid", "2026-11-04 10:00", "2026-11-05 17:30", test_run=True)
    t.cases = c
    return t
