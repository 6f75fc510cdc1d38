"""A decision table whose outputs are sets or ranges (hit policy COLLECT, output cells like [9..12]
or {1, 7}, input cells like [0..18)) passes validation, runs in a test run and runs as deployed, with
process data that can be stored; what SpiffWorkflow cannot run as the table means it is named."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from engine.library.processes import spec_for
from engine.runtime.spiff import dump_state, load_state, new_workflow
from engine.store.models import ProcessVersion

from .isolated_db import app, demo_db, own_database_url  # noqa: F401  (it deploys a decision table)

DATA = Path(__file__).parent / "data" / "decisions"
DMN = (DATA / "allowance.dmn").read_text(encoding="utf-8")
BPMN = (DATA / "allowance_check.bpmn").read_text(encoding="utf-8")
EXPECTED = {"programs": ["助学", "医保"], "months": [[9, 10, 11, 12], [1, 7]], "september": True}


def _post(client, api, path: str, xml: str):
    return client.post(
        path,
        data=xml.encode(),
        content_type="application/xml",
        headers={"Authorization": f"Bearer {api.token('analyst@qx')}"},
    )


def test_collected_sets_and_ranges_validate_run_as_a_test_and_as_deployed(client, api, session):
    assert _post(client, api, "/api/v1/processes/validate", DMN).status_code == 200
    table = _post(client, api, "/api/v1/processes", DMN).json
    api.call("POST", f"/api/v1/processes/allowance/versions/{table['version']}/deploy", "analyst@qx", {})
    saved = _post(client, api, "/api/v1/processes", BPMN)
    assert saved.status_code == 201, saved.json
    version = saved.json["version"]
    run = api.call(
        "POST",
        f"/api/v1/processes/c_allowance_check/versions/{version}/test-runs",
        "analyst@qx",
        {"data": {"age": 12}},
        201,
    )
    state = api.call("GET", f"/api/v1/test-runs/{run['id']}", "analyst@qx")
    assert state["finished"] and {k: state["data"][k] for k in EXPECTED} == EXPECTED

    api.call("POST", f"/api/v1/processes/c_allowance_check/versions/{version}/deploy", "analyst@qx", {})
    # Production runs the live version's spec with the tables it pinned, and stores its state.
    live = session.scalar(
        select(ProcessVersion).where(ProcessVersion.key == "c_allowance_check", ProcessVersion.status == "live")
    )
    assert "allowance" in live.decisions
    workflow = new_workflow(spec_for(live), {"age": 70})
    restored = load_state(dump_state(workflow), spec_for(live))
    assert restored.is_completed()
    assert (restored.data["programs"], restored.data["months"]) == (["医保", "养老"], [[1, 7], list(range(1, 13))])


def test_what_the_engine_cannot_run_as_the_table_means_is_named_at_the_table_or_cell(client, api):
    cases = {
        DMN.replace('hitPolicy="COLLECT"', 'hitPolicy="PRIORITY"'): ("allowance_table", "PRIORITY"),
        DMN.replace('hitPolicy="COLLECT"', 'hitPolicy="COLLECT" aggregation="SUM"'): ("allowance_table", "SUM"),
        DMN.replace("[9..12]", "[0.5..2.5]"): ("r_child_months", "[0.5..2.5]"),
        DMN.replace("[9..12]", "[1..100000]"): ("r_child_months", "[1..100000]"),
    }
    for xml, (element, detail) in cases.items():
        refused = _post(client, api, "/api/v1/processes/validate", xml)
        assert refused.status_code == 422
        assert [(e["element"], e["detail"]) for e in refused.json["errors"]] == [(element, detail)]
    # RULE ORDER is every matching rule in order: as COLLECT.
    assert _post(client, api, "/api/v1/processes/validate", DMN.replace("COLLECT", "RULE ORDER")).status_code == 200
