"""Browser, issue 16's done-when: each person sees what the earlier steps typed, the answer reaches the
resident, a return shows its reason, a refusal its reason and where to go, a 差评 opens a rectification
(整改) the supervisor and the township's discipline committee see and close after a call-back, and no
page of any role shows a code, in zh-CN or English (gunicorn on 127.0.0.1, SQLite, Debian's Chromium;
screenshots in test-artifacts/). The walks act in the browser where a person types something later
steps must show; steps in between go through the API driver."""

from __future__ import annotations

import re

import pytest

from bench.driver import Driver, http_transport
from engine.kernel.vocabulary import VOCABULARIES
from engine.library.catalog import categories

from .browser import logged_in_page, shot

pytestmark = pytest.mark.browser
PHONE = {"width": 412, "height": 915}
HOUSE = "house-building"


@pytest.fixture(scope="module")
def driver(server):
    return Driver(http_transport(server))


def _login(browser, server, username, viewport=None):
    size = viewport or {"width": 1280, "height": 900}
    return logged_in_page(browser, server, username, size["width"], size["height"])


def _case(driver, receipt: str, user: str) -> dict:
    [found] = driver.call("GET", f"/api/v1/cases?q={receipt}", user)["items"]
    return driver.call("GET", f"/api/v1/cases/{found['id']}", user)


def _task_page(page, server, driver, receipt: str, step: str, user: str, unit: str | None = None):
    """Open the item's open step `step` (at `unit`) on its task page."""
    case = _case(driver, receipt, user)
    task = next(t for t in case["open_tasks"] if t["task"] == step and unit in (None, t["org_unit"]))
    page.goto(f"{server}/tasks/{task['id']}")
    page.wait_for_selector("form.taskform")
    return case


def _complete(page):
    page.click("form.taskform button.primary")
    page.wait_for_selector(".flash.success")


def _panel(page) -> str:
    return page.text_content("#case-panel")


def _open_item(browser, server, village, item, name, materials=1):
    page = _login(browser, server, f"village_agent@{village}", PHONE)
    page.click("text=新建代办")
    page.wait_for_url("**/cases/new")
    page.select_option("select[name=catalog_code]", item)
    page.wait_for_selector("#materials input[type=checkbox]")
    boxes = page.locator("#materials input[type=checkbox]")
    for i in range(min(materials, boxes.count())):
        boxes.nth(i).check()
    page.fill("input[name=resident_name]", name)
    page.fill("input[name=resident_phone]", "13512345678")
    page.fill("textarea[name=summary]", "申请翻建自住房")
    page.click("button:has-text('受理')")
    page.wait_for_selector("text=回执编号")
    return page, page.text_content("dl.summary dd").strip()


