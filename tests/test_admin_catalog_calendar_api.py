"""Catalog changes and approvals (准入审批), the holiday calendar and deadlines, through the admin API."""

from datetime import UTC, date, datetime

from sqlalchemy import func, select

from engine.cases import commands
from engine.cases.calendar_admin import set_year
from engine.library.catalog import current_item, sync_catalog
from engine.store.calendar import default_calendar
from engine.store.models import Case, Event, TaskRow

from .isolated_db import app, demo_db, own_database_url  # noqa: F401  (a fresh database per module)

NEW_ITEM = {
    "name": "农机购置补贴申请",
    "name_en": "Farm machinery subsidy",
    "category": "other",
    "kind": "promised",
    "level": "county",
    "departments": ["agriculture_rural"],
    "time_limit_days": 10,
    "materials": ["身份证", "购机发票"],
    "fee": 0,
}


def test_changing_an_item_makes_a_new_version_and_open_cases_keep_theirs(api, session):
    before = api.open_case("village_agent@t2-v1", "other-inquiry", "t2-v1")
    current = next(i for i in api.call("GET", "/api/v1/catalog", None) if i["code"] == "other-inquiry")
    changed = api.call(
        "POST",
        "/api/v1/admin/catalog/items/other-inquiry",
        "admin",
        {"time_limit_days": current["time_limit_days"] + 2, "materials": ["身份证"]},
    )
    assert changed["version"] == current["version"] + 1 and changed["origin"] == "admin"
    live = next(i for i in api.call("GET", "/api/v1/catalog", None) if i["code"] == "other-inquiry")
    assert live["version"] == changed["version"] and live["materials"] == ["身份证"]
    after = api.open_case("village_agent@t2-v1", "other-inquiry", "t2-v1")
    session.expire_all()
    assert session.get(Case, before["id"]).catalog_item.version == current["version"]
    assert session.get(Case, after["id"]).catalog_item.version == changed["version"]
    versions = api.call("GET", "/api/v1/admin/catalog/items/other-inquiry/versions", "admin")
    assert [v["active"] for v in versions][-2:] == [False, True]
    assert sync_catalog(session) == 0  # restarting with the unchanged file keeps the administrator's version
    session.commit()
    assert current_item(session, "other-inquiry").version == changed["version"]
    api.call("POST", "/api/v1/admin/catalog/items/other-inquiry", "admin", {"kind": "odd"}, expect=422)
    api.call("POST", "/api/v1/admin/catalog/items/no-such-item", "admin", {"name": "x"}, expect=404)
    api.call("POST", "/api/v1/admin/catalog/items/other-inquiry", "supervisor@qx", {"fee": 1}, expect=403)


def test_a_new_item_enters_the_catalog_only_when_a_leader_approves(api, session):
    proposal = api.call(
        "POST", "/api/v1/admin/catalog/proposals", "admin", {**NEW_ITEM, "code": "farm-machinery"}, expect=201
    )
    assert proposal["status"] == "pending" and proposal["task"]["role"] == "leader"
    assert proposal["process"]["key"] == "catalog_approval"
    assert "farm-machinery" not in {i["code"] for i in api.call("GET", "/api/v1/catalog", None)}
    api.call("POST", "/api/v1/admin/catalog/proposals", "admin", {**NEW_ITEM, "code": "farm-machinery"}, expect=422)
    path = f"/api/v1/admin/catalog/proposals/{proposal['id']}/decide"
    api.call("POST", path, "admin", {"data": {"decision": "approve", "opinion": "同意"}}, expect=403)
    bad = api.call("POST", path, "leader@qx", {"data": {"decision": "maybe"}}, expect=422)
    assert set(bad["errors"]) == {"decision", "opinion"}
    done = api.call("POST", path, "leader@qx", {"data": {"decision": "approve", "opinion": "同意准入"}})
    assert done["status"] == "approved" and done["decided_by"] == "leader@qx" and done["catalog_version"] == 1
    item = next(i for i in api.call("GET", "/api/v1/catalog", None) if i["code"] == "farm-machinery")
    assert item["materials"] == ["身份证", "购机发票"] and item["time_limit_days"] == 10
    api.call("POST", path, "leader@qx", {"data": {"decision": "approve", "opinion": "again"}}, expect=409)
    assert api.call("GET", f"/api/v1/admin/catalog/proposals/{proposal['id']}", "leader@qx")["status"] == "approved"
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Event).where(Event.type == "catalog_item_approved")) >= 1


