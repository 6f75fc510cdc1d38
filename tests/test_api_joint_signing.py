"""Joint signing (issue 17): 会签 all, 或签 any, 票签 vote per catalog item, 减签 and a new lead
department while a joint handling runs, through the API as the demo users (docs/api.md)."""

import pytest

from engine.read.consistency import check_consistency
from engine.read.context import case_outcome
from engine.store.models import Case

from .isolated_db import app, demo_db, own_database_url  # noqa: F401  (a fresh database per module)

WINDOW, LEAD, ADMIN = "county_window@qx-window", "department_handler@qx-zrzy", "admin"
ITEM = "house-building"  # three county departments: qx-zrzy (the lead), qx-nync, qx-zjj


def _mode(api, joint_mode, vote_share=None):
    body = {"joint_mode": joint_mode, **({"vote_share": vote_share} if vote_share is not None else {})}
    return api.call("POST", f"/api/v1/admin/catalog/items/{ITEM}", ADMIN, body)


def _at_departments(api, village="t1-v1"):
    case = api.open_case(f"village_agent@{village}", ITEM, village)
    case, _ = api.run_to_end(case, until="handle_in_department")
    return case


def _parts(case) -> dict:
    return {t["org_unit"]: t["id"] for t in case["open_tasks"] if t["task"] == "handle_in_department"}


def _answer(api, case, unit, approved=True):
    task = _parts(case)[unit]
    body = {"data": {"approved": approved, "opinion": "同意" if approved else "不同意"}}
    return api.call("POST", f"/api/v1/tasks/{task}/complete", f"department_handler@{unit}", body)


def _open(case) -> list[tuple[str, str]]:
    return sorted((t["task"], t["org_unit"]) for t in case["open_tasks"] if t["task"] != "status_notice")


def _consistent(session):
    session.expire_all()
    assert check_consistency(session) == []


@pytest.fixture(autouse=True)
def countersign(api):
    """Each test sets the mode it needs; the item is back to 会签 afterwards."""
    yield
    current = next(i for i in api.call("GET", "/api/v1/catalog", None) if i["code"] == ITEM)
    if current["joint_mode"] != "all":
        _mode(api, "all")


def test_the_catalog_says_how_departments_decide_and_refuses_a_bad_share(api):
    item = next(i for i in api.call("GET", "/api/v1/catalog", None) if i["code"] == ITEM)
    assert item["joint_mode"] == "all" and item["vote_share"] is None
    bad = api.call("POST", f"/api/v1/admin/catalog/items/{ITEM}", ADMIN, {"joint_mode": "vote"}, expect=422)
    assert set(bad["errors"]) == {"vote_share"}
    for share in (0, 1.5, "half", -0.2, True):
        body = {"joint_mode": "vote", "vote_share": share}
        api.call("POST", f"/api/v1/admin/catalog/items/{ITEM}", ADMIN, body, expect=422)
    bad = api.call("POST", f"/api/v1/admin/catalog/items/{ITEM}", ADMIN, {"joint_mode": "most"}, expect=422)
    assert set(bad["errors"]) == {"joint_mode"}
    changed = _mode(api, "vote", "0.5")
    assert changed["joint_mode"] == "vote" and changed["vote_share"] == 0.5
    assert _mode(api, "any")["vote_share"] is None  # a share only means something for a vote


def test_or_signing_finishes_on_the_first_answer_and_withdraws_the_other_parts(api, session):
    _mode(api, "any")
    case = _at_departments(api)
    assert sorted(_parts(case)) == ["qx-nync", "qx-zjj", "qx-zrzy"]
    withdrawn = {u: t for u, t in _parts(case).items() if u != "qx-nync"}
    case = _answer(api, case, "qx-nync")
    assert _open(case) == [("consolidate", "qx-zrzy")]
    done = [e for e in case["events"] if e["type"] == "task_completed"][-1]
    assert sorted(w["unit"] for w in done["detail"]["withdrawn"]) == ["qx-zjj", "qx-zrzy"]
    for unit, task in withdrawn.items():
        assert api.call("GET", f"/api/v1/tasks/{task}", f"department_handler@{unit}")["state"] == "cancelled"
        inbox = api.call("GET", "/api/v1/tasks?scope=available&per_page=100", f"department_handler@{unit}")
        assert task not in [t["id"] for t in inbox["items"]]
        body = {"data": {"approved": True, "opinion": "同意"}}
        api.call("POST", f"/api/v1/tasks/{task}/complete", f"department_handler@{unit}", body, expect=409)
    case, _ = api.run_to_end(case)
    assert case["status"] == "archived"
    _consistent(session)


@pytest.mark.parametrize(("share", "passed"), [(0.66, True), (0.67, False)])
def test_a_vote_passes_or_fails_at_its_threshold(api, session, share, passed):
    """Two of three departments agree: 2/3 reaches a share of 0.66, not one of 0.67."""
    _mode(api, "vote", share)
    case = _at_departments(api)
    case = _answer(api, case, "qx-zrzy")
    case = _answer(api, case, "qx-nync", approved=False)
    assert _open(case) == [("handle_in_department", "qx-zjj")]  # a vote waits for every department
    case = _answer(api, case, "qx-zjj")
    step = "consolidate" if passed else "consolidate_not_passed"
    assert _open(case) == [(step, "qx-zrzy")]
    task = next(t for t in case["open_tasks"] if t["task"] == step)
    detail = api.call("GET", f"/api/v1/tasks/{task['id']}", LEAD)
    assert (detail["data"]["vote_passed"], detail["data"]["votes_for"], detail["data"]["votes_cast"]) == (passed, 2, 3)
    if not passed:  # a vote that did not pass cannot be answered as approved
        body = {"data": {"approved": True, "answer": "同意"}}
        api.call("POST", f"/api/v1/tasks/{task['id']}/complete", LEAD, body, expect=422)
    case, _ = api.run_to_end(case)
    assert case["status"] == "archived"
    session.expire_all()
    answer, _ = case_outcome(session, session.get(Case, case["id"]))
    assert answer["approved"] is passed and answer["unit"]["code"] == "qx-zrzy"  # the lead's answer
    _consistent(session)
