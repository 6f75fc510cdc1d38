"""Browser: one inbox for all work, against a real gunicorn server with Debian's Chromium. A catalog
proposal waits in the county leader's inbox and a resident's complaint in the township discipline
inspector's, as rows like any task (kind, link, counts); each opens its page from the row and, once
decided or closed, leaves the inbox. Screenshots in test-artifacts/."""

from __future__ import annotations

import pytest

from bench.driver import Driver, http_transport

from .browser import logged_in_page, shot

pytestmark = pytest.mark.browser

PROPOSAL = {
    "code": "farm-machine-check",
    "name": "农机年检代办",
    "category": "other",
    "kind": "promised",
    "level": "county",
    "departments": ["agriculture_rural"],
    "time_limit_days": 10,
    "materials": ["身份证"],
    "fee": 0,
}


def _available(page) -> int:
    return int(page.text_content("a.tab-available .count"))


def test_an_approval_and_a_complaint_are_inbox_rows_acted_on_from_there(server, browser):
    api = Driver(http_transport(server))
    api.call("POST", "/api/v1/admin/catalog/proposals", "admin", PROPOSAL, expect=201)
    api.call("POST", "/api/v1/public/complaints", None, {"township": "t2", "text": "代办员多次推诿不办"}, expect=201)

    leader = logged_in_page(browser, server, "leader@qx")
    leader.goto(f"{server}/inbox?scope=available")
    row = leader.locator("table.inbox tr.work-catalog_approval", has_text="农机年检代办")
    assert row.count() == 1 and "准入审批" in row.text_content()
    before = _available(leader)
    assert before >= 1
    shot(leader, "70-inbox-approval")
    row.locator("a.act").click()
    leader.wait_for_selector("form.decision")
    leader.check("input[name=decision][value=approve]")
    leader.fill("textarea[name=opinion]", "同意纳入目录")
    leader.click("form.decision button.primary")
    leader.wait_for_selector(".flash.success")
    leader.goto(f"{server}/inbox?scope=available")
    assert leader.locator("tr.work-catalog_approval", has_text="农机年检代办").count() == 0
    assert _available(leader) == before - 1

    inspector = logged_in_page(browser, server, "discipline_inspector@t2")
    inspector.goto(f"{server}/inbox?scope=available")
    row = inspector.locator("table.inbox tr.work-complaint", has_text="代办员多次推诿不办")
    assert row.count() == 1 and "投诉" in row.text_content()
    shot(inspector, "71-inbox-complaint")
    row.locator("a.act").click()
    inspector.wait_for_selector("form.close-form")
    inspector.fill("form.close-form textarea[name=resolution]", "已约谈,责令整改")
    inspector.click("form.close-form button")
    inspector.wait_for_selector(".flash.success")
    inspector.goto(f"{server}/inbox?scope=available")
    assert inspector.locator("tr.work-complaint", has_text="代办员多次推诿不办").count() == 0
    inspector.goto(f"{server}/inbox?scope=done")
    assert inspector.locator("tr.work-complaint", has_text="代办员多次推诿不办").count() == 1
    # Another township's inspector never sees it.
    other = logged_in_page(browser, server, "discipline_inspector@t1")
    other.goto(f"{server}/inbox?scope=available")
    assert other.locator("tr.work-complaint", has_text="代办员多次推诿不办").count() == 0
