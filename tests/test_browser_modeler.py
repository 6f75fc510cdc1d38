"""Browser: an analyst opens the live process in the modeler, sees a validation error on the offending
lane, changes a task's label, validates, saves and deploys; a new item shows the new label while an item
opened before keeps its version. The Daiban fields set a task's form and time limit the same way, and the
SpiffWorkflow extension elements survive import and export. Screenshots in test-artifacts/."""

from __future__ import annotations

import json
import re
import urllib.request
from datetime import datetime

import pytest
from lxml import etree
from playwright.sync_api import expect

from engine.kernel.settings import BPMN_DIR

from .browser import logged_in_page, shot

pytestmark = pytest.mark.browser


def _api(base: str, method: str, path: str, user: str | None = None, body: dict | None = None) -> dict:
    headers = {"Content-Type": "application/json"}
    if user:
        headers["Authorization"] = (
            "Bearer " + _api(base, "POST", "/api/v1/auth/token", None, {"username": user, "password": "demo"})["token"]
        )
    request = urllib.request.Request(
        base + path, method=method, headers=headers, data=json.dumps(body).encode() if body is not None else None
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _file(base: str, key: str, version: int) -> str:
    token = _api(base, "POST", "/api/v1/auth/token", None, {"username": "analyst@qx", "password": "demo"})["token"]
    request = urllib.request.Request(
        f"{base}/api/v1/processes/{key}/versions/{version}/file", headers={"Authorization": "Bearer " + token}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read().decode()


def _open_item(base: str) -> dict:
    return _api(
        base,
        "POST",
        "/api/v1/cases",
        "village_agent@t1-v1",
        {
            "catalog_code": "temporary-aid",
            "summary": "临时救助申请",
            "materials_provided": [],
            "resident": {"name": "王秀英", "phone": "13600001111", "village": "t1-v1"},
        },
    )


def _set_name(page, element_id: str, name: str) -> None:
    """Select a diagram element and type its new name into the properties panel."""
    # Selecting by click is flaky on a small diagram (lanes nest in the pool, the palette floats over it),
    # so the test selects through bpmn-js's selection service and then types like a user.
    page.evaluate(
        """id => { const m = window.daibanModeler;
        m.get('selection').select(m.get('elementRegistry').get(id)); }""",
        element_id,
    )
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
    shot(page, "modeler-01-library")

    live_row.locator("a", has_text="打开").click()
    page.wait_for_selector("#canvas[data-ready='1']")
    assert page.locator(".djs-palette [title='创建任务']").count() == 1  # the Chinese palette
    shot(page, "modeler-02-opened")

    # A lane that is no role: validation marks that lane on the diagram.
    _set_name(page, "lane_window", "janitor")
    page.click("#validate")
    page.wait_for_selector(".djs-element.invalid[data-element-id='lane_window']")
    assert "泳道不是已知的角色" in page.text_content("#problems")
    assert page.locator(".validation-note").count() >= 1
    shot(page, "modeler-03-invalid-lane")
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
    shot(page, "modeler-04-deployed")

    after = _open_item(server)
    assert after["open_tasks"][0]["name"] == "受理登记(新)"
    kept = _api(server, "GET", f"/api/v1/cases/{before['id']}", "village_agent@t1-v1")
    assert kept["open_tasks"][0]["name"] == "受理登记"
    page.goto(server + "/modeler")
    versions = page.locator("#process-proxy_case tbody tr")
    assert versions.count() == 2 and "在用" in versions.nth(0).text_content()
    shot(page, "modeler-05-library-after-deploy")
    page.close()


SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"


def _spiff_elements(xml: str) -> list[tuple]:
    """Every spiffworkflow element: (owning element id, tag, attributes, text), in document order."""
    root = etree.fromstring(xml.encode())
    found = []
    for node in root.iter(f"{SPIFF}*"):
        owner = node
        while owner.get("id") is None or owner.tag.startswith(SPIFF):
            owner = owner.getparent()
        found.append((owner.get("id"), etree.QName(node).localname, dict(node.attrib), (node.text or "").strip()))
    return found


def _open_live(page, server: str, key: str = "proxy_case") -> None:
    page.goto(server + "/modeler")
    page.locator(f"#process-{key} tr.version-live a", has_text="打开").click()
    page.wait_for_selector("#canvas[data-ready='1']")


def _select(page, element_id: str) -> None:
    page.evaluate(
        """id => { const m = window.daibanModeler;
        m.get('selection').select(m.get('elementRegistry').get(id)); }""",
        element_id,
    )
    page.wait_for_selector("[data-group-id='group-daiban']")


def _property(page, element_id: str, name: str) -> str:
    """What the diagram itself holds (not what a field shows)."""
    return page.evaluate(
        """([id, name]) => { const m = window.daibanModeler;
        return m.get('spiffExtensions').property(m.get('elementRegistry').get(id), name); }""",
        [element_id, name],
    )


def _exported(page) -> str:
    return page.evaluate("async () => (await window.daibanModeler.saveXML({ format: true })).xml")


@pytest.mark.parametrize("key", ["proxy_case", "catalog_approval"])
def test_the_modeler_keeps_every_spiffworkflow_element_from_import_to_export(server, browser, key):
    page = logged_in_page(browser, server, "analyst@qx", 1400, 900)
    _open_live(page, server, key)
    assert page.text_content("#problems").strip() == ""  # nothing the modeler could not read
    original = (BPMN_DIR / f"{key}.bpmn").read_text(encoding="utf-8")
    assert _spiff_elements(original)
    assert _spiff_elements(_exported(page)) == _spiff_elements(original)
    page.close()


def test_analyst_sets_a_tasks_form_and_time_limit_in_the_daiban_fields_and_new_items_get_them(server, browser):
    page = logged_in_page(browser, server, "analyst@qx", 1400, 1000)
    _open_live(page, server)

    # A diagram from elsewhere names a form the library does not have: the field says so and
    # validation marks that task.
    stale = _exported(page).replace('value="record_materials.json"', 'value="gone.json"')
    page.set_input_files(
        "#import", files=[{"name": "proxy_case.bpmn", "mimeType": "application/xml", "buffer": stale.encode()}]
    )
    page.wait_for_function(
        "() => window.daibanModeler.get('elementRegistry').get('record_materials') && "
        "document.querySelector('#problems').children.length === 0"
    )
    _select(page, "record_materials")
    form = page.locator("#bio-properties-panel-daiban-form")
    expect(form.locator("option:checked")).to_contain_text("gone.json（不在表单库中）")
    page.click("#validate")
    page.wait_for_selector(".djs-element.invalid[data-element-id='record_materials']")
    assert "表单不在表单库中" in page.text_content("#problems")
    shot(page, "modeler-06-missing-form")
    form.select_option("record_materials.json")
    assert _property(page, "record_materials", "formJsonSchemaFilename") == "record_materials.json"

    # The first task: a time limit that is no whole number of days is refused in the field itself.
    _select(page, "accept_item")
    days = page.locator("#bio-properties-panel-daiban-time-limit")
    assert days.input_value() == "0"
    days.fill("-1")
    days.press("Tab")
    error = page.locator("[data-entry-id='daiban-time-limit'] .bio-properties-panel-error")
    assert error.text_content() == "时限不是非负整数个工作日"
    assert _property(page, "accept_item", "time_limit_days") == "0"  # not written into the diagram
    days.fill("3")
    days.press("Tab")
    page.wait_for_function(
        "() => !document.querySelector(\"[data-entry-id='daiban-time-limit'] .bio-properties-panel-error\")"
    )
    assert _property(page, "accept_item", "time_limit_days") == "3"
    page.locator("#bio-properties-panel-daiban-form").select_option("delay_explanation.json")
    assert _property(page, "accept_item", "formJsonSchemaFilename") == "delay_explanation.json"
    # Each edit is one command: undo brings the form back, redo takes it again.
    page.evaluate("() => window.daibanModeler.get('commandStack').undo()")
    assert _property(page, "accept_item", "formJsonSchemaFilename") == "accept_item.json"
    assert _property(page, "accept_item", "time_limit_days") == "3"
    page.evaluate("() => window.daibanModeler.get('commandStack').redo()")
    # The panel re-renders after the command: wait for it rather than read it at once.
    expect(page.locator("#bio-properties-panel-daiban-form option:checked")).to_have_text(
        re.compile(r"\(delay_explanation\.json\)$")
    )
    shot(page, "modeler-07-daiban-fields")

    # A condition on a gateway's flow is an expression in a text box; the default flow says it needs none.
    _select(page, "f_village_done")
    condition = page.locator("#bio-properties-panel-daiban-condition")
    assert condition.input_value() == 'level == "village"'
    condition.fill('level == "village" or False')
    condition.press("Tab")
    page.wait_for_function(
        "() => window.daibanModeler.get('elementRegistry').get('f_village_done')"
        ".businessObject.conditionExpression.body.endsWith('or False')"
    )
    _select(page, "f_to_township")
    assert "默认路径" in page.text_content("[data-entry-id='daiban-condition']")

    # The window's progress notice runs beside the main path; ticking the box on another task writes it.
    _select(page, "status_notice")
    expect(page.locator("#bio-properties-panel-daiban-alongside")).to_be_checked()
    _select(page, "accept_item")
    page.locator("#bio-properties-panel-daiban-alongside").check()
    assert _property(page, "accept_item", "alongside") == "true"
    page.evaluate("() => window.daibanModeler.get('commandStack').undo()")
    assert not _property(page, "accept_item", "alongside")

    # 容缺受理 and 补交 are Daiban fields too: the field claiming the materials complete (a bad name is
    # refused in the field) and the field whose materials are added to the record; undo takes an edit back.
    check = page.locator("#bio-properties-panel-daiban-materials-check")
    assert check.input_value() == "materials_complete"
    check.fill("1 materials")
    check.press("Tab")
    error = page.locator("[data-entry-id='daiban-materials-check'] .bio-properties-panel-error")
    assert error.text_content() == "不是合法的变量名"
    assert _property(page, "accept_item", "materials_check") == "materials_complete"  # not written
    check.fill("materials_all_here")
    check.press("Tab")
    page.wait_for_function(
        "() => !document.querySelector(\"[data-entry-id='daiban-materials-check'] .bio-properties-panel-error\")"
    )
    assert _property(page, "accept_item", "materials_check") == "materials_all_here"
    page.evaluate("() => window.daibanModeler.get('commandStack').undo()")
    assert _property(page, "accept_item", "materials_check") == "materials_complete"
    _select(page, "record_materials")
    supplied = page.locator("#bio-properties-panel-daiban-supplies-materials")
    assert supplied.input_value() == "materials_supplied"
    supplied.fill("materials_brought")
    supplied.press("Tab")
    page.wait_for_function(
        "() => { const m = window.daibanModeler; return m.get('spiffExtensions')"
        ".property(m.get('elementRegistry').get('record_materials'), 'supplies_materials') === 'materials_brought'; }"
    )
    assert _property(page, "record_materials", "supplies_materials") == "materials_brought"
    page.evaluate("() => window.daibanModeler.get('commandStack').undo()")
    assert _property(page, "record_materials", "supplies_materials") == "materials_supplied"
    shot(page, "modeler-09-materials-fields")

    before = _open_item(server)  # on the live version: a limit of 0 working days
    page.click("#validate")
    page.wait_for_selector("#status.success")
    assert page.locator(".djs-element.invalid").count() == 0
    page.click("#save")
    page.wait_for_selector("#status:has-text('已保存为草稿版本')")
    page.click("#deploy")
    page.wait_for_selector("#status:has-text('已上线')")
    deployed_version = int(re.search(r"\d+", page.text_content("#status")).group())
    shot(page, "modeler-08-deployed-daiban-fields")
    page.close()

    after = _open_item(server)
    old_task = _api(server, "GET", f"/api/v1/tasks/{before['open_tasks'][0]['id']}", "village_agent@t1-v1")
    new_task = _api(server, "GET", f"/api/v1/tasks/{after['open_tasks'][0]['id']}", "village_agent@t1-v1")
    assert old_task["form"]["title"] == "受理登记" and new_task["form"]["title"] == "逾期原因及向群众的说明"
    old_due, new_due = (datetime.fromisoformat(t["due_at"]) for t in (old_task, new_task))
    assert (new_due.date() - old_due.date()).days >= 3  # three working days, not the same day
    assert new_due <= datetime.fromisoformat(after["due_at"])  # never past the case deadline
    # The deployed file holds the edits as SpiffWorkflow properties, next to the untouched ones.
    deployed = _file(server, "proxy_case", deployed_version)
    assert ("accept_item", "property", {"name": "time_limit_days", "value": "3"}, "") in _spiff_elements(deployed)
    assert 'value="delay_explanation.json"' in deployed and 'level == "village" or False' in deployed
    assert len(_spiff_elements(deployed)) == len(_spiff_elements((BPMN_DIR / "proxy_case.bpmn").read_text("utf-8")))


def test_the_dmn_editor_and_pages_load_without_console_warnings_or_missing_files(server, browser):
    """The decision-table editor is a production build (no development-mode warning in the analyst's
    console) and no page asks for a file the server does not have (the favicon included)."""
    page = logged_in_page(browser, server, "analyst@qx")
    messages: list[str] = []
    missing: list[str] = []
    page.on("console", lambda m: messages.append(f"{m.type}: {m.text}") if m.type in ("warning", "error") else None)
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    page.goto(server + "/modeler/routing/1")
    expect(page.locator(".tjs-table, .dmn-drd-container").first).to_be_visible()
    page.goto(server + "/api/v1/me")  # a JSON answer has no <link rel=icon>: the browser asks /favicon.ico
    page.wait_for_load_state("load")
    shot(page, "dmn-editor")
    assert not [m for m in messages if "development" in m.lower()], messages
    assert not missing, missing
