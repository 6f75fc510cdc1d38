"""Web hygiene: security headers and CSP, login throttling, hashed passwords, no secret defaults."""

import re

import pytest
from sqlalchemy import delete, select

from engine.kernel.passwords import check_password, hash_password
from engine.store.models import User
from engine.store.throttle import PAIR_FREE, LoginFailure


def test_every_page_has_security_headers_and_a_self_only_csp(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "default-src 'self'" in csp and "unsafe-eval" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "HttpOnly" in response.headers.get("Set-Cookie", "HttpOnly")


def test_templates_have_no_inline_scripts_or_handlers():
    from engine.kernel.settings import ROOT

    for path in (ROOT / "web" / "templates").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        # Data blocks (type="application/json") are not executed; any other script must be a file.
        assert not re.search(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>", text), path
        handler = (
            r"\son(?:abort|blur|change|click|dblclick|error|focus|input|key\w+|load|mouse\w+|reset|scroll"
            r"|select|submit|unload)="
        )
        assert not re.search(handler, text), path
        assert "javascript:" not in text, path


def test_passwords_are_stored_with_scrypt(session):
    user = session.scalar(select(User).where(User.username == "admin"))
    assert user.password_hash.startswith("scrypt$") and "demo" not in user.password_hash
    stored = hash_password("秘密 secret")
    assert check_password(stored, "秘密 secret") and not check_password(stored, "secret")
    assert hash_password("x") != hash_password("x")  # salted


@pytest.fixture
def clean_failures(demo_db):
    yield
    with demo_db() as s:
        s.execute(delete(LoginFailure))
        s.commit()


def test_repeated_failed_logins_make_that_username_wait_from_that_address(client, clean_failures):
    for _ in range(PAIR_FREE):
        assert (
            client.post("/api/v1/auth/token", json={"username": "supervisor@qx", "password": "guess"}).status_code
            == 401
        )
    locked = client.post("/api/v1/auth/token", json={"username": "supervisor@qx", "password": "demo"})
    assert locked.status_code == 429 and locked.mimetype == "application/problem+json"
    assert 0 < int(locked.headers["Retry-After"]) <= 30
    # Another user from elsewhere is unaffected.
    ok = client.post(
        "/api/v1/auth/token",
        json={"username": "analyst@qx", "password": "demo"},
        environ_base={"REMOTE_ADDR": "10.9.9.9"},
    )
    assert ok.status_code == 200


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    from web.app import create_app

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DAIBAN_DEMO", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_behind_a_proxy_the_residents_own_address_counts(monkeypatch, database_url, demo_db):
    from flask import request

    from web.app import create_app

    monkeypatch.setenv("DAIBAN_PROXY_HOPS", "1")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "x", "TESTING": True})

    @app.get("/_whoami")
    def whoami():
        return request.remote_addr or ""

    client = app.test_client()
    seen = client.get("/_whoami", headers={"X-Forwarded-For": "203.0.113.7"}).get_data(as_text=True)
    assert seen == "203.0.113.7"
    monkeypatch.delenv("DAIBAN_PROXY_HOPS")
    direct = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "x", "TESTING": True})
    direct.add_url_rule("/_whoami", view_func=whoami)
    spoofed = direct.test_client().get("/_whoami", headers={"X-Forwarded-For": "203.0.113.7"})
    assert spoofed.get_data(as_text=True) == "127.0.0.1"  # without a proxy the header is not trusted


def test_every_page_names_an_icon_and_favicon_ico_finds_it(client):
    """No 404 for the icon on any page: pages link the SVG, and /favicon.ico (asked for by browsers on
    JSON answers and files) leads to it without a login."""
    assert 'rel="icon"' in client.get("/login").get_data(as_text=True)
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response.location.endswith("/static/favicon.svg")
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
