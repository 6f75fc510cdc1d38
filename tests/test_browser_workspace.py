"""Browser: the staff workspace against a real gunicorn server with Debian's Chromium.

A house-building item goes village agent → township reception → county window (bulk
dispatch, written progress notice) → three departments → lead consolidates → window batch for the township's
office day → printed hand-over sheet → township agent confirms receipt. Then 撤回 and 退回
change the case as expected, and a user of another unit never sees the item.
Each page visited is saved as a screenshot in test-artifacts/.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from .browser import logged_in_page, shot

pytestmark = pytest.mark.browser
PHONE = {"width": 412, "height": 915}


def _login(browser, server, username, viewport=None):
    """Each user in a browser context of their own (Browser.new_page makes one)."""
    size = viewport or {"width": 1280, "height": 900}
    return logged_in_page(browser, server, username, size["width"], size["height"])


def _open_task(page, server, step, receipt, scope="available", ready="form.taskform"):
    page.goto(f"{server}/inbox?scope={scope}")
    page.locator("table.list tr", has_text=receipt).locator(f"a:text-is('{step}')").click()
    page.wait_for_selector(ready)


def _complete(page):
    page.click("form.taskform button.primary")
    page.wait_for_selector(".flash.success")


def _open_item(browser, server, village, item, name, screenshot=None, every_material=False):
    page = _login(browser, server, f"village_agent@{village}", PHONE)
    page.click("text=新建代办")
    page.wait_for_url("**/cases/new")  # loaded, so htmx listens before the item is chosen
    page.select_option("select[name=catalog_code]", item)
    page.wait_for_selector("#materials input[type=checkbox]")
    boxes = page.locator("#materials input[type=checkbox]")
    for i in range(boxes.count() if every_material else 1):
        boxes.nth(i).check()
    page.fill("input[name=resident_name]", name)
    page.fill("input[name=resident_phone]", "13512345678")
    page.fill("textarea[name=summary]", "申请办理")
    page.click("button:has-text('受理')")
    page.wait_for_selector("text=回执编号")
    receipt = page.text_content("dl.summary dd").strip()
    if screenshot:
        shot(page, screenshot)
    return page, receipt


def test_a_joint_item_travels_through_every_staff_page_and_back_in_a_window_batch(server, browser):
    agent, receipt = _open_item(browser, server, "t1-v1", "house-building", "钱大伯", "10-village-case")
    assert "缺" in agent.text_content("#materials-checklist")
    agent.click("text=委托单")
    agent.wait_for_selector("text=群众事务代办委托单")
    shot(agent, "11-village-commission-form")
    _open_task(agent, server, "受理登记", receipt)
    shot(agent, "12-village-task")
    # Materials are missing: the agent accepts with materials to follow (容缺受理), naming them all and a date.
    agent.check("input[name=tolerated]")
    missing = agent.locator("input[name=tolerated_materials]")
    for i in range(missing.count()):
        missing.nth(i).check()
    agent.fill("input[name=promised_by]", (date.today() + timedelta(days=10)).isoformat())
    agent.check("input[name=commission_signed]")
    _complete(agent)
    shot(agent, "13-village-inbox")

    reception = _login(browser, server, "township_reception@t1")
    _open_task(reception, server, "乡镇中心受理", receipt)
    reception.fill("textarea[name=opinion]", "材料齐全,报县")
    shot(reception, "20-township-reception-task")
    _complete(reception)

    window = _login(browser, server, "county_window@qx-window")
    window.click("nav >> text=县代办窗口")
    assert window.locator("table.list tr", has_text=receipt).count() == 1
    assert "县自然资源局" in window.text_content("ul.totals")
    shot(window, "30-window-incoming")
    window.click("button:has-text('分送各部门')")
    window.wait_for_selector(".flash")
    assert "已分送1件" in window.text_content(".flash")
    window.click("text=部门在办")
    assert window.locator("section.card", has_text="县农业农村局").locator("tr", has_text=receipt).count() == 1
    shot(window, "31-window-tracking")
    # The written progress notice owed to the resident (5 working days) is the window's too.
    _open_task(window, server, "书面告知办理进度", receipt)
    window.fill("textarea[name=status_notice]", "已报县自然资源局等三部门联合审批,预计下月办结")
    shot(window, "34-window-status-notice")
    _complete(window)
    window.click("nav >> text=县代办窗口")

    departments = {}
    for code in ("qx-zrzy", "qx-nync", "qx-zjj"):
        department = departments[code] = _login(browser, server, f"department_handler@{code}")
        _open_task(department, server, "部门办理", receipt)
        department.check("input[name=approved]")
        department.fill("textarea[name=opinion]", f"{code} 同意")
        if code == "qx-zrzy":
            shot(department, "40-department-task")
        _complete(department)
    lead = departments["qx-zrzy"]  # the first department leads
    _open_task(lead, server, "牵头部门汇总", receipt)
    assert "qx-zjj" in lead.text_content("body")  # every department's answer reaches the lead
    lead.check("input[name=approved]")
    lead.fill("textarea[name=answer]", "同意建房")
    shot(lead, "41-department-consolidate")
    _complete(lead)

    window.click("text=回送批次")
    township = window.locator("section.card", has_text=receipt)
    township.locator("button.primary").click()
    window.wait_for_selector("text=打印交接单")
    shot(window, "32-window-batch")
    batch_url = window.url
    window.click("text=打印交接单")
    window.wait_for_selector("text=代办件交接单")
    assert receipt in window.text_content("table.items")
    shot(window, "33-window-handover-sheet")

    township_agent = _login(browser, server, "township_agent@t1")
    township_agent.click("nav >> text=交接批次")
    township_agent.click(f"a[href='{batch_url.replace(server, '')}']")
    township_agent.click("button:has-text('确认接收')")
    township_agent.wait_for_selector(".flash.success")
    assert township_agent.text_content(".batch-status").strip() == "已接收"
    shot(township_agent, "50-township-agent-receipt")

    reception.goto(server + "/inbox")
    assert reception.locator("table.list tr", has_text=receipt).locator("text=乡镇接收结果").count() == 1
    shot(reception, "21-township-reception-result")
    reception.goto(server + "/cases")
    reception.click(f"text={receipt}")
    reception.wait_for_selector("#diagram[data-ready='1']")
    assert reception.locator("#diagram .djs-element.completed").count() >= 5
    assert "乡级代办员签收" in reception.text_content("ol.timeline")
    shot(reception, "22-township-case-page")


def test_withdraw_and_return_change_the_case_and_other_units_never_see_it(server, browser):
    agent, receipt = _open_item(browser, server, "t2-v1", "temporary-aid", "郑阿姨", every_material=True)
    case_url = agent.url
    _open_task(agent, server, "受理登记", receipt)
    agent.check("input[name=materials_complete]")
    agent.check("input[name=commission_signed]")
    _complete(agent)
    _open_task(agent, server, "受理登记", receipt, scope="done", ready="form[action$='/withdraw']")
    agent.fill("input[name=reason]", "补录受理意见")
    agent.click("button:has-text('撤回')")
    agent.wait_for_selector(".flash.success")
    agent.goto(server + "/inbox?scope=mine")
    assert agent.locator("table.list tr", has_text=receipt).count() == 1
    shot(agent, "60-village-withdrawn")
    _open_task(agent, server, "受理登记", receipt, scope="mine")
    agent.check("input[name=materials_complete]")
    agent.check("input[name=commission_signed]")
    _complete(agent)

    reception = _login(browser, server, "township_reception@t2")
    _open_task(reception, server, "乡镇中心受理", receipt)
    reception.click("text=更多操作")
    reception.fill("form[action$='/return'] input[name=reason]", "缺困难情况证明材料")
    shot(reception, "61-township-return")
    reception.click("form[action$='/return'] button")
    reception.wait_for_selector(".flash.success")

    agent.goto(case_url)
    timeline = agent.text_content("ol.timeline")
    assert "乡镇中心受理 → 受理登记" in timeline and "缺困难情况证明材料" in timeline and "撤回" in timeline
    assert agent.locator("text=受理登记").count() >= 1
    shot(agent, "62-village-case-after-return")

    stranger = _login(browser, server, "village_agent@t1-v2")
    response = stranger.goto(case_url)
    assert response.status == 404
    stranger.goto(server + "/inbox?scope=available&village=t2-v1")
    assert stranger.locator("table.list tr", has_text=receipt).count() == 0
    response = stranger.goto(case_url + "/print/commission")
    assert response.status == 404
    shot(stranger, "63-other-unit-sees-nothing")
    assert re.match(r"DB\d{6}", receipt)
