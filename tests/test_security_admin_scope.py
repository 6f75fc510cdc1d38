"""A township administrator manages only the township's own people (red team finding 1).

A county account that also holds a township role must stay out of the township administrator's reach:
resetting its password or deactivating it would hand the whole county to the township."""

from .isolated_db import app, demo_db, own_database_url  # noqa: F401  (a fresh database per module)


def _township_admin_and_a_county_admin_with_a_township_role(api, client):
    if (
        client.get(
            "/api/v1/admin/users/t1.admin", headers={"Authorization": f"Bearer {api.token('admin')}"}
        ).status_code
        == 200
    ):
        return api.call("POST", "/api/v1/auth/token", None, {"username": "t1.admin", "password": "township-1"})["token"]
    api.call(
        "POST",
        "/api/v1/admin/users",
        "admin",
        {
            "username": "t1.admin",
            "display_name": "乡管理员",
            "password": "township-1",
            "roles": [{"role": "admin", "unit": "t1"}],
        },
        expect=201,
    )
    api.call(
        "POST",
        "/api/v1/admin/users",
        "admin",
        {
            "username": "county.boss",
            "display_name": "县管理员",
            "password": "county-boss-1",
            "roles": [{"role": "admin", "unit": "qx"}, {"role": "township_reception", "unit": "t1"}],
        },
        expect=201,
    )
    api.password = "township-1"
    token = api.token("t1.admin")
    api.password = "demo"
    return token


def test_a_township_admin_cannot_reset_or_deactivate_a_county_admin_holding_a_township_role(client, api):
    token = _township_admin_and_a_county_admin_with_a_township_role(api, client)
    auth = {"Authorization": f"Bearer {token}"}
    for path, body in (
        ("/api/v1/admin/users/county.boss/password", {"password": "taken-over-1"}),
        ("/api/v1/admin/users/county.boss/deactivate", {}),
        ("/api/v1/admin/users/county.boss/roles", {"role": "village_agent", "unit": "t1-v1"}),
        ("/api/v1/admin/users/county.boss/roles/remove", {"role": "township_reception", "unit": "t1"}),
    ):
        assert client.post(path, json=body, headers=auth).status_code == 404, path
    assert client.get("/api/v1/admin/users/county.boss", headers=auth).status_code == 404
    listed = client.get("/api/v1/admin/users?q=county.boss", headers=auth).get_json()
    assert listed["total"] == 0
    # The county admin's password still works and the account is still active.
    assert (
        client.post("/api/v1/auth/token", json={"username": "county.boss", "password": "county-boss-1"}).status_code
        == 200
    )


def test_a_township_admin_still_manages_the_township_own_staff(client, api):
    token = _township_admin_and_a_county_admin_with_a_township_role(api, client)
    auth = {"Authorization": f"Bearer {token}"}
    reset = client.post("/api/v1/admin/users/village_agent@t1-v2/password", json={}, headers=auth)
    assert reset.status_code == 200 and len(reset.get_json()["password"]) >= 8
    listed = client.get("/api/v1/admin/users?per_page=200", headers=auth).get_json()["items"]
    assert listed and all(all(r["org_unit"].startswith("t1") for r in u["roles"]) for u in listed)
    assert "admin" not in {u["username"] for u in listed}
