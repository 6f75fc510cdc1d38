"""A refused item (不予受理) is one consistent state: it ends as returned with its reason, counts as
refused (never closed or on time) in reports, and is never running: it does not block retiring its
village, is not offered for migration and is not counted among a process version's running items."""

import uuid

from sqlalchemy import select

from engine.cases import commands, migration
from engine.library import process_library as library
from engine.org.org import unit_by_code
from engine.org.org_admin import open_items
from engine.store.models import TaskRow

from .scenario import Item, at
from .test_migration import XML, _copy, _deploy

REFUSE = {
    "acceptance": "refuse",
    "materials_complete": False,
    "commission_signed": False,
    "reason": "该事项须本人到县政务中心办理",
    "where_to_go": "县政务服务中心3号窗口",
}


def test_a_refused_item_does_not_block_retiring_its_village(session, user):
    item = Item(session, user, "temporary-aid", "village_agent@t3-v3", "t3-v3", at(11, 23))
    item.do("accept_item", REFUSE, at(11, 23, 10))
    assert item.case.status == "returned"
    assert item.case.id not in [c.id for c in open_items(session, unit_by_code(session, "t3-v3"))]


def test_a_refused_item_is_neither_migrated_nor_counted_as_running(session, user):
    analyst = user("analyst@qx")
    key = f"refusal_{uuid.uuid4().hex[:8]}"
    v1 = _deploy(session, analyst, _copy(key))
    target = library.get_version(session, key, v1)
    refused = commands.start_test_run(session, analyst, target, {"catalog_code": "temporary-aid"})
    running = commands.start_test_run(session, analyst, target, {"catalog_code": "temporary-aid"})
    row = _first_open(session, refused.id)
    commands.complete_task(session, analyst, row.id, REFUSE)
    session.refresh(refused)
    assert refused.status == "returned"
    v2 = _deploy(session, analyst, _copy(key, XML.replace('name="受理登记"', 'name="受理登记(二版)"')))
    plan = migration.dry_run(session, analyst, key, v2)
    offered = {c["case_id"] for c in plan["movable"]} | {c["case_id"] for c in plan["blocked"]}
    assert running.id in offered and refused.id not in offered


def test_reports_count_a_refused_item_as_refused_not_as_closed(api):
    before = api.call("GET", "/api/v1/reports/summary?unit=t3", "supervisor@qx")
    case = api.open_case("village_agent@t3-v2", "temporary-aid", "t3-v2")
    task = case["open_tasks"][0]
    api.call("POST", f"/api/v1/tasks/{task['id']}/complete", "village_agent@t3-v2", {"data": REFUSE})
    after = api.call("GET", "/api/v1/reports/summary?unit=t3", "supervisor@qx")
    assert after["opened"] == before["opened"] + 1
    assert after["refused"] == before["refused"] + 1 and after["closed"] == before["closed"]


def _first_open(session, case_id):
    return session.scalars(select(TaskRow).where(TaskRow.case_id == case_id, TaskRow.state == "ready")).first()