def test_a_rejected_item_stays_out_of_the_catalog(api):
    proposal = api.call(
        "POST",
        "/api/v1/admin/catalog/proposals",
        "admin",
        {**NEW_ITEM, "code": "fishing-permit", "name": "捕捞许可"},
        expect=201,
    )
    done = api.call(
        "POST",
        f"/api/v1/admin/catalog/proposals/{proposal['id']}/decide",
        "leader@qx",
        {"decision": "reject", "opinion": "不属于代办范围"},
    )
    assert done["status"] == "rejected" and done["catalog_version"] is None
    assert "fishing-permit" not in {i["code"] for i in api.call("GET", "/api/v1/catalog", None)}
    pending = api.call("GET", "/api/v1/admin/catalog/proposals?status=rejected", "leader@qx")
    assert "fishing-permit" in {p["code"] for p in pending}
    api.call("GET", "/api/v1/admin/catalog/proposals", "village_agent@t1-v1", expect=403)


def test_a_calendar_change_recomputes_open_deadlines_with_an_event_per_case(api, session, user):
    # A case opened on Monday 2031-03-03 with a 5-working-day item is due Monday 2031-03-10.
    opened = datetime(2031, 3, 3, 2, 0, tzinfo=UTC)
    case = commands.open_case(
        session,
        user("village_agent@t3-v1"),
        "temporary-aid",
        {"name": "刘婶", "phone": "13900001111", "village": "t3-v1"},
        "临时救助",
        [],
        now=opened,
    )
    limit = case.catalog_item.time_limit_days
    old_due = case.due_at
    saved = api.call(
        "POST", "/api/v1/admin/calendar/2031", "admin", {"holidays": ["2031-03-04", "2031-03-05"], "workdays": []}
    )
    assert saved["cases_recomputed"] >= 1 and saved["holidays"] == ["2031-03-04", "2031-03-05"]
    session.expire_all()
    case = session.get(Case, case.id)
    assert (case.due_at - old_due).days == 2 if limit >= 2 else case.due_at > old_due
    task = session.scalar(select(TaskRow).where(TaskRow.case_id == case.id, TaskRow.state == "ready"))
    assert task.due_at <= case.due_at
    recomputed = session.scalars(
        select(Event).where(Event.case_id == case.id, Event.type == "deadline_recomputed")
    ).all()
    assert len(recomputed) == 1 and recomputed[0].detail["tasks"] >= 0
    years = {y["year"]: y for y in api.call("GET", "/api/v1/admin/calendar", "admin")}
    assert {2025, 2026, 2031} <= set(years) and years[2031]["revision"] == 1
    bad = api.call(
        "POST",
        "/api/v1/admin/calendar/2031",
        "admin",
        {"holidays": ["2030-01-01"], "workdays": ["2031-03-05"]},
        expect=422,
    )
    assert set(bad["errors"]) == {"holidays", "workdays"}
    # Back as it was: the deadline returns, with another event.
    set_year(session, user("admin"), 2031, [], [])
    session.expire_all()
    assert session.get(Case, case.id).due_at == old_due
    calendar = default_calendar(session)
    assert calendar is default_calendar(session)  # cached until the calendar's version changes
    set_year(session, user("admin"), 2031, ["2031-12-31"], [])
    assert default_calendar(session) is not calendar and not default_calendar(session).is_working_day(
        date(2031, 12, 31)
    )
