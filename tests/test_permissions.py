"""The permission table (config/permissions.toml): it loads and rejects unknown names; each action is
allowed to the role and relation its row names and refused to every other demo role; the engine
offers exactly those actions, and the API shows them. The one inbox gives pages and API the same
items for every scope (SQLite and PostgreSQL)."""

import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from engine.cases import actions, commands
from engine.cases.permissions import (
    RELATIONS,
    PermissionTableError,
    allowed,
    available_actions,
    parse_table,
    require,
    table,
)
from engine.cases.timer_sweep import fire_due_timers
from engine.kernel.errors import Forbidden, NotFound
from engine.org.org import unit_by_code
from engine.org.roles import roles
from engine.read.inbox import SCOPES
from engine.store.models import TaskRow

from .scenario import HOUSE_MATERIALS

RESIDENT = {"name": "赵大爷", "phone": "13900007777", "village": "t1-v1"}
ACCEPT = {"materials_complete": True, "commission_signed": True}
# The demo user of each role nearest to an item of village t1-v1 (same village, township, county).
NEAR = {
    "group_agent": "group_agent@t1-v1-g1",
    "village_agent": "village_agent@t1-v1",
    "township_reception": "township_reception@t1",
    "station_handler": "station_handler@t1-mzs",
    "township_agent": "township_agent@t1",
    "county_window": "county_window@qx-window",
    "department_handler": "department_handler@qx-zrzy",
    "supervisor": "supervisor@qx",
    "discipline_inspector": "discipline_inspector@t1",
    "analyst": "analyst@qx",
    "admin": "admin",
    "leader": "leader@qx",
}


def _open(session, user):
    return commands.open_case(session, user("village_agent@t1-v1"), "house-building", RESIDENT, "建房", HOUSE_MATERIALS)


def _ready(session, case, name):
    return session.scalars(
        select(TaskRow).where(TaskRow.case_id == case.id, TaskRow.state == "ready", TaskRow.spec_name == name)
    ).first()


def _complete(session, user, case, name, username, data):
    row = _ready(session, case, name)
    commands.complete_task(session, user(username), row.id, data)
    return row


def _at_review(session, user):
    """An item whose township review is ready at t1 (accept_item completed by the village agent)."""
    case = _open(session, user)
    accept = _complete(session, user, case, "accept_item", "village_agent@t1-v1", ACCEPT)
    return case, accept, _ready(session, case, "township_review")


def _at_departments(session, user):
    case, _, _ = _at_review(session, user)
    _complete(session, user, case, "township_review", "township_reception@t1", {"opinion": "报县"})
    _complete(session, user, case, "sort_to_departments", "county_window@qx-window", {})
    session.refresh(case)
    return case


def _others(user, *allowed_names):
    """Users of every demo role near the item, except the allowed ones."""
    return [user(name) for name in NEAR.values() if name not in allowed_names]


def test_the_table_loads_with_known_relations_and_roles():
    rows = table()
    assert {"claim", "unclaim", "complete", "return", "withdraw", "delegate", "transfer", "add_department"} <= set(rows)
    for row in rows.values():
        assert row.label and row.label_en and row.refused
        for rule in row.rules:
            assert rule.relation in RELATIONS and (rule.roles is None or rule.roles <= set(roles()))
    assert set(NEAR) == set(roles())  # the refusal tests below cover every role


@pytest.mark.parametrize(
    ("rules", "error"),
    [
        ('[{ relation = "task_watcher" }]', "unknown relation"),
        ('[{ relation = "anywhere", roles = ["mayor"] }]', "unknown role mayor"),
        ('[{ relation = "anywhere" }]', "needs roles"),
        ('[{ relation = "claimer", roles = ["admin"] }]', "takes no roles"),
        ("[]", "at least one rule"),
    ],
)
def test_an_unknown_relation_or_role_fails_when_the_table_loads(rules, error):
    text = f"""[claim]
target = "task"
label = "签收"
label_en = "Take"
refused = "this task belongs to another role or unit"
state = "ready_unclaimed"
rules = {rules}
"""
    with pytest.raises(PermissionTableError, match=error):
        parse_table(text)
    with pytest.raises(PermissionTableError, match="unknown state"):
        parse_table(text.replace("ready_unclaimed", "someday").replace(rules, '[{ relation = "claimer" }]'))
    with pytest.raises(PermissionTableError, match="untranslated"):
        parse_table(text.replace("this task belongs", "a task belongs").replace(rules, '[{ relation = "claimer" }]'))


@pytest.mark.parametrize("action", ["claim", "complete", "return", "transfer", "delegate"])
def test_task_actions_belong_to_the_tasks_role_at_its_unit(session, user, action):
    case, _, review = _at_review(session, user)
    holders = ("township_reception@t1", "township_reception2@t1")
    for name in holders:
        assert allowed(session, user(name), action, case, review), name
    for other in _others(user, *holders) + [user("township_reception@t2")]:
        assert not allowed(session, other, action, case, review), other.username
        with pytest.raises(Forbidden) as refused:
            require(session, other, action, case, review)
        assert refused.value.message == table()[action].refused


