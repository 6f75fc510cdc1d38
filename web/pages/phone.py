"""The village agent's phone app at /m/ (issue 22): an installable web app (manifest, service worker,
icons) whose pages are a shell with no personal data; its script fills them from what the phone keeps in
IndexedDB (the offline bundle of GET /api/v1/phone/offline) and queues new items and visits there until
they are sent with their Idempotency-Key (web/static/phone/). docs/phone.md says what the phone keeps."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required

bp = Blueprint("phone", __name__, url_prefix="/m")

STATIC = Path(__file__).resolve().parent.parent / "static"
# What the service worker keeps so the app opens with no network: the pages and what they load.
SHELL_PAGES = (
    "phone.home",
    "phone.new_item",
    "phone.visit",
    "phone.households",
    "phone.progress",
    "phone.inbox",
    "phone.task",
)
SHELL_FILES = (
    "phone/phone.css",
    "phone/store.js",
    "phone/outbox.js",
    "phone/app.js",
    "phone/icon-192.png",
    "phone/icon-512.png",
    "vendor/idb/umd.js",
    "favicon.svg",
)


def _strings() -> dict:
    """The words the script shows, from the Babel catalogs (zh-CN first)."""
    return {
        "queued": _("Waiting to be sent"),
        "sending": _("Sending…"),
        "sent": _("Sent"),
        "failed": _("Refused by the server"),
        "new_item": _("New item"),
        "visit": _("Visit"),
        "correct": _("Correct and send again"),
        "offline": _("No network: records are kept on this phone and sent when the network returns."),
        "online": _("Online"),
        "no_sign_in": _("This phone is not signed in."),
        "no_data": _("Nothing kept on this phone yet: sign in while online."),
        "fetched": _("Data of"),
        "unsent_wipe": _("%(count)s records not yet sent will be deleted from this phone.", count="{n}"),
        "network_error": _("No answer from the server; will try again."),
        "photo_too_big": _("The photo is still larger than 3 MB after compression; take it again closer."),
        "photo_ready": _("Photo ready"),
        "no_households": _("No households in your villages are kept on this phone."),
        "no_tasks": _("No open tasks."),
        "no_items": _("You have not opened any items yet."),
        "open_task": _("Open the task form"),
        "due": _("Due"),
        "visit_household": _("Record a visit"),
        "last_visit": _("Last visit"),
        "never": _("never"),
        "required": _("required"),
        "choose": _("Choose…"),
        "receipt": _("Receipt code"),
        "material": _("Material"),
        "other_material": _("Other"),
        "photos": _("photos"),
        "needs_network": _("Completing a task needs a network; the form stays here until then."),
        "completed": _("The step is completed."),
    }


@cache
def _shell_version(static: Path) -> str:
    """Changes whenever a shell file changes, so phones replace their cached shell on the next visit."""
    digest = hashlib.sha256()
    for name in SHELL_FILES:
        path = static / name
        digest.update(path.read_bytes() if path.is_file() else name.encode())
    for template in sorted((Path(current_app.root_path) / "templates" / "phone").glob("*.html")):
        digest.update(template.read_bytes())
    return digest.hexdigest()[:16]


def _page(template: str, **context):
    return render_template(f"phone/{template}", strings=_strings(), **context)


@bp.get("/")
def home():
    return _page("home.html")


@bp.get("/new")
def new_item():
    return _page("new.html")


@bp.get("/visit")
def visit():
    return _page("visit.html")


@bp.get("/households")
def households():
    return _page("households.html")


@bp.get("/progress")
def progress():
    return _page("progress.html")


@bp.get("/inbox")
def inbox():
    return _page("inbox.html")


@bp.get("/task")
def task():
    """A task's form, drawn from the form kept with the task; completing it needs a network."""
    return _page("task.html")


@bp.get("/sign-in")
@login_required
def sign_in():
    """After the login page: this phone gets its device token (the script asks the API with the session's CSRF
    token) and keeps it in IndexedDB."""
    return _page("sign_in.html", days=current_app.config["DEVICE_TOKEN_DAYS"])


@bp.get("/manifest.webmanifest")
def manifest():
    body = {
        "name": _("Daiban for village agents"),
        "short_name": _("Daiban"),
        "lang": "zh-CN",
        "start_url": url_for("phone.home"),
        "scope": url_for("phone.home"),
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#b42318",
        "icons": [
            {
                "src": url_for("static", filename=f"phone/icon-{size}.png"),
                "sizes": f"{size}x{size}",
                "type": "image/png",
            }
            for size in (192, 512)
        ]
        + [
            {
                "src": url_for("static", filename="phone/icon-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            }
        ],
    }
    response = current_app.json.response(body)
    response.mimetype = "application/manifest+json"
    return response


@bp.get("/sw.js")
def service_worker():
    """The service worker, served from /m/ so its scope is the app; it lists the shell to keep."""
    urls = [url_for(p) for p in SHELL_PAGES] + [url_for("static", filename=f) for f in SHELL_FILES]
    script = render_template("phone/sw.js", version=_shell_version(STATIC), urls=urls)
    response = Response(script, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response
