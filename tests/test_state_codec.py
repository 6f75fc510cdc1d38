"""The stored state of a workflow (engine/runtime/spiff.py: compact JSON, zlib, base64 behind "z:"):
every construct of the shipped diagrams survives a round trip, at every step of a real item, and the
states written before (plain JSON, or compressed at another zlib level) still load to the same workflow."""

from __future__ import annotations

import base64
import json
import zlib

from bench.driver import sample_data
from bench.inproc import RESIDENT
from engine.cases import commands
from engine.cases.commands import _routing_data
from engine.library.catalog import current_item
from engine.library.processes import live_version, spec_for
from engine.org.org import unit_by_code
from engine.read.shapes import case_dict, task_detail
from engine.runtime.spiff import (
    COMPRESSED,
    SERIALIZER,
    dump_state,
    load_state,
    new_workflow,
    ready_user_tasks,
    state_json,
)


def _round_trips(state: str, process) -> dict:
    """The state's JSON, after checking a load and a dump give it back unchanged."""
    first = state_json(state)
    assert state_json(dump_state(load_state(state, process))) == first
    return first


def _as_written_before(state: str) -> list[str]:
    """The same state as earlier versions wrote it: plain JSON, and zlib at its default level 6."""
    raw = json.dumps(state_json(state), separators=(",", ":"), ensure_ascii=False)
    level6 = COMPRESSED + base64.b64encode(zlib.compress(raw.encode(), 6)).decode("ascii")
    return [raw, level6]


def test_every_step_of_the_joint_item_round_trips_and_old_encodings_load(session, user):
    materials = list(current_item(session, "house-building").materials)
    case = commands.open_case(session, user("village_agent@t1-v1"), "house-building", RESIDENT, "codec", materials)
    process = spec_for(case.process_version)
    states = []
    while True:
        states.append(case.state)
        open_tasks = case_dict(session, case)["open_tasks"]
        if not open_tasks:
            break
        task = open_tasks[0]
        handler = user(f"{task['role']}@{task['org_unit']}")
        form = task_detail(session, handler, task["id"])["form"]
        case = commands.complete_task(session, handler, task["id"], sample_data(form))
    assert case.status == "archived" and len(states) >= 13
    for state in states:
        expected = _round_trips(state, process)
        for old in _as_written_before(state):
            assert SERIALIZER.to_dict(load_state(old, process)) == expected


def test_every_shipped_diagram_round_trips_before_and_after_its_first_steps(session):
    village = unit_by_code(session, RESIDENT["village"])
    item = current_item(session, "house-building")
    # What each process is started with by its command (open_case, propose_item).
    starts = {
        "proxy_case": _routing_data(session, item, village, list(item.materials)),
        "catalog_approval": {"code": "codec-item", "name": "编码测试事项", "proposed_by": "admin@qx"},
    }
    for key, data in starts.items():
        process = spec_for(live_version(session, key))
        _round_trips(dump_state(new_workflow(process, dict(data), start=False)), process)
        started = new_workflow(process, dict(data))
        assert ready_user_tasks(started)  # it ran to its first user task
        _round_trips(dump_state(started), process)