def test_the_commands_refuse_whom_the_table_refuses(session, user):
    case, _, review = _at_review(session, user)
    for other in _others(user, "township_reception@t1"):
        with pytest.raises((Forbidden, NotFound)):  # NotFound: the case is not even visible to them
            commands.claim_task(session, other, review.id)
        session.rollback()
    assert session.get(TaskRow, review.id).assignee_id is None


def test_only_the_claimer_or_an_administrator_releases_a_task(session, user):
    case, _, review = _at_review(session, user)
    commands.claim_task(session, user("township_reception@t1"), review.id)
    for name in ("township_reception@t1", "admin"):
        assert allowed(session, user(name), "unclaim", case, review)
    for other in _others(user, "township_reception@t1", "admin") + [user("township_reception2@t1")]:
        assert not allowed(session, other, "unclaim", case, review), other.username
    # Claimed by a colleague: the other holder is offered nothing but may still see the task.
    assert available_actions(session, user("township_reception2@t1"), case, review) == []
    assert available_actions(session, user("admin"), case, review) == ["unclaim"]


def test_only_the_completer_withdraws_a_step(session, user):
    case, accept, _ = _at_review(session, user)
    session.refresh(accept)
    assert allowed(session, user("village_agent@t1-v1"), "withdraw", case, accept)
    assert "withdraw" in available_actions(session, user("village_agent@t1-v1"), case, accept)
    for other in _others(user, "village_agent@t1-v1") + [user("village_agent2@t1-v1")]:
        assert not allowed(session, other, "withdraw", case, accept), other.username
        with pytest.raises((Forbidden, NotFound)):
            actions.withdraw_task(session, other, accept.id, "不是我办的")
        session.rollback()


def test_the_lead_department_or_the_window_adds_a_department(session, user):
    case = _at_departments(session, user)
    lead, window = "department_handler@qx-zrzy", "county_window@qx-window"
    for name in (lead, window):
        assert allowed(session, user(name), "add_department", case)
        assert allowed(session, user(name), "remove_department", case)  # 减签: the same two
    # Both have a step; only the window names another lead.
    assert available_actions(session, user(lead), case) == ["add_department", "remove_department", "cc", "attach"]
    assert available_actions(session, user(window), case) == [
        "add_department",
        "remove_department",
        "change_lead",
        "cc",
        "attach",
    ]
    for other in _others(user, "department_handler@qx-zrzy", "county_window@qx-window") + [
        user("department_handler@qx-nync")
    ]:
        assert not allowed(session, other, "add_department", case), other.username
        assert not allowed(session, other, "remove_department", case), other.username
        assert not allowed(session, other, "change_lead", case), other.username
        assert "add_department" not in available_actions(session, other, case)
    # 抄送 and attaching are offered to whoever holds one of its tasks (the other department), else to nobody.
    assert available_actions(session, user("department_handler@qx-nync"), case) == ["cc", "attach"]
    assert available_actions(session, user("supervisor@qx"), case) == []
    with pytest.raises(Forbidden):
        actions.add_department(session, user("department_handler@qx-nync"), case, "qx-mzj", "需民政意见")


def test_the_window_dispatches_its_sorting_step_and_nothing_else(session, user):
    case, _, review = _at_review(session, user)
    assert not allowed(session, user("county_window@qx-window"), "dispatch", case, review)  # not a sorting step
    _complete(session, user, case, "township_review", "township_reception@t1", {"opinion": "报县"})
    sort = _ready(session, case, "sort_to_departments")
    assert allowed(session, user("county_window@qx-window"), "dispatch", case, sort)
    for other in _others(user, "county_window@qx-window"):
        assert not allowed(session, other, "dispatch", case, sort), other.username
    assert "dispatch" not in available_actions(session, user("county_window@qx-window"), case, sort)  # a list action


def test_the_township_agent_receives_the_townships_batch(session, user):
    t1 = unit_by_code(session, "t1")
    batch = SimpleNamespace(township_id=t1.id, status="scheduled")  # what the rule reads of a batch
    assert allowed(session, user("township_agent@t1"), "receive_batch", None, batch=batch)
    assert available_actions(session, user("township_agent@t1"), None, batch=batch) == ["receive_batch"]
    for other in _others(user, "township_agent@t1") + [user("township_agent@t2")]:
        assert not allowed(session, other, "receive_batch", None, batch=batch), other.username
    batch.status = "received"
    assert available_actions(session, user("township_agent@t1"), None, batch=batch) == []


