"""Browser: a resident looks up an item on a phone and rates it; a supervisor reads the dashboard chart
and table and the overdue list (gunicorn on 127.0.0.1, Debian's Chromium; screenshots in test-artifacts/)."""

from __future__ import annotations

import pytest

from bench.driver import Driver, http_transport

from .browser import logged_in_page, shot

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def items(server):
    """Two items at Qingshi town: one replied and archived, one still open."""
    driver = Driver(http_transport(server))
    done = driver.open_case("village_agent@t1-v1", "other-inquiry", "t1-v1", phone="13511112222")
    driver.run_to_end(done)
    running = driver.open_case("village_agent@t1-v2", "temporary-aid", "t1-v2", phone="13733334444")
    return {"done": done["receipt_code"], "running": running["receipt_code"]}


def _lookup(page, receipt: str, last4: str) -> None:
    page.fill("input[name=receipt]", receipt)
    page.fill("input[name=phone_last4]", last4)
    page.click("form.lookup button[type=submit]")


def test_resident_looks_up_progress_and_rates_the_reply(server, browser, items):
    page = browser.new_page(viewport={"width": 412, "height": 915})
    page.goto(server + "/public/")
    assert page.locator("details#item-house-building").count() == 1
    shot(page, "10-portal-catalog")
    page.click("text=查询办理进度")
    _lookup(page, items["running"], "4445")  # a wrong suffix
    page.wait_for_selector("text=没有与该回执编号和手机号相符的事项")
    assert page.locator(".result").count() == 0
    _lookup(page, items["running"], "4444")
    page.wait_for_selector(".result")
    assert page.text_content(".plain-status").strip() == "正在办理" and "受理登记" in page.text_content(".step")
    assert "13733334444" not in page.content() and "张三" not in page.content()
    shot(page, "11-portal-progress")
    page.goto(server + "/public/progress")
    _lookup(page, items["done"], "2222")
    page.check("input[value=basically_satisfied]")
    page.fill("textarea[name=comment]", "办得快")
    shot(page, "12-portal-rating")
    page.click("form.rating button[type=submit]")
    page.wait_for_selector("text=感谢您对代办事项的评价")
    page.close()


def test_supervisor_reads_the_dashboard_chart_table_and_overdue_list(server, browser, items):
    page = logged_in_page(browser, server, "supervisor@qx", 1280, 900)
    page.click("text=督查考核")
    page.wait_for_selector(".chart[data-ready='1'] svg")  # ECharts drew the chart from the local copy
    assert page.text_content("#fig-opened").strip() == "2"
    row = page.locator("table.figures-table tr", has_text="青石镇")
    assert row.count() == 1 and "50.0%" in row.text_content()  # one of two items closed
    shot(page, "13-supervision-dashboard")
    page.click("nav.tabs >> text=任务量与星级")
    page.wait_for_selector("table.quotas")
    shot(page, "14-supervision-quotas")
    page.click("nav.tabs >> text=月度报告")
    page.wait_for_selector("article.report")
    page.emulate_media(media="print")
    assert not page.locator("form.filters").is_visible()  # the printed page is the report alone
    shot(page, "15-supervision-monthly-print")
    page.close()
