"""Browser: an analyst opens the live process in the modeler, sees a validation error on the offending
lane, changes a task's label, validates, saves and deploys; a new item shows the new label while an item
opened before keeps its version. Screenshots in test-artifacts/."""
from __future__ import annotations

import json
import urllib.request

import pytest

from .test_browser import _shot, browser, server  # noqa: F401  (the real server and Chromium)

pytestmark = pytest.mark.browser


def _api(base: str, method: str, path: str, user: str | None = None, body: dict | None = None) -> dict:
    headers = {"Content-Type": "application/json"}
    if user:
        headers["Authorization"] = "Bearer " + _api(base, "POST", "/api/v1/auth/token", None,
                                                    {"username": user, "password": "demo"})["token"]
    request = urllib.request.Request(base + path, method=method, headers=headers,
                                     data=json.dumps(body).encode() if body is not None else None)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _open_item(base: str) -> dict:
    return _api(base, "POST", "/api/v1/cases", "village_agent@t1-v1", {
        "catalog_code": "temporary-aid", "summary": "临时救助申请", "materials_provided": [],
        "resident": {"name": "王秀英", "phone": "13600001111", "village": "t1-v1"}})


def _set_name(page, element_id: str, name: str) -> None:
    """Select a diagram element and type its new name into the properties panel."""
    # Selecting by click is flaky on a small diagram (lanes nest in the pool, the palette floats over it),
    # so the test selects through bpmn-js's selection service and then types like a user.
    page.evaluate("""id => { const m = window.daibanModeler;
        m.get('selection').select(m.get('elementRegistry').get(id)); }""", element_id)
    field = page.locator("#bio-properties-panel-name")
    field.fill(name)
    field.press("Tab")


def test_analyst_relabels_a_task_validates_deploys_and_only_new_items_use_it(server, browser):
    before = _open_item(server)
    assert before["open_tasks"][0]["name"] == "受理登记"

    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(server + "/login")
    page.fill("input[name=username]", "analyst@qx")
    page.fill("input[name=password]", "demo")
    page.click("button[type=submit]")
    page.click("text=流程库")
    live_row = page.locator("#process-proxy_case tr.version-live")
    assert live_row.locator("td").nth(3).text_content().strip() != "0"  # running items on the live version
    _shot(page, "modeler-01-library")

    live_row.locator("a", has_text="打开").click()
    page.wait_for_selector("#canvas[data-ready='1']")
    assert page.locator(".djs-palette [title='创建任务']").count() == 1  # the Chinese palette
    _shot(page, "modeler-02-opened")

    # A lane that is no role: validation marks that lane on the diagram.
    _set_name(page, "lane_window", "janitor")
    page.click("#validate")
    page.wait_for_selector(".djs-element.invalid[data-element-id='lane_window']")
    assert "泳道不是已知的角色" in page.text_content("#problems")
    assert page.locator(".validation-note").count() >= 1
    _shot(page, "modeler-03-invalid-lane")
    _set_name(page, "lane_window", "county_window")

    _set_name(page, "accept_item", "受理登记(新)")
    page.click("#validate")
    page.wait_for_selector("#status.success")
    assert "校验通过" in page.text_content("#status")
    assert page.locator(".djs-element.invalid").count() == 0
    page.click("#save")
    page.wait_for_selector("#status:has-text('已保存为草稿版本')")
    page.click("#deploy")
    page.wait_for_selector("#status:has-text('已上线')")
    _shot(page, "modeler-04-deployed")

    after = _open_item(server)
    assert after["open_tasks"][0]["name"] == "受理登记(新)"
    kept = _api(server, "GET", f"/api/v1/cases/{before['id']}", "village_agent@t1-v1")
    assert kept["open_tasks"][0]["name"] == "受理登记"
    page.goto(server + "/modeler")
    versions = page.locator("#process-proxy_case tbody tr")
    assert versions.count() == 2 and "在用" in versions.nth(0).text_content()
    _shot(page, "modeler-05-library-after-deploy")
    page.close()
