"""The analyst workbench in pages and over the API: library, modeler, import, deploy, diff, migration;
everybody else gets 403."""

from __future__ import annotations

import html as html_lib
import io
import json
import re
import uuid

from engine.kernel.settings import BPMN_DIR

from .conftest import csrf_token as _csrf

XML = (BPMN_DIR / "proxy_case.bpmn").read_text(encoding="utf-8")


def _import(client, xml: str):
    page = client.get("/modeler").get_data(as_text=True)
    return client.post(
        "/modeler/import",
        data={"csrf_token": _csrf(page), "file": (io.BytesIO(xml.encode()), "x.bpmn")},
        content_type="multipart/form-data",
    )


def test_analyst_sees_every_process_and_decision_table_with_versions_and_running_items(login, api):
    api.open_case("village_agent@t1-v3", "house-building", "t1-v3")
    html = login("analyst@qx").get("/modeler").get_data(as_text=True)
    assert "流程库" in html and 'id="process-proxy_case"' in html and 'id="process-time_limit"' in html
    assert "决策表" in html and "在用版本" in html


def test_modeler_pages_load_bpmn_js_with_properties_panel_and_dmn_js(login):
    analyst = login("analyst@qx")
    bpmn = analyst.get("/modeler/proxy_case/1").get_data(as_text=True)
    assert "bpmn-modeler.js" in bpmn and "properties-panel.js" in bpmn and 'id="properties"' in bpmn
    assert "bpmn-js.zh-CN.json" in bpmn
    dmn = analyst.get("/modeler/time_limit/1").get_data(as_text=True)
    assert "dmn-modeler.js" in dmn and "panel-choices" not in dmn
    assert analyst.get("/static/i18n/bpmn-js.zh-CN.json").json["Create task"] == "创建任务"


def test_the_daiban_fields_get_the_form_library_live_decisions_and_the_values_the_engine_accepts(login):
    html = login("analyst@qx").get("/modeler/proxy_case/1").get_data(as_text=True)
    choices = json.loads(html_lib.unescape(re.search(r'id="panel-choices">(.*?)</script>', html).group(1)))
    files = [f["file"] for f in choices["forms"]]
    assert files == sorted(p.name for p in (BPMN_DIR / "forms").glob("*.json")) and "accept_item.json" in files
    assert {"file": "accept_item.json", "title": "受理登记", "title_en": "Accept the item"} in choices["forms"]
    assert [d["id"] for d in choices["decisions"]] == ["routing", "time_limit"]
    assert choices["statuses"] == ["open", "waiting_materials", "closed", "returned", "archived"]
    assert "county_window" in [r["code"] for r in choices["roles"]]
    text = json.loads(html_lib.unescape(re.search(r'id="panel-text">(.*?)</script>', html).group(1)))
    assert text["group"] == "代办设置" and text["timeLimitInvalid"] == "时限不是非负整数个工作日"
    assert 'data-moddle="/static/moddle/spiffworkflow.json"' in html


def test_others_may_not_open_the_workbench(login, api):
    agent = login("village_agent@t1-v1")
    for url in (
        "/modeler",
        "/modeler/proxy_case/1",
        "/modeler/proxy_case/diff?from=1&to=1",
        "/modeler/proxy_case/1/migration",
    ):
        assert agent.get(url).status_code == 403, url
    assert "流程库" not in agent.get("/inbox").get_data(as_text=True)
    api.call("GET", "/api/v1/processes/proxy_case/diff?from=1&to=1", "village_agent@t1-v1", expect=403)
    api.call("GET", "/api/v1/processes/proxy_case/versions/1/file", "village_agent@t1-v1", expect=403)
    api.call("POST", "/api/v1/processes/proxy_case/versions/1/migration-dry-run", "village_agent@t1-v1", {}, expect=403)
    api.call("POST", "/api/v1/processes/proxy_case/versions/1/migrate", "village_agent@t1-v1", {}, expect=403)


def test_import_deploy_diff_and_migrate_through_the_pages(login, api):
    analyst = login("analyst@qx")
    key = f"imported_{uuid.uuid4().hex[:8]}"
    first = _import(analyst, XML.replace('"proxy_case"', f'"{key}"'))
    assert first.status_code == 302 and first.headers["Location"].endswith(f"/modeler/{key}/1")
    page = analyst.get("/modeler").get_data(as_text=True)
    analyst.post(f"/modeler/{key}/1/deploy", data={"csrf_token": _csrf(page)})
    run = api.call(
        "POST",
        f"/api/v1/processes/{key}/versions/1/test-runs",
        "analyst@qx",
        {"data": {"catalog_code": "temporary-aid"}},
        expect=201,
    )
    _import(analyst, XML.replace('"proxy_case"', f'"{key}"').replace('name="受理登记"', 'name="登记受理"'))
    analyst.post(f"/modeler/{key}/2/deploy", data={"csrf_token": _csrf(page)})

    diff = analyst.get(f"/modeler/{key}/diff?from=1&to=2").get_data(as_text=True)
    assert "<del>受理登记</del> → 登记受理" in diff and "accept_item" in diff
    assert (
        api.call("GET", f"/api/v1/processes/{key}/diff?from=1&to=2", "analyst@qx")["changed"][0]["id"] == "accept_item"
    )
    exported = analyst.get(f"/api/v1/processes/{key}/versions/2/file")
    assert exported.status_code == 200 and "登记受理" in exported.get_data(as_text=True)

    dry = analyst.get(f"/modeler/{key}/2/migration").get_data(as_text=True)
    assert run["receipt_code"] in dry and "可迁移" in dry
    moved = analyst.post(f"/modeler/{key}/2/migration", data={"csrf_token": _csrf(dry)}).get_data(as_text=True)
    assert re.search(r"1\s*件事项已迁移到版本 2", moved)
    assert api.call("GET", f"/api/v1/cases/{run['id']}", "analyst@qx")["open_tasks"][0]["name"] == "登记受理"


def test_hostile_uploads_are_refused_with_a_message(login):
    analyst = login("analyst@qx")
    hostile = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    response = _import(analyst, hostile)
    assert response.status_code == 302
    assert "DOCTYPE" in analyst.get("/modeler").get_data(as_text=True)
