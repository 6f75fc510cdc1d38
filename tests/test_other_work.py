"""One inbox for all work: a catalog proposal waiting for the leader and a complaint for the township
discipline committee show in their inbox beside the task tabs, with counts and links."""

import re

from engine.cases.catalog_admin import propose_item
from engine.oversight.other_work import other_work
from engine.read.portal import file_complaint

from .isolated_db import app, demo_db, own_database_url  # noqa: F401

NEW_ITEM = {
    "code": "inbox-item",
    "name": "农机年检代办",
    "category": "other",
    "kind": "promised",
    "level": "county",
    "departments": ["agriculture_rural"],
    "time_limit_days": 10,
    "materials": ["身份证"],
    "fee": 0,
}


def _count(html, kind):
    found = re.search(rf'class="other-{kind}">[^<]*<span class="count">(\d+)</span>', html)
    return int(found.group(1)) if found else 0


def test_the_leader_sees_the_proposal_in_the_inbox(session, user, login):
    leader = user("leader@qx")
    before = {w.kind: w.count for w in other_work(session, leader)}.get("catalog_approvals", 0)
    propose_item(session, user("admin"), NEW_ITEM)
    assert {w.kind: w.count for w in other_work(session, leader)}["catalog_approvals"] == before + 1
    html = login("leader@qx").get("/inbox").get_data(as_text=True)
    assert _count(html, "catalog_approvals") == before + 1 and "待审批的新增事项" in html
    # The proposer does not approve their own proposal: nothing waits for the admin.
    assert "catalog_approvals" not in {w.kind for w in other_work(session, user("admin"))}
    assert other_work(session, user("village_agent@t1-v1")) == []


def test_a_complaint_waits_in_the_discipline_inspectors_inbox(session, user, login):
    inspector = user("discipline_inspector@t1")
    before = {w.kind: w.count for w in other_work(session, inspector)}.get("complaints", 0)
    file_complaint(session, "t1", "代办员态度不好")
    after = {w.kind: w.count for w in other_work(session, inspector)}.get("complaints", 0)
    assert after == before + 1
    html = login("discipline_inspector@t1").get("/inbox").get_data(as_text=True)
    assert _count(html, "complaints") == after and "待处理的投诉" in html
    assert "complaints" not in {w.kind for w in other_work(session, user("discipline_inspector@t2"))}
