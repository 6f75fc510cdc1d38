"""Moving running items to a new process version: dry run first, then one transaction and event per item.

A copy of the library diagram under its own key keeps these versions away from the live proxy_case."""

from __future__ import annotations

import uuid

import pytest
from lxml import etree
from sqlalchemy import select

from bench.driver import sample_data
from engine.cases import commands, migration
from engine.cases.forms import task_form
from engine.kernel.errors import Conflict, Forbidden
from engine.kernel.settings import BPMN_DIR
from engine.library import process_library as library
from engine.library.processes import BPMN_NS, spec_for
from engine.runtime.spiff import dump_state, load_state
from engine.store.models import Case, Event, TaskRow

XML = (BPMN_DIR / "proxy_case.bpmn").read_text(encoding="utf-8")
ACCEPTED = {"materials_complete": True, "commission_signed": True}


def _copy(key: str, xml: str = XML) -> str:
    return xml.replace('"proxy_case"', f'"{key}"')


def _without_accept_item(xml: str) -> str:
    """The diagram with its first step removed: the start event leads straight to the level gateway."""
    root = etree.fromstring(xml.encode())
    gone = {"accept_item", "f_accepted"}
    for node in list(root.iter()):
        if (
            node.get("id") in gone
            or node.get("bpmnElement") in gone
            or (node.text or "").strip() in ("accept_item", "f_accepted")
        ):
            if (node.text or "").strip() == "f_accepted" and node.tag == f"{{{BPMN_NS}}}incoming":
                node.text = "f_start"  # the gateway's incoming flow
                continue
            node.getparent().remove(node)
    next(n for n in root.iter(f"{{{BPMN_NS}}}sequenceFlow") if n.get("id") == "f_start").set("targetRef", "gw_level")
    return etree.tostring(root, encoding="unicode")


def _deploy(session, analyst, xml: str) -> int:
    version = library.save_draft(session, analyst, xml)
    library.deploy(session, analyst, version.key, version.version)
    return version.version


def _open_rows(session, case_id):
    return list(session.scalars(select(TaskRow).where(TaskRow.case_id == case_id, TaskRow.state == "ready")))


@pytest.fixture
def two_cases(session, user):
    """Two running items on version 1 of a fresh process: one at its first step, one past it."""
    key = f"migration_{uuid.uuid4().hex[:8]}"
    analyst = user("analyst@qx")
    v1 = _deploy(session, analyst, _copy(key))
    target = library.get_version(session, key, v1)
    waiting = commands.start_test_run(session, analyst, target, {"catalog_code": "temporary-aid"})
    moved_on = commands.start_test_run(session, analyst, target, {"catalog_code": "temporary-aid"})
    commands.complete_task(session, analyst, _open_rows(session, moved_on.id)[0].id, ACCEPTED)
    return key, analyst, waiting, moved_on


def test_a_label_change_lets_every_item_move_after_a_dry_run(session, two_cases):
    key, analyst, waiting, moved_on = two_cases
    v2 = _deploy(session, analyst, _copy(key, XML.replace('name="受理登记"', 'name="受理登记(新)"')))
    # Deploying leaves running items pinned to their version.
    assert session.get(Case, waiting.id).process_version.version == 1
    report = migration.dry_run(session, analyst, key, v2)
    assert {c["case_id"] for c in report["movable"]} == {waiting.id, moved_on.id} and report["blocked"] == []
    assert next(c for c in report["movable"] if c["case_id"] == waiting.id)["tasks"] == ["受理登记(新)"]
    assert session.get(Case, waiting.id).process_version.version == 1  # the dry run changed nothing
    first_row = _open_rows(session, waiting.id)[0]

    result = migration.migrate(session, analyst, key, v2)
    assert {c["case_id"] for c in result["migrated"]} == {waiting.id, moved_on.id}
    session.expire_all()
    case = session.get(Case, waiting.id)
    assert case.process_version.version == v2
    row = _open_rows(session, waiting.id)[0]
    assert row.id == first_row.id and row.name == "受理登记(新)"  # the same inbox row, relabelled
    events = session.scalars(select(Event).where(Event.case_id == waiting.id, Event.type == "case_migrated")).all()
    assert len(events) == 1 and events[0].detail["from_version"] == 1 and events[0].detail["to_version"] == v2
    # The migrated item runs on: its first step completes into the next one of the new version.
    commands.complete_task(session, analyst, row.id, ACCEPTED)
    assert [r.spec_name for r in _open_rows(session, waiting.id)] == ["township_review"]


