"""Diagram validation is for the library's editors only and costs time linear in a capped diagram
(red team finding 3: every user could post 60k empty tasks and kill a worker)."""

import time

from engine.kernel.settings import BPMN_DIR

XML = (BPMN_DIR / "proxy_case.bpmn").read_bytes()
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"


def post(client, api, body: bytes, user="analyst@qx"):
    return client.post(
        "/api/v1/processes/validate?lang=en",
        data=body,
        content_type="application/xml",
        headers={"Authorization": f"Bearer {api.token(user)}"},
    )


def fan_out(tasks: int) -> bytes:
    """A start event, a gateway with one conditional flow to each of `tasks` tasks, an end event."""
    parts = [
        '<bpmn:startEvent id="s"/><bpmn:exclusiveGateway id="g" default="f0"/>'
        '<bpmn:sequenceFlow id="fs" sourceRef="s" targetRef="g"/><bpmn:endEvent id="e"/>'
    ]
    for i in range(tasks):
        parts.append(
            f'<bpmn:task id="t{i}"/><bpmn:sequenceFlow id="f{i}" sourceRef="g" targetRef="t{i}">'
            f"<bpmn:conditionExpression>x == {i}</bpmn:conditionExpression></bpmn:sequenceFlow>"
            f'<bpmn:sequenceFlow id="h{i}" sourceRef="t{i}" targetRef="e"/>'
        )
    return (
        f'<?xml version="1.0"?><bpmn:definitions xmlns:bpmn="{BPMN}" id="d">'
        f'<bpmn:process id="p" isExecutable="true">{"".join(parts)}</bpmn:process></bpmn:definitions>'
    ).encode()


def test_only_analysts_and_administrators_may_validate_a_diagram(client, api):
    for user in ("village_agent@t1-v1", "township_reception@t1", "supervisor@qx", "leader@qx"):
        assert post(client, api, XML, user).status_code == 403, user
    assert post(client, api, XML, "analyst@qx").status_code == 200
    assert post(client, api, XML, "admin").status_code == 200


def test_a_diagram_of_forty_thousand_empty_tasks_is_refused_before_parsing(client, api):
    tasks = "".join(f'<bpmn:task id="t{i}"/>' for i in range(40_000))
    body = f'<bpmn:definitions xmlns:bpmn="{BPMN}"><bpmn:process id="p">{tasks}</bpmn:process></bpmn:definitions>'
    started = time.monotonic()
    refused = post(client, api, body.encode())
    assert refused.status_code == 422
    assert refused.json["errors"][0]["message"] == "the diagram has too many elements"
    assert time.monotonic() - started < 2


def test_a_diagram_over_one_megabyte_is_refused(client, api):
    refused = post(client, api, XML + b"<!--" + b" " * (1024 * 1024) + b"-->")
    assert refused.status_code == 422 and refused.json["errors"]["diagram"] == "at most 1 MB"


def test_a_gateway_with_a_thousand_flows_validates_in_linear_time(client, api):
    small, large = fan_out(150), fan_out(1200)  # eight times the elements
    started = time.monotonic()
    assert post(client, api, small).status_code == 200
    small_took = time.monotonic() - started
    started = time.monotonic()
    assert post(client, api, large).status_code == 200
    assert time.monotonic() - started < max(1.0, 8 * 3 * small_took)  # linear with slack, not quadratic
