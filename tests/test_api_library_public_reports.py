"""Process library, test runs, the resident's progress lookup and summary figures through the API."""

from engine.kernel.settings import BPMN_DIR

XML = (BPMN_DIR / "proxy_case.bpmn").read_text(encoding="utf-8")


def _post_xml(client, api, path, xml, user="analyst@qx"):
    return client.post(
        path, data=xml.encode(), content_type="application/xml", headers={"Authorization": f"Bearer {api.token(user)}"}
    )


def test_library_lists_the_live_process_with_running_cases(api):
    api.open_case("village_agent@t1-v2", "house-building", "t1-v2")
    library = api.call("GET", "/api/v1/processes", "analyst@qx")
    proxy = next(p for p in library if p["key"] == "proxy_case")
    assert proxy["type"] == "bpmn" and proxy["live_version"] >= 1
    live = next(v for v in proxy["versions"] if v["version"] == proxy["live_version"])
    assert live["running_cases"] >= 1 and live["deployed_by"] == "system"


def test_validate_accepts_the_library_diagram_and_rejects_broken_ones(client, api):
    response = _post_xml(client, api, "/api/v1/processes/validate", XML)
    assert response.status_code == 200 and response.json["processes"][0]["key"] == "proxy_case"
    broken = (
        XML.replace('name="county_window"', 'name="janitor"')
        .replace("level == &quot;village&quot;", "__import__('os')")
        .replace('level == "village"', "__import__('os')")
    )
    response = _post_xml(client, api, "/api/v1/processes/validate", broken)
    assert response.status_code == 422
    elements = {e["element"] for e in response.json["errors"]}
    assert {"lane_window", "f_village_done"} <= elements
    hostile = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    response = _post_xml(client, api, "/api/v1/processes/validate", hostile)
    assert response.status_code == 422 and "DOCTYPE" in response.json["errors"][0]["message"]


def test_draft_deploy_and_test_run(client, api):
    relabelled = XML.replace('name="受理登记"', 'name="受理登记(新)"')
    response = _post_xml(client, api, "/api/v1/processes", relabelled, user="village_agent@t1-v1")
    assert response.status_code == 403
    response = _post_xml(client, api, "/api/v1/processes", relabelled)
    assert response.status_code == 201 and response.json["status"] == "draft"
    number = response.json["version"]
    run = api.call(
        "POST",
        f"/api/v1/processes/proxy_case/versions/{number}/test-runs",
        "analyst@qx",
        {"data": {"catalog_code": "temporary-aid"}},
        expect=201,
    )
    assert run["open_tasks"][0]["name"] == "受理登记(新)"
    assert run["open_tasks"][0]["assignee"] == "analyst@qx"
    # A test run never reaches the real village agent's inbox.
    available = api.call("GET", "/api/v1/tasks?scope=available&per_page=100", f"village_agent@{run['village']}")
    assert run["open_tasks"][0]["id"] not in [t["id"] for t in available["items"]]
    detail = api.call("GET", f"/api/v1/tasks/{run['open_tasks'][0]['id']}", "analyst@qx")
    done = api.call(
        "POST",
        f"/api/v1/tasks/{detail['id']}/complete",
        "analyst@qx",
        {"data": {"materials_complete": True, "commission_signed": True}},
    )
    assert done["open_tasks"][0]["task"] == "township_review"
    # Deploying the draft makes new cases use it; the old version's cases keep theirs.
    before = api.open_case("village_agent@t1-v2", "temporary-aid", "t1-v2")
    api.call("POST", f"/api/v1/processes/proxy_case/versions/{number}/deploy", "analyst@qx")
    after = api.open_case("village_agent@t1-v2", "temporary-aid", "t1-v2")
    assert after["open_tasks"][0]["name"] == "受理登记(新)"
    assert (
        api.call("GET", f"/api/v1/cases/{before['id']}", "village_agent@t1-v2")["open_tasks"][0]["name"] == "受理登记"
    )
    api.call("POST", "/api/v1/processes/proxy_case/versions/999/deploy", "analyst@qx", expect=404)
    # Put the library diagram back so other tests see the original labels.
    restored = _post_xml(client, api, "/api/v1/processes", XML).json["version"]
    api.call("POST", f"/api/v1/processes/proxy_case/versions/{restored}/deploy", "analyst@qx")


def test_public_progress_needs_the_right_phone_suffix(api, client):
    case = api.open_case("village_agent@t3-v3", "temporary-aid", "t3-v3", phone="13712345678")
    ok = client.get(f"/api/v1/public/progress?receipt={case['receipt_code']}&phone_last4=5678")
    assert ok.status_code == 200
    assert ok.json["status"] == "open" and ok.json["step"] == "受理登记" and ok.json["due_at"] == case["due_at"]
    wrong = client.get(f"/api/v1/public/progress?receipt={case['receipt_code']}&phone_last4=0000")
    unknown = client.get("/api/v1/public/progress?receipt=DB000000XXXXXX&phone_last4=5678")
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json == unknown.json  # a mismatch tells nothing


def test_summary_counts_the_subtree(api):
    before = api.call("GET", "/api/v1/reports/summary?unit=t2", "supervisor@qx")
    case = api.open_case("village_agent@t2-v2", "other-inquiry", "t2-v2")
    api.run_to_end(case)
    after = api.call("GET", "/api/v1/reports/summary?unit=t2", "supervisor@qx")
    assert after["opened"] == before["opened"] + 1 and after["closed"] == before["closed"] + 1
    assert 0 < after["satisfaction_rate"] <= 1 and 0 < after["completion_rate"] <= 1
    assert set(after) >= {"opened", "closed", "completion_rate", "on_time_rate", "satisfaction_rate", "overdue_open"}
    api.call("GET", "/api/v1/reports/summary?unit=t2", "village_agent@t2-v2", expect=403)
    api.call("GET", "/api/v1/reports/summary?unit=t2&from=yesterday", "supervisor@qx", expect=422)
