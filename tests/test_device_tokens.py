"""The phone's sign-in: a device token issued to a signed-in agent works as a bearer token for its limited
life, is listed for its user and the administrator, and stops working once either revokes it, once it
expires, or once the password changes."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.org import devices
from engine.store.device_tables import DeviceToken
from engine.store.models import User

from .conftest import csrf_token

AGENT = "village_agent@t1-v1"


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


def _issue(api, client, name="红米手机"):
    response = client.post("/api/v1/devices", json={"name": name}, headers=_bearer(api.token(AGENT)))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_device_token_signs_the_phone_in_for_seven_days(api, client, app):
    issued = _issue(api, client)
    assert issued["token"].startswith("dv_") and issued["state"] == "active" and issued["user"] == AGENT
    me = client.get("/api/v1/me", headers=_bearer(issued["token"]))
    assert me.status_code == 200 and me.get_json()["username"] == AGENT
    with app.app_context():
        from web.extensions import db

        row = db.session.get(DeviceToken, issued["id"])
        life = row.expires_at - row.created_at
        assert life == timedelta(days=7)
        assert row.token_hash != issued["token"]  # only the hash is kept


def test_the_user_lists_and_revokes_their_phone_and_it_stops_working(api, client):
    issued = _issue(api, client, "旧手机")
    listed = client.get("/api/v1/devices", headers=_bearer(api.token(AGENT))).get_json()
    assert issued["id"] in [d["id"] for d in listed] and all("token" not in d for d in listed)
    other = client.delete(f"/api/v1/devices/{issued['id']}", headers=_bearer(api.token("village_agent@t1-v2")))
    assert other.status_code == 404  # another agent's phone is not theirs to see
    revoked = client.delete(f"/api/v1/devices/{issued['id']}", headers=_bearer(api.token(AGENT)))
    assert revoked.status_code == 200 and revoked.get_json()["state"] == "revoked"
    assert client.get("/api/v1/me", headers=_bearer(issued["token"])).status_code == 401


def test_the_administrator_lists_and_revokes_an_agents_phone(api, client):
    issued = _issue(api, client, "丢失的手机")
    admin = _bearer(api.token("admin@qx"))
    everyone = client.get("/api/v1/devices?all=1", headers=admin).get_json()
    assert issued["id"] in [d["id"] for d in everyone]
    assert client.get("/api/v1/devices?all=1", headers=_bearer(api.token(AGENT))).status_code == 403
    assert client.delete(f"/api/v1/devices/{issued['id']}", headers=admin).status_code == 200
    assert client.get("/api/v1/me", headers=_bearer(issued["token"])).status_code == 401


def test_an_expired_or_forged_token_is_refused(api, client, session):
    issued = _issue(api, client, "过期手机")
    user = session.scalar(select(User).where(User.username == AGENT))
    row = session.get(DeviceToken, issued["id"])
    assert devices.user_for_device(session, issued["token"]) is not None
    assert devices.user_for_device(session, issued["token"], row.expires_at + timedelta(seconds=1)) is None
    assert devices.user_for_device(session, "dv_" + "x" * 43) is None
    assert client.get("/api/v1/me", headers=_bearer("dv_forged")).status_code == 401
    assert user.active


@pytest.mark.parametrize("name", ["", "x" * 81, None])
def test_a_missing_or_overlong_device_name_falls_back_to_a_plain_one(api, client, name):
    assert _issue(api, client, name)["name"] == "手机"


def test_a_device_name_with_control_characters_is_refused(api, client):
    response = client.post("/api/v1/devices", json={"name": "a\u202eb"}, headers=_bearer(api.token(AGENT)))
    assert response.status_code == 422


def test_my_phones_page_lists_and_ends_a_phone_and_the_administrator_sees_everyones(api, client, login):
    issued = _issue(api, client, "田间手机")
    page = login(AGENT)
    html = page.get("/devices/").get_data(as_text=True)
    assert "我的手机" in html and "田间手机" in html and issued["token"] not in html
    token = csrf_token(html)
    admin = login("admin@qx")
    everyone = admin.get("/devices/?all=1").get_data(as_text=True)
    assert "田间手机" in everyone and AGENT in everyone
    assert "田间手机" not in login("village_agent@t1-v2").get("/devices/").get_data(as_text=True)
    ended = page.post(f"/devices/{issued['id']}/revoke", data={"csrf_token": token}, follow_redirects=True)
    assert "该手机已退出登录" in ended.get_data(as_text=True)
    assert client.get("/api/v1/me", headers=_bearer(issued["token"])).status_code == 401
