"""Administration API: org tree, people, only admins; every change is one audit event."""

from sqlalchemy import func, select

from engine.store.models import Event, OrgUnit, User

from .isolated_db import app, demo_db, own_database_url  # noqa: F401  (a fresh database per module)


def events(session, type_):
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Event).where(Event.type == type_))


def test_only_administrators_may_use_the_admin_api(api, client):
    for path in (
        "/api/v1/admin/units",
        "/api/v1/admin/users",
        "/api/v1/admin/calendar",
        "/api/v1/admin/users/admin",
        "/api/v1/admin/catalog/items/house-building/versions",
    ):
        api.call("GET", path, "village_agent@t1-v1", expect=403)
        api.call("GET", path, "supervisor@qx", expect=403)
        assert client.get(path).status_code == 401
    api.call(
        "POST",
        "/api/v1/admin/units",
        "analyst@qx",
        {"code": "x", "name": "x", "kind": "village", "parent": "t1"},
        expect=403,
    )
    api.call("POST", "/api/v1/admin/units/t1-v1/retire", "township_reception@t1", expect=403)


def test_admin_creates_renames_and_retires_units_each_with_one_event(api, session):
    before = events(session, "unit_created")
    township = api.call(
        "POST",
        "/api/v1/admin/units",
        "admin",
        {"code": "t9", "name": "九曲乡", "kind": "township", "parent": "qx"},
        expect=201,
    )
    assert township["path"] == "/qx/t9/" and township["parent"] == "qx"
    assert events(session, "unit_created") == before + 1
    api.call(
        "POST",
        "/api/v1/admin/units",
        "admin",
        {"code": "t9-v1", "name": "九曲村", "kind": "village", "parent": "t9"},
        expect=201,
    )
    bad = api.call(
        "POST",
        "/api/v1/admin/units",
        "admin",
        {"code": "T9 V2", "name": "", "kind": "group", "parent": "t9"},
        expect=422,
    )
    assert set(bad["errors"]) == {"code", "name", "parent"}  # a group hangs under a village
    renamed = api.call("POST", "/api/v1/admin/units/t9/rename", "admin", {"name": "九曲镇", "name_en": "Jiuqu"})
    assert renamed["name"] == "九曲镇"
    codes = {u["code"]: u for u in api.call("GET", "/api/v1/org/units", "admin")}
    assert codes["t9"]["name"] == "九曲镇"

    refused = api.call("POST", "/api/v1/admin/units/t9/retire", "admin", expect=409)
    assert refused["errors"]["units"] == ["t9-v1"]
    assert api.call("POST", "/api/v1/admin/units/t9-v1/retire", "admin")["active"] is False
    assert api.call("POST", "/api/v1/admin/units/t9/retire", "admin")["active"] is False
    assert "t9" not in {u["code"] for u in api.call("GET", "/api/v1/org/units", "admin")}
    listed = api.call("GET", "/api/v1/admin/units?per_page=100", "admin")
    assert listed["total"] > 50 and any(u["code"] == "t9" and not u["active"] for u in listed["items"])
    assert events(session, "unit_retired") >= 2


def test_a_unit_with_open_items_is_retired_only_after_they_move(api, session):
    api.call(
        "POST",
        "/api/v1/admin/units",
        "admin",
        {"code": "t1-v8", "name": "八里村", "kind": "village", "parent": "t1"},
        expect=201,
    )
    api.call(
        "POST",
        "/api/v1/admin/users",
        "admin",
        {
            "username": "agent-t1-v8",
            "display_name": "八里村代办员",
            "password": "secret-123",
            "roles": [{"role": "village_agent", "unit": "t1-v8"}],
        },
        expect=201,
    )
    api.password = "secret-123"
    case = api.open_case("agent-t1-v8", "temporary-aid", "t1-v8")
    api.password = "demo"
    refused = api.call("POST", "/api/v1/admin/units/t1-v8/retire", "admin", expect=409)
    assert refused["errors"]["open_items"] == [case["receipt_code"]]
    assert api.call("GET", "/api/v1/admin/units?include_retired=0&per_page=100", "admin")["items"]


