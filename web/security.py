"""Web hygiene: security headers on every response, cookie flags, and a strict CSP that
allows only our own static files (county networks serve everything themselves)."""

import re
from urllib.parse import urlsplit

from flask import Flask, request

from engine.kernel.text import has_unsafe_characters

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; "
    "object-src 'none'"
)
# bpmn-js sets inline styles on the SVG it draws, hence 'unsafe-inline' for styles (never for scripts).


def init_security(app: Flask, secure_cookies: bool) -> None:
    app.config.update(
        SESSION_COOKIE_SECURE=secure_cookies, REMEMBER_COOKIE_SECURE=secure_cookies, REMEMBER_COOKIE_HTTPONLY=True
    )

    @app.after_request
    def headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.endpoint != "static":
            # Pages, API answers and files show residents' names, phones and scans: never kept by a browser's
            # cache or a proxy on a shared county computer. Only our own static assets are cached.
            response.headers["Cache-Control"] = "no-store"
            response.headers["Pragma"] = "no-cache"
        if secure_cookies:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


MAX_JSON_DEPTH = 32  # no request of ours nests deeper than a handful of levels
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_JSON_BRACKET = re.compile(rb"[\[\]{}]")


def json_too_deep(data: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Nested deeper than `limit`, measured on the raw bytes before any parser recurses into them
    (one linear pass over the brackets outside strings; most bodies have too few brackets to need it)."""
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    depth = 0
    for bracket in _JSON_BRACKET.findall(_JSON_STRING.sub(b"", data)):
        depth += 1 if bracket in (b"[", b"{") else -1
        if depth > limit:
            return True
    return False


def _has_control_characters(value) -> bool:
    """Any text anywhere in a parsed body (walked without recursion)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if has_unsafe_characters(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def init_input_guard(app: Flask) -> None:
    """Refuse, before any view sees it, a JSON body nested too deeply for a parser (a 400, never a
    RecursionError and its traceback per request), and text with control characters (NUL and friends):
    PostgreSQL cannot store NUL in text, and no resident's name or request contains one."""
    from flask import abort
    from flask_babel import gettext as _

    @app.before_request
    def control_characters():
        if has_unsafe_characters(request.path):  # no code, id or username has one: names nothing (and
            abort(404)  # PostgreSQL would refuse the lookup)
        if request.method in ("GET", "HEAD", "OPTIONS"):
            values = list(request.args.values())
        elif request.mimetype == "application/json" or request.mimetype.endswith("+json"):
            if json_too_deep(request.get_data(cache=True)):
                if request.path.startswith("/api/"):
                    from .api import problem

                    message = _("The JSON body is nested too deeply.")
                    return problem(400, "Bad Request", message, {"body": message})
                abort(400)
            values = [request.get_json(silent=True)]
        else:
            values = list(request.form.values())
        if any(_has_control_characters(v) for v in values):
            if request.path.startswith("/api/"):
                from .api import problem

                return problem(
                    422,
                    "Unprocessable Entity",
                    _("The input contains control characters."),
                    {"body": _("The input contains control characters.")},
                )
            abort(400)


def local_target(target) -> str | None:
    r"""`target` if it is a same-site relative path, after normalising it the way a browser would; else None.

    Browsers drop tabs and line breaks inside a URL and read a backslash as a slash, so `/\t/evil.example`
    and `/\evil.example` both mean `//evil.example`, another site: those are refused, not passed on."""
    if not isinstance(target, str):
        return None
    cleaned = "".join(c for c in target if c not in "\t\r\n")
    if any(ord(c) < 32 or ord(c) == 127 or c == "\\" for c in cleaned):
        return None
    parts = urlsplit(cleaned)
    if parts.scheme or parts.netloc or not cleaned.startswith("/") or cleaned.startswith("//"):
        return None
    return cleaned
