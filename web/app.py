"""App factory: `create_app()` for gunicorn, the flask CLI and tests."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta

from flask import Flask, jsonify, redirect, url_for
from sqlalchemy import text
from werkzeug.routing import IntegerConverter

from engine.kernel.settings import ROOT, VAR_DIR, Settings

from .extensions import babel, csrf, db, login_manager, migrate
from .i18n import select_locale

MIGRATIONS = ROOT / "migrations"


def _secret_key(settings: Settings) -> str:
    if settings.secret_key:
        return settings.secret_key
    if not settings.demo:
        raise RuntimeError("SECRET_KEY must be set (only the demo may run without one)")
    # Demo mode: one key shared by all workers of this machine, kept under var/.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / "demo_secret_key"
    if not path.exists():
        tmp = path.with_suffix(f".{os.getpid()}")
        tmp.write_text(secrets.token_hex(32))
        os.replace(tmp, path) if not path.exists() else tmp.unlink()
    return path.read_text().strip()


class BoundedInt(IntegerConverter):
    def __init__(self, url_map, fixed_digits=0, min=None, max=2**63 - 1, signed=False):
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def create_app(config: dict | None = None) -> Flask:
    settings = Settings.from_env()
    app = Flask(__name__)
    app.config.update(
        SQLALCHEMY_DATABASE_URI=settings.database_url,
        SQLALCHEMY_ENGINE_OPTIONS={},
        DAIBAN_DEMO=settings.demo,
        TOKEN_HOURS=settings.token_hours,
        SESSION_IDLE_MINUTES=settings.session_idle_minutes,
        SESSION_HOURS=settings.session_hours,
        DEVICE_TOKEN_DAYS=settings.device_token_days,
        IDEMPOTENCY_DAYS=settings.idempotency_days,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_hours),
        BABEL_DEFAULT_LOCALE="zh_CN",
        BABEL_DEFAULT_TIMEZONE="Asia/Shanghai",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=4 * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.config.update(config or {})
    # Ids in URLs fit the database's BIGINT: a larger number is a plain 404, never an overflow.
    app.url_map.converters["int"] = BoundedInt
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(settings)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        from engine.store.db import _sqlite_pragmas

        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"check_same_thread": False, "timeout": 30}}
        app.config["_SQLITE_PRAGMAS"] = _sqlite_pragmas

    from .security import init_input_guard, init_security

    # Cookies are Secure behind HTTPS in production; the local demo runs on plain http.
    init_security(
        app, app.config.get("SECURE_COOKIES", not settings.demo and os.environ.get("DAIBAN_INSECURE_COOKIES") != "1")
    )

    hops = int(os.environ.get("DAIBAN_PROXY_HOPS", "0") or 0)
    if hops:
        # Behind a reverse proxy the resident's own address (rate limits, login throttling) comes
        # from X-Forwarded-For, trusting exactly as many hops as the deployment has.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    init_input_guard(app)
    db.init_app(app)
    from .request_end import register as register_request_end

    register_request_end(app, db)
    if "_SQLITE_PRAGMAS" in app.config:
        from sqlalchemy import event

        with app.app_context():
            event.listen(db.engine, "connect", app.config["_SQLITE_PRAGMAS"])
    migrate.init_app(app, db, directory=str(MIGRATIONS))
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)

    from . import auth, cli, filters, presence
    from .api import api
    from .pages import (
        admin,
        asking,
        asking_public,
        cases,
        devices,
        inbox,
        modeler,
        notices,
        phone,
        printables,
        public,
        rectifications,
        supervision,
        window,
    )

    app.register_blueprint(auth.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(modeler.bp)
    presence.register(app)
    app.register_blueprint(inbox.bp)
    app.register_blueprint(cases.bp)
    app.register_blueprint(printables.bp)
    app.register_blueprint(window.bp)
    app.register_blueprint(supervision.bp)
    app.register_blueprint(rectifications.bp)
    app.register_blueprint(notices.bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(asking.bp)
    app.register_blueprint(asking_public.bp)
    app.register_blueprint(phone.bp)
    app.register_blueprint(devices.bp)
    app.register_blueprint(api)
    csrf.exempt(api)
    cli.register(app)
    filters.register(app)

    @app.get("/")
    def index():
        return redirect(url_for("inbox.index"))

    _error_pages(app)

    @app.get("/favicon.ico")
    def favicon():
        """Browsers ask for /favicon.ico on any URL without a <link rel=icon> (JSON, files)."""
        return redirect(url_for("static", filename="favicon.svg"), code=301)

    @app.get("/healthz")
    def healthz():
        db.session.execute(text("SELECT 1"))
        return jsonify(status="ok")

    @app.get("/readyz")
    def readyz():
        """Ready for traffic: the database answers and its schema is at the code's migration head
        (a load balancer keeps a node out while `flask db upgrade` has not run)."""
        try:
            current = set(db.session.scalars(text("SELECT version_num FROM alembic_version")))
        except Exception:  # no database, or never migrated
            db.session.rollback()
            return jsonify(status="unavailable", detail="database not reachable or not migrated"), 503
        if current != migration_heads():
            return jsonify(status="unavailable", detail="database schema is not at the migration head"), 503
        return jsonify(status="ready")

    return app


_HEADS: set[str] = set()


def migration_heads() -> set[str]:
    """The head revisions of migrations/ (read once per process)."""
    if not _HEADS:
        from alembic.script import ScriptDirectory

        _HEADS.update(ScriptDirectory(str(MIGRATIONS)).get_heads())
    return _HEADS


def _error_pages(app: Flask) -> None:
    """Plain-language error pages; the API answers problem+json instead."""
    from flask import render_template, request
    from flask_babel import gettext as _

    from .api import problem

    def page(status: int, title: str, message: str):
        if request.path.startswith("/api/"):
            return problem(status, title, message)
        return render_template("errors/error.html", title=title, message=message), status

    app.register_error_handler(403, lambda e: page(403, _("Not allowed"), _("Your role may not do this here.")))
    app.register_error_handler(
        404, lambda e: page(404, _("Not found"), _("There is nothing here, or it is not visible to you."))
    )
    app.register_error_handler(
        422, lambda e: page(422, _("Bad request"), _("Some values were not valid; go back and try again."))
    )
    app.register_error_handler(
        413, lambda e: page(413, _("Too large"), _("The upload or form is larger than allowed."))
    )
    app.register_error_handler(
        400, lambda e: page(400, _("Bad request"), _("The form was stale or incomplete; go back and try again."))
    )
