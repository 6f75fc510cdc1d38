"""A diagram from another modeler (Camunda Modeler here) can be test-run although it breaks
Daiban's deployment rules; deploying it is refused, each problem named at its element."""

from pathlib import Path

XML = (Path(__file__).parent / "data" / "foreign_modeler.bpmn").read_text(encoding="utf-8")


def test_a_camunda_diagram_with_unknown_lanes_and_no_forms_runs_as_a_test_and_is_refused_on_deploy(client, api):
    token = api.token("analyst@qx")
    checked = client.post(
        "/api/v1/processes/validate",
        data=XML.encode(),
        content_type="application/xml",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert checked.status_code == 422  # validation tells what production would refuse
    assert {(e["element"], e["message"]) for e in checked.json["errors"]} == {
        ("Lane_Clerk", "泳道不是已知的角色"),
        ("Review", "用户任务没有表单"),
    }
    saved = client.post(
        "/api/v1/processes",
        data=XML.encode(),
        content_type="application/xml",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert saved.status_code == 201 and saved.json["status"] == "draft"
    # Saved all the same; the save lists what deploying it would refuse, per element, in the user's language.
    assert {(e["element"], e["message"]) for e in saved.json["deploy_problems"]} == {
        ("Lane_Clerk", "泳道不是已知的角色"),
        ("Review", "用户任务没有表单"),
    }
    version = saved.json["version"]

    run = api.call("POST", f"/api/v1/processes/Permit/versions/{version}/test-runs", "analyst@qx", {}, expect=201)
    [task] = run["open_tasks"]
    assert task["name"] == "Review request" and task["assignee"] == "analyst@qx" and task["role"] == "analyst"
    # No form: the analyst completes it with optional JSON data.
    api.call("POST", f"/api/v1/tasks/{task['id']}/complete", "analyst@qx", {"data": {"remark": "看过了"}})
    state = api.call("GET", f"/api/v1/test-runs/{run['id']}", "analyst@qx")
    [manual] = state["waits"]
    assert (manual["kind"], manual["element"], manual["element_name"]) == ("manual", "File", "File the paper copy")
    state = api.call(
        "POST", f"/api/v1/test-runs/{run['id']}/events", "analyst@qx", {"kind": "manual", "task_id": manual["task_id"]}
    )
    assert state["finished"] and state["status"] == "archived" and state["data"]["remark"] == "看过了"

    refused = api.call("POST", f"/api/v1/processes/Permit/versions/{version}/deploy", "analyst@qx", expect=422)
    assert {(e["element"], e["message"]) for e in refused["errors"]["diagram"]} == {
        ("Lane_Clerk", "泳道不是已知的角色"),
        ("Review", "用户任务没有表单"),
    }
    library = api.call("GET", "/api/v1/processes", "analyst@qx")
    permit = next(p for p in library if p["key"] == "Permit")
    assert permit["live_version"] is None
