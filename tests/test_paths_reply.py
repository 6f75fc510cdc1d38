"""Engine scenarios: the reply to the resident (rating, a dissatisfied rating opens the supervisor's
review before archiving) and first-ask responsibility (the accepting agent follows the item to the end)."""

from engine.cases.visibility import get_case
from engine.read.shapes import case_dict, visible_cases

from .scenario import ACCEPT, REPLY, Item, at


def test_a_dissatisfied_rating_opens_a_supervisor_review_before_archiving(session, user):
    item = Item(session, user, "social-security-annual-review", "village_agent@t1-v2", "t1-v2", at(11, 23))
    item.do("accept_item", ACCEPT, at(11, 23, 9, 10))
    item.do("handle_at_village", {"approved": False, "answer": "缴费记录不全,暂不能年审"}, at(11, 23, 10))
    item.do("reply_resident", {**REPLY, "rating": "dissatisfied", "comment": "跑了两趟还没办成"}, at(11, 23, 11))
    case = item.case
    assert case.status == "closed" and case.rating == "dissatisfied"
    assert item.holders() == ["supervisor_review supervisor@qx"]
    item.do(
        "supervisor_review", {"finding": "已核实,向群众解释缴费补录办法", "responsibility": "explained"}, at(11, 25)
    )
    assert item.holders() == ["archive_case village_agent@t1-v2"]
    item.do("archive_case", {"ledger_reference": "TZ-2026-118"}, at(11, 25, 15))
    assert case.status == "archived"
    assert [e.detail.get("task") for e in item.events()][-2:] == ["supervisor_review", "archive_case"]


def test_a_satisfied_rating_goes_straight_to_the_archive(session, user):
    item = Item(session, user, "social-security-annual-review", "village_agent@t1-v3", "t1-v3", at(11, 23))
    item.do("accept_item", ACCEPT, at(11, 23, 9, 10))
    item.do("handle_at_village", {"approved": True, "answer": "已办"}, at(11, 23, 10))
    item.do("reply_resident", {**REPLY, "rating": "basically_satisfied"}, at(11, 23, 11))
    assert item.holders() == ["archive_case village_agent@t1-v3"]


def test_the_first_ask_agent_owns_the_item_and_sees_its_progress_at_the_county(session, user):
    item = Item(session, user, "house-building", "village_agent@t3-v3", "t3-v3", at(11, 23))
    owner = user("village_agent@t3-v3")
    item.do("accept_item", ACCEPT, at(11, 23, 10))
    item.do("township_review", {"opinion": "报县"}, at(11, 24))
    item.do("sort_to_departments", {}, at(11, 24, 15))
    case = item.case
    assert case.owner_id == owner.id and case.level == "county"
    seen = case_dict(session, get_case(session, owner, case.id))
    assert seen["owner"] == "village_agent@t3-v3"
    assert sorted((t["task"], t["org_unit"]) for t in seen["open_tasks"]) == [
        ("handle_in_department", "qx-nync"),
        ("handle_in_department", "qx-zjj"),
        ("handle_in_department", "qx-zrzy"),
        ("status_notice", "qx-window"),
    ]
    assert case.id in [c.id for c in visible_cases(session, owner, per_page=100).items]
    # The owner follows, the departments and the window act: none of their tasks is in the owner's inbox.
