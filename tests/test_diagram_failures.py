"""A diagram that fails while it runs is the diagram's fault: 422 naming the element, nothing changed."""

from pathlib import Path

XML = (Path(__file__).parent / "data" / "failing_script.bpmn").read_text(encoding="utf-8")


def _upload(client, api, xml):
    response = client.post(
        "/api/v1/processes",
        data=xml.encode(),
        content_type="application/xml",
        headers={"Authorization": f"Bearer {api.token('analyst@qx')}"},
    )
    assert response.status_code == 201, response.json
    return response.json["version"]


def test_a_script_that_fails_when_a_task_is_completed_names_the_element_and_changes_nothing(client, api):
    version = _upload(client, api, XML)
    run = api.call(
        "POST", f"/api/v1/processes/subsidy_share/versions/{version}/test-runs", "analyst@qx", {"data": {}}, expect=201
    )
    task = run["open_tasks"][0]
    assert task["name"] == "受理登记"
    answer = {"materials_complete": False, "commission_signed": True}
    failed = api.call("POST", f"/api/v1/tasks/{task['id']}/complete", "analyst@qx", {"data": answer}, expect=422)
    assert failed["errors"]["element"] == "compute_share"
    assert failed["errors"]["element_name"] == "计算补贴份额"
    assert "ZeroDivisionError" in failed["errors"]["detail"]
    assert failed["errors"]["message"] == "该环节的脚本或表达式运行失败"
    assert "流程图" in failed["title"]  # the clerk reads, in Chinese, that the diagram is at fault
    # Nothing changed: the task is still open for the same person, the case still open.
    case = api.call("GET", f"/api/v1/cases/{run['id']}", "analyst@qx")
    assert [t["id"] for t in case["open_tasks"]] == [task["id"]] and case["status"] == "open"
    in_english = client.post(
        f"/api/v1/tasks/{task['id']}/complete?lang=en",
        json={"data": answer},
        headers={"Authorization": f"Bearer {api.token('analyst@qx')}"},
    )
    assert in_english.status_code == 422 and "diagram" in in_english.json["title"]
    # With data the script can handle, the same task completes and the run ends.
    done = api.call(
        "POST",
        f"/api/v1/tasks/{task['id']}/complete",
        "analyst@qx",
        {"data": {"materials_complete": True, "commission_signed": True}},
    )
    assert done["open_tasks"] == []


def test_a_runaway_script_is_stopped_and_reported_as_the_elements_fault(client, api):
    runaway = XML.replace(
        "share = 100 / (1 if materials_complete else 0)", "x = 'abcdefgh'\n" + "x = x + x\n" * 17
    ).replace('id="subsidy_share"', 'id="subsidy_runaway"')
    version = _upload(client, api, runaway)
    run = api.call(
        "POST",
        f"/api/v1/processes/subsidy_runaway/versions/{version}/test-runs",
        "analyst@qx",
        {"data": {}},
        expect=201,
    )
    task = run["open_tasks"][0]
    failed = api.call(
        "POST",
        f"/api/v1/tasks/{task['id']}/complete",
        "analyst@qx",
        {"data": {"materials_complete": True, "commission_signed": True}},
        expect=422,
    )
    assert failed["errors"]["element"] == "compute_share" and "larger than" in failed["errors"]["detail"]


def test_a_deeply_nested_expression_is_refused_at_validation_naming_the_element(client, api):
    nested = XML.replace("share = 100 / (1 if materials_complete else 0)", "share = " + "+".join(["1"] * 2400))
    response = client.post(
        "/api/v1/processes/validate",
        data=nested.encode(),
        content_type="application/xml",
        headers={"Authorization": f"Bearer {api.token('analyst@qx')}"},
    )
    assert response.status_code == 422
    assert [(e["element"], e["message"]) for e in response.json["errors"]] == [("compute_share", "表达式不被允许")]
    assert "nested" in response.json["errors"][0]["detail"]