def test_the_joint_item_with_materials_supplied_later_and_a_poor_rating_rectified_after_a_call_back(
    server, browser, driver
):
    agent, receipt = _open_item(browser, server, "t1-v3", HOUSE, "孙大爷", materials=1)
    owner = "village_agent@t1-v3"
    # Materials missing, no promise: the one-time notice, then the agent records what the resident brings.
    _task_page(agent, server, driver, receipt, "accept_item", owner)
    agent.check("input[name=commission_signed]")
    agent.fill("textarea[name=note]", "设计图下周送来")
    _complete(agent)
    _task_page(agent, server, driver, receipt, "record_materials", owner)
    supplied = agent.locator("input[name=materials_supplied]")
    for i in range(supplied.count()):
        supplied.nth(i).check()
    _complete(agent)

    reception = _login(browser, server, "township_reception@t1")
    _task_page(reception, server, driver, receipt, "township_review", "township_reception@t1")
    panel = _panel(reception)
    assert "设计图下周送来" in panel and "已补交" in panel and "孙大爷" in reception.content()
    reception.fill("textarea[name=opinion]", "材料已补齐,报县审批")
    shot(reception, "70-township-sees-the-supplied-materials")
    _complete(reception)

    case = _case(driver, receipt, owner)
    case, _ = driver.run_to_end(case, until="handle_in_department")
    departments = {t["org_unit"] for t in case["open_tasks"] if t["task"] == "handle_in_department"}
    assert departments == {"qx-zrzy", "qx-nync", "qx-zjj"}
    agent.goto(f"{server}/cases/{case['id']}")
    now_at = agent.text_content("dd.now-at")
    assert all(name in now_at for name in ("县自然资源局", "县农业农村局", "县住房和城乡建设局")), now_at

    nync = _login(browser, server, "department_handler@qx-nync")
    _task_page(nync, server, driver, receipt, "handle_in_department", "department_handler@qx-nync", "qx-nync")
    panel = _panel(nync)
    assert "材料已补齐,报县审批" in panel and "设计图下周送来" in panel and "县自然资源局" in panel
    nync.check("input[name=approved]")
    nync.fill("textarea[name=opinion]", "同意,宅基地符合规划")
    _complete(nync)
    case = _case(driver, receipt, owner)
    case, _ = driver.run_to_end(case, until="consolidate")

    lead = _login(browser, server, "department_handler@qx-zrzy")
    _task_page(lead, server, driver, receipt, "consolidate", "department_handler@qx-zrzy")
    assert "同意,宅基地符合规划" in lead.content() and "县农业农村局" in lead.content()
    lead.check("input[name=approved]")
    lead.fill("textarea[name=answer]", "准予建房,请按批准的图纸施工")
    _complete(lead)
    case = _case(driver, receipt, owner)
    case, _ = driver.run_to_end(case, until="reply_resident")

    _task_page(agent, server, driver, receipt, "reply_resident", owner)
    assert "准予建房,请按批准的图纸施工" in agent.content()
    agent.check("input[name=result_explained]")
    agent.check("input[name=rating][value=satisfied]")
    _complete(agent)

    resident = browser.new_page(viewport=PHONE)
    resident.goto(server + "/public/progress")
    resident.fill("input[name=receipt]", receipt)
    resident.fill("input[name=phone_last4]", "5678")
    resident.click("form.lookup button[type=submit]")
    resident.wait_for_selector(".result")
    assert "准予建房,请按批准的图纸施工" in resident.text_content(".result")
    resident.check("input[value=very_dissatisfied]")
    resident.fill("textarea[name=comment]", "审批拖了一个多月")
    resident.click("form.rating button[type=submit]")
    resident.wait_for_selector("text=感谢您对代办事项的评价")
    resident.close()

    supervisor = _login(browser, server, "supervisor@qx")
    supervisor.click("nav >> text=差评整改")
    row = supervisor.locator("table.rectifications tr", has_text=receipt)
    assert row.count() == 1 and "非常不满意" in row.text_content() and "县自然资源局" in row.text_content()
    shot(supervisor, "71-supervisor-sees-the-rectification")
    row.locator("a").click()
    assert "审批拖了一个多月" in supervisor.text_content("section.rectification")
    rectification_url = supervisor.url
    supervisor.goto(server + "/supervision/")
    filters = supervisor.text_content("form.filters")
    assert "开始日期" in filters and "结束日期" in filters and "交出方" not in filters

    inspector = _login(browser, server, "discipline_inspector@t1")
    inspector.goto(rectification_url)
    inspector.click("form.close-form button")  # the call-back result is required: nothing happens
    assert inspector.locator("form.close-form").count() == 1
    inspector.fill("textarea[name=callback_result]", "已回访,群众认可整改,证已领取")
    inspector.click("form.close-form button")
    inspector.wait_for_selector(".flash.success")
    assert "已整改并回访" in inspector.text_content("dd.status")
    shot(inspector, "72-discipline-committee-closed-the-rectification")

    lead.goto(rectification_url)
    assert "已回访,群众认可整改,证已领取" in lead.text_content("dd.callback-result")
    agent.goto(f"{server}/cases/{case['id']}")
    assert "非常不满意" in agent.text_content("dd.resident-rating")
    assert "满意" in agent.text_content("dd.agent-rating")