def test_available_actions_of_a_ready_task(session, user):
    case, _, review = _at_review(session, user)
    holder = user("township_reception@t1")
    offered = available_actions(session, holder, case, review)
    assert {"complete", "claim", "return", "transfer", "delegate"} <= set(offered)
    assert "unclaim" not in offered and "withdraw" not in offered
    # Only the first-ask agent, the county window (once it sees the item), supervisors and the township's
    # discipline committee may urge (催办) it.
    urgers = {"village_agent@t1-v1", "county_window@qx-window", "supervisor@qx", "discipline_inspector@t1"}
    for outsider in _others(user, "township_reception@t1"):
        expected = ["urge"] if outsider.username in urgers else []
        assert available_actions(session, outsider, case, review) == expected, outsider.username
    commands.claim_task(session, holder, review.id)
    offered = available_actions(session, holder, case, review)
    assert "unclaim" in offered and "claim" not in offered and "complete" in offered


def test_an_analysts_test_run_is_the_analysts_alone(session, user):
    from engine.library.processes import live_version

    analyst = user("analyst@qx")
    case = commands.start_test_run(session, analyst, live_version(session, "proxy_case"), {"village": "t1-v1"})
    row = session.scalars(select(TaskRow).where(TaskRow.case_id == case.id, TaskRow.state == "ready")).first()
    assert "complete" in available_actions(session, analyst, case, row)
    assert available_actions(session, user("village_agent@t1-v1"), case, row) == []


def test_the_api_shows_available_actions(api, session):
    case = api.open_case("village_agent@t1-v1", "house-building", "t1-v1")
    case, _ = api.step(case, {"accept_item": ACCEPT})
    review = case["open_tasks"][0]
    detail = api.call("GET", f"/api/v1/tasks/{review['id']}", "township_reception@t1")
    assert {"complete", "claim", "return", "transfer", "delegate"} <= set(detail["available_actions"])
    assert api.call("GET", f"/api/v1/tasks/{review['id']}", "supervisor@qx")["available_actions"] == ["urge"]
    # On the item itself the township, whose step is open, may copy it and attach scans; the supervisor only watches.
    assert api.call("GET", f"/api/v1/cases/{case['id']}", "township_reception@t1")["available_actions"] == [
        "cc",
        "attach",
    ]
    assert api.call("GET", f"/api/v1/cases/{case['id']}", "supervisor@qx")["available_actions"] == []
    case, _ = api.step(case, {"township_review": {"opinion": "报县"}})
    case, _ = api.step(case)  # the window sorts it to the departments
    shown = api.call("GET", f"/api/v1/cases/{case['id']}", "county_window@qx-window")
    assert shown["available_actions"] == ["add_department", "remove_department", "change_lead", "cc", "attach"]


def _page_ids(client, scope: str, query: str = "") -> list[str]:
    html = client.get(f"/inbox?scope={scope}&per_page=100{query}").get_data(as_text=True)
    return list(dict.fromkeys(re.findall(r'href="/tasks/([0-9a-f-]{36})"', html)))


def _api_ids(api, username: str, scope: str, query: str = "&village=t1-v2") -> list[str]:
    """The scope's first page, filtered to this test's village (other tests' items are listed too)."""
    listed = api.call("GET", f"/api/v1/tasks?scope={scope}&per_page=100{query}", username)["items"]
    return [t["id"] for t in listed if t["kind"] == "task"]  # the steps of items (the page's /tasks/ links)


def test_pages_and_api_list_the_same_tasks_in_every_scope(api, login, demo_db):
    case = api.open_case("village_agent@t1-v2", "temporary-aid", "t1-v2")
    case, _ = api.step(case)  # the village agent's done list has it; the township review is open
    review = case["open_tasks"][0]
    with demo_db() as session:  # the worker, three weeks on: the review is overdue
        fire_due_timers(session, datetime.now(UTC) + timedelta(days=21), 10_000)
    for username in ("village_agent@t1-v2", "township_reception@t1", "supervisor@qx", "discipline_inspector@t1"):
        client = login(username)
        for scope in SCOPES:
            for query in ("", "&village=t1-v2"):
                assert _page_ids(client, scope, query) == _api_ids(api, username, scope, query), (username, scope)
    assert review["id"] in _page_ids(login("supervisor@qx"), "overdue", "&village=t1-v2")
    for overseer in ("supervisor@qx", "discipline_inspector@t1"):
        assert review["id"] in _api_ids(api, overseer, "overdue")
    assert review["id"] not in _api_ids(api, "discipline_inspector@t2", "overdue")
    assert review["id"] in _api_ids(api, "township_reception@t1", "overdue")  # the holder's own work
    assert case["open_tasks"][0]["id"] not in _api_ids(api, "village_agent@t1-v2", "overdue")


def test_the_api_refuses_an_unknown_scope(api):
    api.call("GET", "/api/v1/tasks?scope=everything", "supervisor@qx", expect=422)
