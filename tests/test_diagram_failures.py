"""A diagram that fails while it runs is the diagram's fault: 422 naming the element, nothing changed."""

from pathlib import Path

from engine.kernel.settings import BPMN_DIR

from .analyst import save_process

XML = (Path(__file__).parent / "data" / "failing_script.bpmn").read_text(encoding="utf-8")


def _upload(client, api, xml: str) -> int:
    return save_process(client, api, xml)["version"]


def test_a_test_run_whose_script_fails_ends_as_failed_naming_the_element(client, api):
    version = _upload(client, api, XML)
    path = f"/api/v1/processes/subsidy_share/versions/{version}/test-runs"
    run = api.call("POST", path, "analyst@qx", {"data": {}}, expect=201)
    task = run["open_tasks"][0]
    assert task["name"] == "受理登记"
    answer = {"materials_complete": False, "commission_signed": True}
    failed = api.call("POST", f"/api/v1/tasks/{task['id']}/complete", "analyst@qx", {"data": answer}, expect=422)
    assert failed["errors"]["element"] == "compute_share"
    assert failed["errors"]["element_name"] == "计算补贴份额"
    assert "ZeroDivisionError" in failed["errors"]["detail"]
    assert failed["errors"]["message"] == "该环节的脚本或表达式运行失败"
    assert "流程图" in failed["title"]  # in Chinese: the diagram is at fault
    assert failed["errors"]["test_run"] == str(run["id"])
    # The run ended as failed, and says where and why.
    state = api.call("GET", f"/api/v1/test-runs/{run['id']}", "analyst@qx")
    assert state["status"] == "failed" and not state["finished"] and state["waits"] == []
    assert state["failed"]["element"] == "compute_share" and state["failed"]["element_name"] == "计算补贴份额"
    case = api.call("GET", f"/api/v1/cases/{run['id']}", "analyst@qx")
    assert case["open_tasks"] == [] and case["closed_at"]
    # A new run with data the script can handle completes.
    run = api.call("POST", path, "analyst@qx", {"data": {}}, expect=201)
    done = api.call(
        "POST",
        f"/api/v1/tasks/{run['open_tasks'][0]['id']}/complete?lang=en",
        "analyst@qx",
        {"data": {"materials_complete": True, "commission_signed": True}},
    )
    assert done["open_tasks"] == []
    state = api.call("GET", f"/api/v1/test-runs/{run['id']}", "analyst@qx")
    assert state["finished"] and state["status"] == "archived" and state["data"]["share"] == 100


def test_a_test_run_whose_first_script_fails_is_kept_as_failed(client, api):
    first = XML.replace('id="subsidy_share"', 'id="subsidy_first"').replace(
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="accept_item" />',
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="compute_share" />',
    )
    version = _upload(client, api, first)
    failed = api.call(
        "POST",
        f"/api/v1/processes/subsidy_first/versions/{version}/test-runs?lang=en",
        "analyst@qx",
        {"data": {}},
        expect=422,
    )
    assert failed["errors"]["element"] == "compute_share" and "diagram" in failed["title"]
    assert "unknown variable: materials_complete" in failed["errors"]["detail"]
    state = api.call("GET", f"/api/v1/test-runs/{failed['errors']['test_run']}", "analyst@qx")
    assert state["status"] == "failed" and state["failed"]["element_name"] == "计算补贴份额"


PROXY = (BPMN_DIR / "proxy_case.bpmn").read_text(encoding="utf-8")


def test_a_condition_that_fails_when_a_clerk_completes_a_task_is_a_422_and_changes_nothing(client, api):
    broken = PROXY.replace(
        '<bpmn:conditionExpression>acceptance != "accept"</bpmn:conditionExpression>',
        '<bpmn:conditionExpression>acceptance != "accept" or household_size &gt; 4</bpmn:conditionExpression>',
    )
    assert broken != PROXY
    deployed = _upload(client, api, broken)
    api.call("POST", f"/api/v1/processes/proxy_case/versions/{deployed}/deploy", "analyst@qx")
    try:
        case = api.open_case("village_agent@t1-v2", "temporary-aid", "t1-v2")
        task = case["open_tasks"][0]
        api.call("POST", f"/api/v1/tasks/{task['id']}/claim", "village_agent@t1-v2")
        answer = {"acceptance": "accept", "materials_complete": True, "commission_signed": True}
        failed = api.call(
            "POST", f"/api/v1/tasks/{task['id']}/complete", "village_agent@t1-v2", {"data": answer}, expect=422
        )
        assert failed["errors"]["element"] == "gw_accept" and failed["errors"]["element_name"] == "能否受理?"
        assert "unknown variable: household_size" in failed["errors"]["detail"]
        assert "流程图" in failed["title"] and "test_run" not in failed["errors"]
        after = api.call("GET", f"/api/v1/cases/{case['id']}", "village_agent@t1-v2")
        assert after["status"] == "open" and [t["id"] for t in after["open_tasks"]] == [task["id"]]
        assert [e["type"] for e in after["events"]] == [e["type"] for e in case["events"]] + ["task_claimed"]
    finally:
        restored = _upload(client, api, PROXY)
        api.call("POST", f"/api/v1/processes/proxy_case/versions/{restored}/deploy", "analyst@qx")


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


def test_a_call_to_a_process_that_does_not_exist_is_named_at_validation(client, api):
    calling = XML.replace(
        '<bpmn:scriptTask id="compute_share" name="计算补贴份额">\n'
        "      <bpmn:script>share = 100 / (1 if materials_complete else 0)</bpmn:script>\n"
        "    </bpmn:scriptTask>",
        '<bpmn:callActivity id="compute_share" name="计算补贴份额" calledElement="subsidy_rules" />',
    )
    assert "callActivity" in calling
    response = client.post(
        "/api/v1/processes/validate",
        data=calling.encode(),
        content_type="application/xml",
        headers={"Authorization": f"Bearer {api.token('analyst@qx')}"},
    )
    assert response.status_code == 422
    [problem] = response.json["errors"]
    assert problem["element"] == "compute_share" and problem["detail"] == "subsidy_rules"
    assert problem["message"] == "调用的流程不在流程库中"  # neither in the file nor in the library