def test_moving_a_village_moves_its_subtree_and_its_reports(api, session):
    for body in (
        {"code": "t7", "name": "七星乡", "kind": "township", "parent": "qx"},
        {"code": "t8", "name": "八角乡", "kind": "township", "parent": "qx"},
        {"code": "t7-v1", "name": "七星村", "kind": "village", "parent": "t7"},
        {"code": "t7-v1-g1", "name": "七星村一组", "kind": "group", "parent": "t7-v1"},
    ):
        api.call("POST", "/api/v1/admin/units", "admin", body, expect=201)
    api.call(
        "POST",
        "/api/v1/admin/users",
        "admin",
        {
            "username": "agent-t7-v1",
            "display_name": "七星村代办员",
            "password": "secret-123",
            "roles": [{"role": "village_agent", "unit": "t7-v1"}],
        },
        expect=201,
    )
    api.password = "secret-123"
    api.open_case("agent-t7-v1", "other-inquiry", "t7-v1")
    api.password = "demo"

    def opened(unit):
        return api.call("GET", f"/api/v1/reports/summary?unit={unit}", "admin")["opened"]

    county_before = opened("qx")
    assert (opened("t7"), opened("t8")) == (1, 0)
    bad = api.call("POST", "/api/v1/admin/units/t7-v1/move", "admin", {"parent": "t7-v1-g1"}, expect=422)
    assert "parent" in bad["errors"]
    moved = api.call("POST", "/api/v1/admin/units/t7-v1/move", "admin", {"parent": "t8"})
    assert moved["path"] == "/qx/t8/t7-v1/" and moved["parent"] == "t8"
    session.expire_all()
    assert session.scalar(select(OrgUnit.path).where(OrgUnit.code == "t7-v1-g1")) == "/qx/t8/t7-v1/t7-v1-g1/"
    assert (opened("t7"), opened("t8"), opened("qx")) == (0, 1, county_before)
    assert events(session, "unit_moved") >= 1


def test_people_accounts_roles_deactivation_passwords_and_presence(api, client, session):
    created = api.call(
        "POST",
        "/api/v1/admin/users",
        "admin",
        {"username": "wang.li", "display_name": "王丽", "roles": [{"role": "village_agent", "unit": "t1-v2"}]},
        expect=201,
    )
    first = created["initial_password"]
    assert len(first) >= 8 and created["roles"] == [{"role": "village_agent", "org_unit": "t1-v2"}]

    def login(pw):
        return client.post("/api/v1/auth/token", json={"username": "wang.li", "password": pw}).status_code

    assert login(first) == 200
    api.call("POST", "/api/v1/admin/users", "admin", {"username": "wang.li", "display_name": "x"}, expect=422)

    user = api.call("POST", "/api/v1/admin/users/wang.li/roles", "admin", {"role": "group_agent", "unit": "t1-v2-g1"})
    assert {"role": "group_agent", "org_unit": "t1-v2-g1"} in user["roles"]
    api.call("POST", "/api/v1/admin/users/wang.li/roles", "admin", {"role": "pilot", "unit": "t1-v2"}, expect=422)
    user = api.call(
        "POST", "/api/v1/admin/users/wang.li/roles/remove", "admin", {"role": "village_agent", "unit": "t1-v2"}
    )
    assert user["roles"] == [{"role": "group_agent", "org_unit": "t1-v2-g1"}]

    reset = api.call("POST", "/api/v1/admin/users/wang.li/password", "admin", {"password": "new-secret-1"})
    assert reset["password"] == "new-secret-1" and login(first) == 401 and login("new-secret-1") == 200

    token = client.post("/api/v1/auth/token", json={"username": "wang.li", "password": "new-secret-1"}).json["token"]
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    online = api.call("GET", "/api/v1/admin/users?online=1&per_page=100", "admin")["items"]
    assert "wang.li" in {u["username"] for u in online}

    assert api.call("POST", "/api/v1/admin/users/wang.li/deactivate", "admin")["active"] is False
    assert login("new-secret-1") == 401
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert session.scalar(select(User).where(User.username == "wang.li")) is not None  # never deleted
    api.call("POST", "/api/v1/admin/users/admin/deactivate", "admin", expect=409)
    assert api.call("POST", "/api/v1/admin/users/wang.li/activate", "admin")["active"] is True
    assert login("new-secret-1") == 200
    found = api.call("GET", "/api/v1/admin/users?q=王丽", "admin")
    assert [u["username"] for u in found["items"]] == ["wang.li"]
    for type_ in (
        "user_created",
        "role_assigned",
        "role_removed",
        "password_reset",
        "user_deactivated",
        "user_activated",
    ):
        assert events(session, type_) >= 1, type_


def test_unknown_user_is_404(api):
    api.call("GET", "/api/v1/admin/users/nobody-here", "admin", expect=404)
