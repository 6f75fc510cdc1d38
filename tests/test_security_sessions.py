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