def test_items_whose_steps_are_gone_stay_and_are_listed_with_the_reason(session, two_cases):
    key, analyst, waiting, moved_on = two_cases
    v2 = _deploy(session, analyst, _copy(key, _without_accept_item(XML)))
    report = migration.dry_run(session, analyst, key, v2)
    assert report["movable"] == []
    reasons = {c["case_id"]: c["reasons"] for c in report["blocked"]}
    assert reasons[waiting.id] == [{"message": "an open step of the case no longer exists", "detail": "受理登记"}]
    assert reasons[moved_on.id][0]["message"] == "a finished step of the case no longer exists"
    result = migration.migrate(session, analyst, key, v2)
    assert result["migrated"] == [] and len(result["blocked"]) == 2
    session.expire_all()
    assert session.get(Case, waiting.id).process_version.version == 1
    assert [r.name for r in _open_rows(session, waiting.id)] == ["受理登记"]


def test_only_analysts_migrate_and_only_to_the_live_version(session, user, two_cases):
    key, analyst, waiting, _ = two_cases
    with pytest.raises(Forbidden):
        migration.dry_run(session, user("village_agent@t1-v1"), key, 1)
    draft = library.save_draft(session, analyst, _copy(key, XML.replace('name="受理登记"', 'name="登记"')))
    with pytest.raises(Conflict):
        migration.migrate(session, analyst, key, draft.version)
    assert session.get(Case, waiting.id).process_version.version == 1


def test_a_joint_item_opened_before_joint_signing_moves_and_its_departments_still_countersign(session, user):
    """A case from before catalog items had a joint_mode (its data lacks it) moves to a version whose
    diagram reads it: the migration gives it the item's mode (会签), so its departments' answers merge."""
    key = f"migration_{uuid.uuid4().hex[:8]}"
    analyst = user("analyst@qx")
    v1 = _deploy(session, analyst, _copy(key))
    case = commands.start_test_run(
        session, analyst, library.get_version(session, key, v1), {"catalog_code": "house-building"}
    )
    for _ in range(10):
        rows = [r for r in _open_rows(session, case.id) if r.spec_name != "status_notice"]
        if rows[0].spec_name == "handle_in_department":
            break
        commands.complete_task(session, analyst, rows[0].id, sample_data(task_form(rows[0])))
    parts = _open_rows(session, case.id)
    assert sum(r.spec_name == "handle_in_department" for r in parts) == 3
    workflow = load_state(case.state, spec_for(case.process_version))
    for task in workflow.get_tasks():  # as stored before 13_joint: no joint signing in the data
        task.data.pop("joint_mode", None), task.data.pop("vote_share", None)
    case.state = dump_state(workflow)
    session.commit()
    v2 = _deploy(session, analyst, _copy(key, XML.replace('name="部门办理"', 'name="部门办理(新)"')))
    assert [c["case_id"] for c in migration.migrate(session, analyst, key, v2)["migrated"]] == [case.id]
    for row in [r for r in _open_rows(session, case.id) if r.spec_name == "handle_in_department"]:
        commands.complete_task(session, analyst, row.id, {"approved": True, "opinion": "同意"})
    assert "consolidate" in [r.spec_name for r in _open_rows(session, case.id)]
