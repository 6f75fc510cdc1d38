"""JSON API v1 (docs/api.md): paths and fields are a stable contract."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, jsonify, request
from flask_babel import gettext
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from werkzeug.exceptions import HTTPException
from wtforms import ValidationError

from engine.kernel.errors import DomainError, Invalid
from engine.kernel.i18n import N_

api = Blueprint("api", __name__, url_prefix="/api/v1")


def problem(status: int, title: str, detail: str = "", errors: dict | None = None):
    body = {"title": title, "detail": detail or title, "status": status}
    if errors is not None:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


@api.errorhandler(DomainError)
def domain_error(err: DomainError):
    from ..extensions import db

    db.session.rollback()
    errors = {k: (v if not isinstance(v, str) else gettext(v)) for k, v in err.errors.items()}
    # Validation errors name fields; a conflict may name what stands in the way (e.g. open items).
    return problem(
        err.status, gettext(err.message), gettext(err.message), errors if err.status == 422 or errors else None
    )


@api.errorhandler(HTTPException)
def http_error(err: HTTPException):
    return problem(err.code or 500, err.name, err.description or err.name)


@api.before_request
def cookie_sessions_need_csrf_and_origin():
    """The API is for bearer tokens; a page session may use it too (the modeler does) but, like a form, only
    with the page's CSRF token and from our own origin, so another site cannot make a signed-in
    administrator's browser post to it."""
    if request.method in ("GET", "HEAD", "OPTIONS") or request.headers.get("Authorization", "").startswith("Bearer "):
        return None
    if not current_user.is_authenticated:
        return None
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    if origin is not None and urlsplit(origin).netloc != request.host:
        return problem(403, "Forbidden", gettext("Requests from another site are refused."))
    try:
        validate_csrf(request.headers.get("X-CSRFToken") or request.form.get("csrf_token"))
    except ValidationError:
        return problem(
            403, "Forbidden", gettext("A signed-in page must send its CSRF token; other clients a bearer token.")
        )
    return None


def token_required(view):
    """Bearer token (or a page session) required; otherwise 401."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return problem(401, "Unauthorized", gettext("A valid bearer token is required."))
        return view(*args, **kwargs)

    return wrapper


def json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise Invalid(N_("the body must be a JSON object"), {"body": N_("a JSON object")})
    return body


from . import (  # noqa: E402,F401
    routes_admin,
    routes_asking,
    routes_cases,
    routes_library,
    routes_meta,
    routes_modeler,
    routes_notices,
    routes_phone,
    routes_rectifications,
    routes_supervision,
    routes_workspace,
)
