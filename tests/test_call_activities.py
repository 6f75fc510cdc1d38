"""Call activities across the library: a call to another process id runs the callee's draft in a
test run (else its live version) and its live version once deployed; calls nest; a callee the
library lacks is named at the call activity, when saving and when deploying."""

from __future__ import annotations

from pathlib import Path

from .analyst import save_process

CALLS = Path(__file__).parent / "data" / "constructs" / "calls"


def _file(name: str) -> str:
    return (CALLS / f"{name}.bpmn").read_text(encoding="utf-8")


def _test_run(api, key: str, version: int) -> dict:
    run = api.call("POST", f"/api/v1/processes/{key}/versions/{version}/test-runs", "analyst@qx", {}, expect=201)
    return api.call("GET", f"/api/v1/test-runs/{run['id']}", "analyst@qx")


def test_a_call_to_a_process_the_library_lacks_is_named_at_the_call_activity(client, api):
    refused = save_process(client, api, _file("lc_nested"), expect=422)
    assert [(e["element"], e["detail"]) for e in refused["errors"]] == [("call_fee", "lc_fee")]
    assert refused["errors"][0]["message"] == "调用的流程不在流程库中"
    # The validate button says it too, in the user's language.
    checked = client.post(
        "/api/v1/processes/validate?lang=en",
        data=_file("lc_single").encode(),
        content_type="application/xml",
        headers={"Authorization": f"Bearer {api.token('analyst@qx')}"},
    )
    assert checked.status_code == 422
    assert [(e["element"], e["message"], e["detail"]) for e in checked.json["errors"]] == [
        ("call_tax", "the called process is not in the library", "lc_tax")
    ]
    # The callee is there but calls one that is not: named at this diagram's call activity.
    save_process(client, api, _file("lc_fee"), expect=422)
    save_process(client, api, _file("lc_tax").replace('id="lc_tax"', 'id="lc_other"'))
    save_process(client, api, _file("lc_fee").replace('calledElement="lc_tax"', 'calledElement="lc_other"'))
    save_process(client, api, _file("lc_fee"), expect=422)
    refused = save_process(client, api, _file("lc_nested").replace("lc_fee", "lc_fee_x"), expect=422)
    assert [(e["element"], e["detail"]) for e in refused["errors"]] == [("call_fee", "lc_fee_x")]


def test_single_and_nested_calls_complete_as_test_runs(client, api):
    for name in ("lc_tax", "lc_fee"):
        save_process(client, api, _file(name))
    single = save_process(client, api, _file("lc_single"))
    nested = save_process(client, api, _file("lc_nested"))
    state = _test_run(api, "lc_single", single["version"])
    assert state["finished"] and state["status"] == "archived"
    assert state["data"]["tax"] == 60
    state = _test_run(api, "lc_nested", nested["version"])
    assert state["finished"] and (state["data"]["fee"], state["data"]["tax"]) == (100, 20)
    # Saved although its callees are only drafts; deploying it would be refused, so the save says so.
    assert [(p["element"], p["detail"]) for p in nested["deploy_problems"]] == [("call_fee", "lc_fee")]
    refused = api.call(
        "POST", f"/api/v1/processes/lc_nested/versions/{nested['version']}/deploy", "analyst@qx", {}, expect=422
    )
    assert [(p["element"], p["detail"]) for p in refused["errors"]["diagram"]] == [("call_fee", "lc_fee")]


def test_a_test_run_calls_the_callees_draft_and_the_deployed_caller_its_live_version(client, api):
    tax = save_process(client, api, _file("lc_tax"))
    api.call("POST", f"/api/v1/processes/lc_tax/versions/{tax['version']}/deploy", "analyst@qx", {})
    save_process(client, api, _file("lc_tax").replace("tax = fee // 5", "tax = fee // 2"))  # a newer draft
    caller = save_process(client, api, _file("lc_single"))
    assert caller["deploy_problems"] == []
    assert _test_run(api, "lc_single", caller["version"])["data"]["tax"] == 150  # the callee's draft
    api.call("POST", f"/api/v1/processes/lc_single/versions/{caller['version']}/deploy", "analyst@qx", {})
    listed = next(p for p in api.call("GET", "/api/v1/processes", "analyst@qx") if p["key"] == "lc_single")
    assert listed["versions"][-1]["hash"] != caller["hash"]  # it now pins the live callee
    assert _test_run(api, "lc_single", caller["version"])["data"]["tax"] == 60  # what production runs
