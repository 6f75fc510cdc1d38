"""Login for pages (Flask-Login sessions) and bearer tokens for the API (stateless, signed)."""

from __future__ import annotations

import logging
import math
import secrets
import time
from datetime import UTC, datetime, timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from engine.kernel.passwords import check_password
from engine.org import devices
from engine.org.people import end_sessions
from engine.store.models import User
from engine.store.throttle import Attempt, record_failure, wait_seconds

from .extensions import db, login_manager
from .security import local_target

log = logging.getLogger("daiban.security")
bp = Blueprint("auth", __name__)
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please log in to continue.")


class SessionUser(UserMixin):
    """Flask-Login's view of an engine User (the engine stays free of Flask)."""

    def __init__(self, user: User):
        self.user = user
        self.id = str(user.id)

    def __getattr__(self, name):
        return getattr(self.user, name)


def _signed_in(user_id) -> User | None:
    """The request's user with the role assignments every scope check reads (joined: one statement)."""
    return db.session.get(User, user_id, options=[joinedload(User.roles)]) if isinstance(user_id, int) else None


@login_manager.user_loader
def load_user(user_id: str):
    user = _signed_in(int(user_id)) if user_id.isdigit() else None
    return SessionUser(user) if user is not None and user.active and _session_current(user) else None


def _session_current(user: User) -> bool:
    """The signed cookie is only half of a session: it must be of the user's current epoch (not ended by a
    logout or a password reset) and within the idle and absolute timeouts of the settings."""
    now = time.time()
    login_at, seen_at = session.get("login_at"), session.get("seen_at")
    if session.get("epoch") != user.session_epoch or not isinstance(login_at, int) or not isinstance(seen_at, int):
        return False
    if now - login_at > current_app.config["SESSION_HOURS"] * 3600:
        return False
    if now - seen_at > current_app.config["SESSION_IDLE_MINUTES"] * 60:
        return False
    if now - seen_at > 60:  # refresh the idle clock at most once a minute (each refresh rewrites the cookie)
        session["seen_at"] = int(now)
    return True


def start_session(user: User) -> None:
    """A fresh session for the user (nothing carried over from before the login but the language)."""
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    login_user(SessionUser(user))
    now = int(time.time())
    session.update(epoch=user.session_epoch, login_at=now, seen_at=now)
    session.permanent = True  # the cookie expires with the absolute timeout, not with the browser


@login_manager.request_loader
def load_user_from_token(req):
    header = req.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    user = user_for_token(header[7:].strip())
    return SessionUser(user) if user is not None else None


class LoginLocked(Exception):
    """Too many failed logins for this username from here; try again after `seconds`."""

    def __init__(self, seconds: int):
        super().__init__(seconds)
        self.seconds = seconds


DEVICE_COOKIE = "daiban_device"
DEVICE_DAYS = 180


def _device_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="daiban-known-device")


def known_device(user: User | None) -> str | None:
    """The id of this browser if the user has signed in from it before (its signed cookie names them)."""
    value = request.cookies.get(DEVICE_COOKIE)
    if user is None or not value:
        return None
    try:
        payload = _device_serializer().loads(value, max_age=DEVICE_DAYS * 86400)
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(payload, dict) or payload.get("u") != user.id or not isinstance(payload.get("d"), str):
        return None
    return payload["d"]


def remember_device(response, user: User):
    """After a successful login: this browser is now one the user is known to sign in from."""
    if known_device(user) is None:
        value = _device_serializer().dumps({"u": user.id, "d": secrets.token_hex(8)})
        response.set_cookie(
            DEVICE_COOKIE,
            value,
            max_age=DEVICE_DAYS * 86400,
            httponly=True,
            samesite="Lax",
            secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        )
    return response


def authenticate(username: str, password: str) -> User | None:
    """The active user with this password. Failures slow down further attempts (engine/store/throttle.py):
    of this username from this address or known browser, and, for unknown browsers only, of this username
    from anywhere and of this address for any username; a wait is logged for the administrators."""
    user = db.session.scalar(select(User).where(User.username == username))
    attempt = Attempt(username, request.remote_addr or "?", known_device(user))
    wait = wait_seconds(db.session, attempt)
    if wait:
        log.warning(
            "login refused for %d s: username %r from %s%s",
            wait,
            username[:120],
            attempt.address,
            " (known browser)" if attempt.device else "",
        )
        raise LoginLocked(wait)
    if user is None or not user.active or not check_password(user.password_hash, password):
        record_failure(db.session, attempt)
        return None
    return user


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="daiban-api-token")


def issue_token(user: User) -> tuple[str, datetime]:
    hours = current_app.config["TOKEN_HOURS"]
    token = _serializer().dumps({"u": user.id, "p": user.password_hash[-12:], "e": user.session_epoch})
    return token, datetime.now(UTC) + timedelta(hours=hours)


def user_for_token(token: str) -> User | None:
    if token.startswith(devices.PREFIX):  # a phone's device token (engine/org/devices.py)
        found = devices.user_for_device(db.session, token)
        return _signed_in(found[0].id) if found else None
    try:
        payload = _serializer().loads(token, max_age=current_app.config["TOKEN_HOURS"] * 3600)
    except (BadSignature, SignatureExpired):
        return None
    user = _signed_in(payload.get("u")) if isinstance(payload, dict) else None
    # A password change, a reset or a logout invalidates the tokens issued before it.
    if (
        user is None
        or not user.active
        or user.password_hash[-12:] != payload.get("p")
        or user.session_epoch != payload.get("e")
    ):
        return None
    return user


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=120)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(form.username.data.strip(), form.password.data)
        except LoginLocked as locked:
            flash(
                _(
                    "Too many failed logins. Try again in %(minutes)s minutes.",
                    minutes=max(1, math.ceil(locked.seconds / 60)),
                ),
                "error",
            )
            return render_template("auth/login.html", form=form), 429, {"Retry-After": str(locked.seconds)}
        if user is not None:
            start_session(user)
            return remember_device(redirect(local_target(request.args.get("next")) or url_for("inbox.index")), user)
        flash(_("Wrong username or password."), "error")
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    end_sessions(db.session, current_engine_user())
    logout_user()
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


def current_engine_user() -> User:
    return current_user.user
