"""Browser: work reaching people, against a real gunicorn server with Debian's Chromium. The village
agent hands an item over; the township receptionist's bell counts it, the notifications page leads to
the task; the agent urges it from the task page (已催办 ×1) and the receptionist copies the item to a
colleague of another township, who reads it under 抄送我的 without any action. Screenshots in
test-artifacts/."""

from __future__ import annotations

import pytest

from .browser import logged_in_page, shot

pytestmark = pytest.mark.browser


def _bell(page) -> int:
    return int(page.get_attribute("a.bell .count", "data-unread"))


def test_bell_urge_and_copy_in_the_browser(server, browser):
    agent = logged_in_page(browser, server, "village_agent@t1-v2")
    agent.click("text=新建代办")
    agent.wait_for_url("**/cases/new")
    agent.select_option("select[name=catalog_code]", "house-building")
    agent.wait_for_selector("#materials input[type=checkbox]")
    boxes = agent.locator("#materials input[type=checkbox]")
    for i in range(boxes.count()):  # the resident brought every material: acceptance may call them complete
        boxes.nth(i).check()
    agent.fill("input[name=resident_name]", "吴春兰")
    agent.fill("input[name=resident_phone]", "13512340000")
    agent.fill("textarea[name=summary]", "申请办理")
    agent.click("button:has-text('受理')")
    agent.wait_for_selector("text=回执编号")
    receipt = agent.text_content("dl.summary dd").strip()
    agent.goto(f"{server}/inbox?scope=available")
    agent.locator("table.list tr", has_text=receipt).locator("a:text-is('受理登记')").click()
    agent.wait_for_selector("form.taskform")
    agent.check("input[name=materials_complete]")
    agent.check("input[name=commission_signed]")
    agent.click("form.taskform button.primary")
    agent.wait_for_selector(".flash.success")

    reception = logged_in_page(browser, server, "township_reception@t1")
    assert _bell(reception) >= 1
    reception.click("a.bell")
    reception.wait_for_url("**/notifications**")
    row = reception.locator("table.notifications tr.unread", has_text=receipt)
    assert "新待办" in row.text_content()
    shot(reception, "60-notifications")
    row.locator("a").click()
    reception.wait_for_selector("form.taskform")
    task_url = reception.url

    agent.goto(task_url)
    agent.fill("form.urge-form input[name=note]", "群众急用,请尽快")
    agent.click("form.urge-form button")
    agent.wait_for_selector(".flash.success")
    assert "已催办 ×1" in agent.text_content("p.urged")
    shot(agent, "61-urged-task")
    reception.goto(f"{server}/notifications?show=unread")
    assert "群众急用,请尽快" in reception.text_content("table.notifications")

    reception.goto(task_url)
    reception.locator("a[href^='/cases/']").last.click()
    reception.wait_for_selector("form.cc-form")
    case_url = reception.url
    reception.fill("form.cc-form input[name=usernames]", "village_agent@t2-v1")
    reception.fill("form.cc-form input[name=note]", "请参考办理")
    reception.click("form.cc-form button")
    reception.wait_for_selector(".flash.success")
    assert "village_agent@t2-v1" in reception.text_content("ul.readers")
    shot(reception, "62-case-copied")

    reader = logged_in_page(browser, server, "village_agent@t2-v1")
    assert _bell(reader) >= 1
    reader.click("a.tab-copied")
    reader.wait_for_url("**/copied")
    reader.locator("table.copied a", has_text=receipt).click()
    reader.wait_for_url(case_url)
    assert reader.locator("form.cc-form").count() == 0 and receipt in reader.content()
    shot(reader, "63-copied-case-read-only")
    reader.goto(task_url)
    assert reader.locator("form.taskform").count() == 0 and reader.locator("form.urge-form").count() == 0
