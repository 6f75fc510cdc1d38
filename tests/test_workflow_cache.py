"""The per-process workflow cache (engine/runtime/spiff.py WORKFLOWS): a command on a case this
process moved last takes its workflow from memory instead of restoring it, and that changes nothing
about where the item goes; an entry is used only for the exact state it was stored with, once."""

from __future__ import annotations

from bench.driver import sample_data
from bench.inproc import RESIDENT
from engine.cases import commands
from engine.library.catalog import current_item
from engine.read.consistency import check_consistency
from engine.read.shapes import case_dict, task_detail
from engine.runtime.spiff import WORKFLOWS, WorkflowCache, dump_state, new_workflow


def _run_joint_case(session, user, cached: bool) -> tuple[list, str]:
    """The joint county item to its end; the steps (task, unit) taken and the final status."""
    materials = list(current_item(session, "house-building").materials)
    case = commands.open_case(session, user("village_agent@t1-v1"), "house-building", RESIDENT, "cache", materials)
    steps = []
    while True:
        open_tasks = case_dict(session, case)["open_tasks"]
        if not open_tasks:
            return steps, case.status
        # Steps opened by one command share their creation time: take them in a fixed order, so both
        # runs walk the same path whatever order the database lists them in.
        task = min(open_tasks, key=lambda t: (t["task"], t["org_unit"]))
        handler = user(f"{task['role']}@{task['org_unit']}")
        form = task_detail(session, handler, task["id"])["form"]
        if not cached:
            WORKFLOWS.clear()  # every command restores the workflow from the stored state
        case = commands.complete_task(session, handler, task["id"], sample_data(form))
        steps.append((task["task"], task["org_unit"]))


def test_a_cached_workflow_takes_the_same_steps_as_a_restored_one(session, user):
    WORKFLOWS.clear()
    hits = WORKFLOWS.hits
    cached_steps, cached_status = _run_joint_case(session, user, cached=True)
    assert WORKFLOWS.hits - hits >= len(cached_steps)  # every step after the opening was a hit
    restored_steps, restored_status = _run_joint_case(session, user, cached=False)
    assert cached_steps == restored_steps and len(cached_steps) >= 12
    assert cached_status == restored_status == "archived"
    assert [p for p in check_consistency(session) if "timer" in p or "case" in p] == []


def test_an_entry_serves_only_its_own_state_and_version_and_only_once(session):
    cache = WorkflowCache(size=2)
    from engine.library.processes import live_version, spec_for

    process = spec_for(live_version(session, "proxy_case"))
    workflow = new_workflow(process, {"kind": "immediate", "level": "village", "urgent": False}, start=False)
    state = dump_state(workflow)
    cache.keep(1, 3, state, workflow)
    assert cache.take(1, 4, state) is None  # another writer moved the case on (a new version)
    cache.keep(1, 3, state, workflow)
    assert cache.take(1, 3, state + " ") is None  # a state this process did not write
    cache.keep(1, 3, state, workflow)
    assert cache.take(1, 3, state) is workflow
    assert cache.take(1, 3, state) is None  # taken: a command that fails never hands it on
    for case_id in (1, 2, 3):
        cache.keep(case_id, 1, state, workflow)
    assert cache.take(1, 1, state) is None and cache.take(3, 1, state) is workflow  # bounded, oldest out
