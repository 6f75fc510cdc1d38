"""Failed logins slow an attacker down without locking the real user out (red team finding 5): a back-off per
username and address (or known browser), slower limits per username and per address that only unknown
browsers feel, and the administrators see who is waiting."""

from datetime import timedelta

import pytest
from sqlalchemy import delete

from engine.kernel.clock import utcnow
from engine.store.throttle import ADDRESS_FREE, PAIR_FREE, Attempt, LoginFailure, record_failure, wait_seconds

from .conftest import csrf_token
from .isolated_db import app, demo_db, own_database_url  # noqa: F401  (a fresh database per module)


@pytest.fixture(autouse=True)
def no_failures(session):
    yield
    session.rollback()
    session.execute(delete(LoginFailure))
    session.commit()


def page_login(browser, username, password, address="127.0.0.1"):
    token = csrf_token(browser.get("/login").get_data(as_text=True))
    return browser.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": address},
    )


def token_login(client, username, password, address="127.0.0.1"):
    return client.post(
        "/api/v1/auth/token",
        json={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def test_five_wrong_passwords_do_not_lock_the_user_out_of_their_own_browser_or_another_address(client):
    own_browser = client.application.test_client()
    assert page_login(own_browser, "supervisor@qx", "demo").status_code == 302  # a browser they used before
    for _ in range(PAIR_FREE):
        assert token_login(client, "supervisor@qx", "guess").status_code == 401
    assert token_login(client, "supervisor@qx", "demo").status_code == 429  # the guesser's address waits
    assert token_login(client, "supervisor@qx", "demo", address="10.1.1.1").status_code == 200
    assert page_login(own_browser, "supervisor@qx", "demo").status_code == 302


def test_a_spraying_address_does_not_lock_the_administrator_out(client):
    admin_browser = client.application.test_client()
    assert page_login(admin_browser, "admin", "demo", address="10.0.0.1").status_code == 302
    for n in range(ADDRESS_FREE):
        assert token_login(client, f"nobody{n}", "guess", address="10.0.0.1").status_code == 401
    refused = page_login(client.application.test_client(), "admin", "demo", address="10.0.0.1")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "Too many failed logins" in refused.get_data(as_text=True) or "登录失败次数过多" in refused.get_data(
        as_text=True
    )
    assert page_login(admin_browser, "admin", "demo", address="10.0.0.1").status_code == 302


def test_the_wait_doubles_with_each_failure_and_passes(session):
    now = utcnow()
    attempt = Attempt("analyst@qx", "10.2.2.2")
    for _ in range(PAIR_FREE):
        assert wait_seconds(session, attempt, now) == 0
        record_failure(session, attempt, now)
    assert wait_seconds(session, attempt, now) == 30
    record_failure(session, attempt, now)
    assert wait_seconds(session, attempt, now) == 60
    assert wait_seconds(session, attempt, now + timedelta(seconds=61)) == 0
    assert wait_seconds(session, Attempt("analyst@qx", "10.2.2.3"), now) == 0  # another address goes ahead


def test_administrators_see_who_must_wait(client, api):
    for _ in range(PAIR_FREE):
        token_login(client, "village_agent@t2-v1", "guess", address="10.3.3.3")
    listed = api.call("GET", "/api/v1/admin/login-lockouts", "admin")
    assert {"username": "village_agent@t2-v1", "address": "10.3.3.3"}.items() <= listed[0].items()
    assert listed[0]["failures"] == PAIR_FREE and listed[0]["until"] > listed[0]["last_failure_at"]
    page = api_page(client, api)
    assert "village_agent@t2-v1" in page and "10.3.3.3" in page
    api.call("GET", "/api/v1/admin/login-lockouts", "village_agent@t1-v1", expect=403)


def api_page(client, api):
    browser = client.application.test_client()
    page_login(browser, "admin", "demo", address="10.9.9.9")
    return browser.get("/admin/people").get_data(as_text=True)
