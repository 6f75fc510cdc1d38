"""A deployed diagram's own timer events in a real case: the worker (engine/cases/timer_sweep.py)
fires a boundary timer when it is due, through the pipeline, with one event; before it is due
nothing fires, and an item that moves past the timer takes it along."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from engine.cases.timer_sweep import fire_due_timers
from engine.cases.timers import Timer
from engine.kernel.settings import BPMN_DIR
from engine.library import process_library as library
from engine.library.processes import spec_for
from engine.runtime.spiff import load_state
from engine.store.models import Case

from .isolated_db import app, demo_db, own_database_url  # noqa: F401  (it deploys a new proxy_case)
from .scenario import ACCEPT, Item

REMINDER = """
    <bpmn:boundaryEvent id="remind_accept" name="受理提醒" attachedToRef="accept_item" cancelActivity="false">
      <bpmn:timerEventDefinition id="remind_td"><bpmn:timeDuration>"P2D"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f_remind" sourceRef="remind_accept" targetRef="note_reminder" />
    <bpmn:scriptTask id="note_reminder" name="记下提醒"><bpmn:script>reminded = True</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f_remind_end" sourceRef="note_reminder" targetRef="remind_end" />
    <bpmn:endEvent id="remind_end" />
  </bpmn:process>"""


def _deploy_with_reminder(session, user) -> None:
    xml = (BPMN_DIR / "proxy_case.bpmn").read_text(encoding="utf-8").replace("  </bpmn:process>", REMINDER, 1)
    analyst = user("analyst@qx")
    version = library.save_draft(session, analyst, xml)
    library.deploy(session, analyst, version.key, version.version)


def _process_timers(session, case_id) -> list[Timer]:
    return list(session.scalars(select(Timer).where(Timer.case_id == case_id, Timer.kind == "process_timer")))


def test_a_boundary_timer_of_a_deployed_process_fires_when_due_with_one_event(session, user):
    _deploy_with_reminder(session, user)
    now = datetime.now(UTC)  # SpiffWorkflow counts a duration from the moment the timer starts waiting
    item = Item(session, user, "temporary-aid", "village_agent@t2-v2", "t2-v2", now)
    [timer] = _process_timers(session, item.case.id)
    assert abs(timer.due_at - now - timedelta(days=2)) < timedelta(minutes=5)

    fire_due_timers(session, now + timedelta(days=1), 1000)  # not due yet
    assert "process_timer_fired" not in item.event_types()

    fire_due_timers(session, now + timedelta(days=2, minutes=1), 1000)
    assert item.event_types().count("process_timer_fired") == 1
    fired = [e for e in item.events() if e.type == "process_timer_fired"][0]
    assert (fired.detail["element"], fired.detail["name"]) == ("remind_accept", "受理提醒")
    session.expire_all()
    case = session.get(Case, item.case.id)
    workflow = load_state(case.state, spec_for(case.process_version))
    assert [t.task_spec.bpmn_id for t in workflow.get_tasks() if t.task_spec.bpmn_id == "note_reminder"]
    assert item.task("accept_item").state == "ready"  # not interrupting: the step stays open
    assert [t.fired_at is not None for t in _process_timers(session, case.id)] == [True]
    # Swept again, nothing fires twice.
    fire_due_timers(session, now + timedelta(days=3), 1000)
    assert item.event_types().count("process_timer_fired") == 1


def test_a_timer_the_item_moved_past_is_taken_along(session, user):
    _deploy_with_reminder(session, user)
    now = datetime.now(UTC)
    item = Item(session, user, "temporary-aid", "village_agent@t2-v2", "t2-v2", now)
    assert len(_process_timers(session, item.case.id)) == 1
    item.do("accept_item", ACCEPT, now + timedelta(hours=1))
    assert _process_timers(session, item.case.id) == []
    fire_due_timers(session, now + timedelta(days=3), 1000)
    assert "process_timer_fired" not in item.event_types()