def test_a_return_shows_its_reason_and_a_refusal_its_reason_and_where_to_go(server, browser, driver):
    case = driver.open_case("village_agent@t2-v2", "temporary-aid", "t2-v2", name="吴大姐")
    case, _ = driver.run_to_end(case, until="township_review")
    receipt = case["receipt_code"]
    reception = _login(browser, server, "township_reception@t2")
    _task_page(reception, server, driver, receipt, "township_review", "township_reception@t2")
    reception.click("text=更多操作")
    reception.fill("form[action$='/return'] input[name=reason]", "申请书缺本人签字")
    reception.click("form[action$='/return'] button")
    reception.wait_for_selector(".flash.success")

    agent = _login(browser, server, "village_agent@t2-v2")
    agent.goto(server + "/inbox")
    row = agent.locator("table.list tr", has_text=receipt)
    assert "已退回" in row.text_content() and "申请书缺本人签字" in row.inner_html()
    row.locator("a:text-is('受理登记')").click()
    agent.wait_for_selector("form.taskform")
    body = agent.content()
    assert body.index("申请书缺本人签字") < body.index('class="taskform"')

    refused = driver.open_case("village_agent@t2-v2", "temporary-aid", "t2-v2", phone="13566667777", name="郑大哥")
    _task_page(agent, server, driver, refused["receipt_code"], "accept_item", "village_agent@t2-v2")
    agent.check("input[name=acceptance][value=refuse]")
    agent.check("input[name=commission_signed]")
    agent.fill("textarea[name=reason]", "户籍不在本村,不属代办范围")
    agent.fill("textarea[name=where_to_go]", "请到户籍所在地乡镇民政办申请")
    _complete(agent)
    agent.goto(f"{server}/cases/{refused['id']}")
    assert "户籍不在本村,不属代办范围" in agent.content() and "请到户籍所在地乡镇民政办申请" in agent.content()
    agent.click("text=不予受理告知书")
    agent.wait_for_selector("text=户籍不在本村,不属代办范围")

    resident = browser.new_page(viewport=PHONE)
    resident.goto(server + "/public/progress")
    resident.fill("input[name=receipt]", refused["receipt_code"])
    resident.fill("input[name=phone_last4]", "7777")
    resident.click("form.lookup button[type=submit]")
    resident.wait_for_selector(".result")
    text = resident.text_content(".result")
    assert "户籍不在本村,不属代办范围" in text and "请到户籍所在地乡镇民政办申请" in text
    resident.close()


# Every role of the demo county, with the main pages its top bar and the supervision tabs lead to.
ROLES = [
    "village_agent@t1-v3",
    "township_reception@t1",
    "station_handler@t1-mzs",
    "township_agent@t1",
    "county_window@qx-window",
    "department_handler@qx-zrzy",
    "discipline_inspector@t1",
    "supervisor@qx",
    "analyst@qx",
    "leader@qx",
    "admin",
]
USERNAME = re.compile(r"\S+@[\w.-]+")  # accounts are shown by their names; strip any username shown


def _codes(session_units: list[str]) -> tuple[set[str], set[str]]:
    """(codes never to appear in any language, one-word codes never to appear in Chinese pages)."""
    always, chinese = set(session_units), set()
    for vocabulary in VOCABULARIES.values():
        for code in vocabulary.codes():
            (always if re.search(r"[_-]", code) else chinese).add(code)
    always |= {c for c in categories() if re.search(r"[_-]", c)}
    return always, chinese


def _visible(page, user: str) -> str:
    """The page's visible text without account names (people are shown by name; a username is theirs)."""
    return USERNAME.sub(" ", page.inner_text("body")).replace(user, " ")


SUPERVISION = ["/supervision/", "/rectifications/?status=closed"]


def _links(page, selector: str) -> set[str]:
    found = page.eval_on_selector_all(selector, "els => els.map(e => e.getAttribute('href'))")
    return {a for a in found if a and a.startswith("/") and not a.startswith("/public") and "logout" not in a}


def test_no_page_of_any_role_shows_a_code_in_either_language(server, browser, driver):
    units = {u["code"] for u in driver.call("GET", "/api/v1/org/units", "admin") if "-" in u["code"]}
    always, chinese = _codes(sorted(units))
    found: dict[str, set[str]] = {}
    visited = 0
    for user in ROLES:
        page = _login(browser, server, user)
        links = _links(page, "header nav a, nav.tabs a") | {"/inbox", "/cases", "/notifications"}
        for start in SUPERVISION:  # the supervision tabs, for whoever may open them
            response = page.goto(server + start)
            if response is not None and response.status == 200:
                links |= {start} | _links(page, "nav.tabs a")
        page.goto(server + "/cases")
        cases = [h for h in _links(page, "table.list a") if re.fullmatch(r"/cases/\d+", h)]
        for lang in ("zh_CN", "en"):
            page.goto(f"{server}/inbox?lang={lang}")
            tasks = sorted(h for h in _links(page, "table.list a") if h.startswith("/tasks/"))[:1]
            for link in sorted(links | set(tasks) | set(cases[:2])):
                response = page.goto(server + link)
                if response is None or response.status != 200:
                    continue
                visited += 1
                words = set(re.findall(r"[A-Za-z0-9_@.-]+", _visible(page, user)))
                # Administrators manage units by their codes: the org tree may show them, nothing else.
                leaked = {c for c in always - (units if link.startswith("/admin") else set()) if c in words}
                if lang == "zh_CN":
                    leaked |= {c for c in chinese if c in words}
                if leaked:
                    found[f"{user} {lang} {link}"] = leaked
        page.close()
    assert visited > 100
    assert found == {}, "\n".join(f"{k}: {sorted(v)}" for k, v in sorted(found.items()))
