"""Signing in and out (red team findings 4 and 8): no redirect to another site after login, and a session
ends for good at logout, at a password reset and after the idle and absolute timeouts."""

import pytest

from .conftest import csrf_token
from .isolated_db import app, demo_db, own_database_url  # noqa: F401  (a fresh database per module)


def sign_in(flask_app, username="village_agent@t1-v1", password="demo", next_=None):
    client = flask_app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    query = {"next": next_} if next_ is not None else {}
    response = client.post(
        "/login", query_string=query, data={"username": username, "password": password, "csrf_token": token}
    )
    return client, response


@pytest.mark.parametrize(
    "target",
    [
        "/\t/evil.example",
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "https://evil.example/",
        "/\n/evil.example",
        " //evil.example",
        "javascript:alert(1)",
        "/\x00/evil.example",
    ],
)
def test_login_never_redirects_to_another_site(client, target):
    _client, response = sign_in(client.application, next_=target)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith("//") and "evil" not in location


def test_login_returns_to_the_page_the_user_asked_for(client):
    _client, response = sign_in(client.application, next_="/inbox?scope=mine")
    assert response.headers["Location"] == "/inbox?scope=mine"


def _replay(flask_app, cookie: str, path="/inbox"):
    """A different browser presenting a copied session cookie."""
    thief = flask_app.test_client()
    thief.set_cookie("session", cookie)
    return thief.get(path)


def test_a_session_cookie_replayed_after_logout_is_signed_out(client):
    agent, _response = sign_in(client.application, "village_agent@t1-v3")
    assert agent.get("/inbox").status_code == 200
    cookie = agent.get_cookie("session").value
    assert _replay(client.application, cookie).status_code == 200
    page = agent.get("/inbox").get_data(as_text=True)
    assert agent.post("/logout", data={"csrf_token": csrf_token(page)}).status_code == 302
    replayed = _replay(client.application, cookie)
    assert replayed.status_code == 302 and "/login" in replayed.headers["Location"]


def test_logout_also_ends_the_api_tokens_issued_before(client):
    token = client.post("/api/v1/auth/token", json={"username": "village_agent@t2-v1", "password": "demo"}).get_json()[
        "token"
    ]
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    agent, _response = sign_in(client.application, "village_agent@t2-v1")
    page = agent.get("/inbox").get_data(as_text=True)
    agent.post("/logout", data={"csrf_token": csrf_token(page)})
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_a_password_reset_ends_the_users_web_sessions(client, api):
    agent, _response = sign_in(client.application, "village_agent@t2-v2")
    assert agent.get("/inbox").status_code == 200
    api.call("POST", "/api/v1/admin/users/village_agent@t2-v2/password", "admin", {"password": "new-secret-5"})
    assert agent.get("/inbox").status_code == 302
    again, response = sign_in(client.application, "village_agent@t2-v2", "new-secret-5")
    assert response.status_code == 302 and again.get("/inbox").status_code == 200


def test_a_session_ends_after_the_idle_timeout_and_after_the_absolute_timeout(client):
    agent, _response = sign_in(client.application, "village_agent@t2-v3")
    idle = client.application.config["SESSION_IDLE_MINUTES"] * 60
    with agent.session_transaction() as stored:
        stored["seen_at"] -= idle - 120  # used two minutes before the idle limit: still signed in
    assert agent.get("/inbox").status_code == 200
    with agent.session_transaction() as stored:
        stored["seen_at"] -= idle + 60
    assert agent.get("/inbox").status_code == 302

    agent, _response = sign_in(client.application, "village_agent@t2-v3")
    with agent.session_transaction() as stored:
        stored["login_at"] -= client.application.config["SESSION_HOURS"] * 3600 + 60  # busy all day long
    assert agent.get("/inbox").status_code == 302


def test_another_site_cannot_use_an_administrators_page_session_on_the_api(client):
    admin, _response = sign_in(client.application, "admin")
    path = "/api/v1/admin/users/village_agent@t3-v1/password"
    forged = admin.post(path, data={"password": "attacker-1"}, headers={"Origin": "http://evil.example"})
    assert forged.status_code == 403
    no_token = admin.post(path, data={"password": "attacker-1"})
    assert no_token.status_code == 403
    assert admin.post(path, json={"password": "attacker-1"}, headers={"Origin": "http://localhost"}).status_code == 403
    signed_out, response = sign_in(client.application, "village_agent@t3-v1")
    assert response.status_code == 302  # the password is unchanged

    # The modeler's way: our own page's CSRF token in the header.
    page = admin.get("/inbox").get_data(as_text=True)
    own = admin.post(path, json={}, headers={"X-CSRFToken": csrf_token(page), "Origin": "http://localhost"})
    assert own.status_code == 200
