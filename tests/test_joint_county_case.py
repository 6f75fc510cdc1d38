"""Engine scenario: a joint county item (house building) travels village → township →
county window → three departments in parallel → lead department → back down, and is
replied to, rated and archived. Runs in-process on SQLite and PostgreSQL."""

from sqlalchemy import func, select

from engine.cases import commands
from engine.read.inbox import inbox
from engine.read.shapes import case_dict, task_context
from engine.store.models import Event, TaskRow

from .scenario import AID_MATERIALS, HOUSE_MATERIALS

RESIDENT = {"name": "王秀英", "phone": "13800001234", "village": "t1-v1"}
STEPS = [
    # (task, user who owns it, form data)
    ("accept_item", "village_agent@t1-v1", {"materials_complete": True, "commission_signed": True}),
    ("township_review", "township_reception@t1", {"opinion": "材料齐全,报县审批"}),
    ("sort_to_departments", "county_window@qx-window", {"note": "分送自然资源、农业农村、住建"}),
    ("status_notice", "county_window@qx-window", {"status_notice": "已报县自然资源局、农业农村局、住建局联合审批"}),
]
DEPARTMENTS = ["qx-zrzy", "qx-nync", "qx-zjj"]
AFTER = [
    ("consolidate", "department_handler@qx-zrzy", {"approved": True, "answer": "同意建房,按规划许可施工"}),
    ("return_to_township", "county_window@qx-window", {"note": "第12批回送"}),
    ("receive_result", "township_reception@t1", {}),
    ("reply_resident", "village_agent@t1-v1", {"result_explained": True, "rating": "satisfied"}),
    ("archive_case", "village_agent@t1-v1", {"ledger_reference": "TZ-2026-001"}),
]
BYSTANDERS = ["village_agent@t1-v2", "township_reception@t2", "department_handler@qx-mzj", "station_handler@t1-mzs"]


def _only_in_inbox_of(session, user, case, task_name, owner, bystanders=BYSTANDERS):
    """The case's step is in its owner's available inbox and in nobody else's."""
    owned = [
        t
        for t in inbox(session, user(owner), "available", per_page=100).items
        if t.spec_name == task_name and t.case_id == case.id
    ]
    assert owned, f"{task_name} missing from {owner}'s inbox"
    for other in bystanders:
        assert not [t for t in inbox(session, user(other), "available", per_page=100).items if t.case_id == case.id], (
            f"{other} sees {task_name}"
        )
    return owned[0]


def test_joint_county_item_is_handled_by_three_departments_and_archived(session, user):
    case = commands.open_case(
        session,
        user("village_agent@t1-v1"),
        "house-building",
        RESIDENT,
        "申请在自家承包地旁新建住房",
        HOUSE_MATERIALS,
    )
    assert case.receipt_code.startswith("DB") and case.status == "open"
    assert case.owner.username == "village_agent@t1-v1"

    for name, owner, data in STEPS:
        task = _only_in_inbox_of(session, user, case, name, owner)
        commands.complete_task(session, user(owner), task.id, data)

    open_rows = session.scalars(select(TaskRow).where(TaskRow.case_id == case.id, TaskRow.state == "ready")).all()
    assert sorted(r.org_unit.code for r in open_rows) == sorted(DEPARTMENTS)
    assert {r.spec_name for r in open_rows} == {"handle_in_department"}
    assert case.level == "county"
    for code in DEPARTMENTS:
        task = _only_in_inbox_of(session, user, case, "handle_in_department", f"department_handler@{code}")
        commands.complete_task(
            session,
            user(f"department_handler@{code}"),
            task.id,
            {"approved": code != "qx-zjj", "opinion": f"{code} 意见"},
        )

    consolidate = _only_in_inbox_of(session, user, case, "consolidate", "department_handler@qx-zrzy")
    answers = task_context(consolidate)["department_answers"]
    assert [a["unit"] for a in answers] == DEPARTMENTS
    assert [a["approved"] for a in answers] == [True, True, False]  # a refusal stays visible to the lead

    for name, owner, data in AFTER:
        task = _only_in_inbox_of(session, user, case, name, owner)
        commands.complete_task(session, user(owner), task.id, data)

    session.refresh(case)
    assert case.status == "archived" and case.rating == "satisfied" and case.closed_at is not None
    view = case_dict(session, case)
    assert view["open_tasks"] == []
    types = [e["type"] for e in view["events"]]
    assert types[0] == "case_opened" and types.count("task_completed") == 12
    actors = [e["actor"] for e in view["events"] if e["type"] == "task_completed"]
    assert "department_handler@qx-nync" in actors and actors[-1] == "village_agent@t1-v1"
    assert session.scalar(select(func.count()).select_from(Event).where(Event.case_id == case.id)) == 13


def test_township_item_is_handled_by_the_township_station(session, user):
    case = commands.open_case(
        session,
        user("village_agent@t2-v3"),
        "temporary-aid",
        {**RESIDENT, "village": "t2-v3"},
        "因病致贫申请临时救助",
        AID_MATERIALS,
    )
    steps = [
        ("accept_item", "village_agent@t2-v3", {"materials_complete": True, "commission_signed": True}),
        ("township_review", "township_reception@t2", {"opinion": "乡镇办理"}),
        ("handle_at_station", "station_handler@t2-mzs", {"approved": True, "answer": "发放临时救助金"}),
        ("receive_result", "township_reception@t2", {}),
        ("reply_resident", "village_agent@t2-v3", {"result_explained": True, "rating": "basically_satisfied"}),
    ]
    for name, owner, data in steps:
        task = _only_in_inbox_of(
            session,
            user,
            case,
            name,
            owner,
            ["village_agent@t2-v1", "township_reception@t1", "station_handler@t2-gts", "county_window@qx-window"],
        )
        commands.complete_task(session, user(owner), task.id, data)
    session.refresh(case)
    assert case.status == "closed" and case.rating == "basically_satisfied"
    assert [t["task"] for t in case_dict(session, case)["open_tasks"]] == ["archive_case"]
