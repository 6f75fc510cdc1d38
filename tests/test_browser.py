"""Browser: a village agent logs in, opens an item and sees it in the case list, against a real
gunicorn server on 127.0.0.1 (migrated and loaded with the demo county, as the README's run command does)."""

from __future__ import annotations

import pytest

from .browser import shot

pytestmark = pytest.mark.browser


def test_village_agent_logs_in_opens_an_item_and_sees_it_in_the_list(server, browser):
    page = browser.new_page(viewport={"width": 412, "height": 915})  # a village agent's phone
    page.goto(server + "/login")
    page.fill("input[name=username]", "village_agent@t1-v1")
    page.fill("input[name=password]", "demo")
    page.click("button[type=submit]")
    page.wait_for_url(server + "/inbox")
    shot(page, "01-inbox-empty")

    page.click("text=新建代办")
    page.wait_for_url("**/cases/new")  # loaded, so htmx listens before the item is chosen
    page.select_option("select[name=catalog_code]", "house-building")
    page.wait_for_selector("#materials input[value='户口簿']")  # htmx loaded the checklist
    page.check("#materials input[value='户口簿']")
    page.fill("input[name=resident_name]", "孙桂兰")
    page.fill("input[name=resident_phone]", "13522223333")
    page.fill("textarea[name=summary]", "申请原址翻建住房")
    shot(page, "02-intake")
    page.click("button:has-text('受理')")
    page.wait_for_selector("text=回执编号")
    receipt = page.text_content("dl.summary dd").strip()
    assert receipt.startswith("DB")
    page.wait_for_selector("#diagram[data-ready='1']")
    assert page.locator("#diagram .djs-element.active").count() >= 1  # the live diagram marks the open step
    shot(page, "03-case")

    page.click("text=代办事项")
    page.wait_for_url("**/cases")  # the click only starts the navigation
    row = page.locator("table.list tr", has_text=receipt)
    row.first.wait_for()
    assert row.count() == 1 and "孙桂兰" in row.text_content() and "办理中" in row.text_content()
    shot(page, "04-case-list")
    page.goto(server + "/inbox")
    assert page.locator("table.list tr", has_text=receipt).count() == 1
    page.close()
