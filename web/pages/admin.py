"""Administration pages (/admin): org tree, people, catalog and its approvals, calendar, ledger import.

Only administrators (and, for catalog approvals, leaders) get past the door; each action is one engine
command, which checks the role again and records the audit event.
"""

import json

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import gettext as _
from flask_login import current_user, login_required

from engine.kernel.errors import DomainError, Invalid
from engine.kernel.i18n import N_
from engine.kernel.sheets import MAX_ROWS, Sheet, checked_sheet, read_sheet
from engine.kernel.vocabulary import CATALOG_APPROVER_ROLES, Role, UnitKind
from engine.org import org_admin
from engine.org.access import has_role
from engine.org.org import KINDS

from ..auth import current_engine_user
from ..extensions import db
from ..nav import guarded
from ..security import json_too_deep
from . import flash_error

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def only_admins():
    user = current_engine_user()
    if not any(has_role(user, r) for r in CATALOG_APPROVER_ROLES):
        abort(403)


def attempt(command, *args, **kwargs):
    """Run an engine command; returns (result, field errors). 403/404 become those pages."""
    try:
        return command(db.session, current_engine_user(), *args, **kwargs), {}
    except DomainError as err:
        db.session.rollback()
        if err.status in (403, 404) and not err.errors:
            abort(err.status)
        flash(gettext(err.message), "error")
        return None, {f: gettext(m) if isinstance(m, str) else m for f, m in err.errors.items()}


def shown(command, *args, **kwargs):
    """A read-only engine query for a page: any refusal is the plain error page."""
    try:
        return command(db.session, current_engine_user(), *args, **kwargs)
    except DomainError as err:
        abort(err.status if err.status in (403, 404) else 400)


def posted_sheet() -> tuple[Sheet | None, dict]:
    """The sheet of an import form: a fresh upload, or the one carried from the preview as JSON."""
    upload = request.files.get("file")
    try:
        if upload is not None and upload.filename:
            return read_sheet(upload.filename, upload.read()), {}
        raw = request.form.get("sheet") or "null"
        carried = json.loads(raw) if not json_too_deep(raw.encode()) else None
        if isinstance(carried, dict) and len(carried["rows"]) <= MAX_ROWS:
            headers = [str(h) for h in carried["headers"]]
            rows = [(int(n), [str(c) for c in cells]) for n, cells in carried["rows"]]
            return checked_sheet(headers, rows), {}
    except (ValueError, KeyError, TypeError):
        pass
    except Invalid as err:
        return None, flash_error(err)
    return None, flash_error(Invalid(N_("choose an .xlsx or .csv sheet"), {"file": N_("required")}))


def posted_mapping(fields) -> dict | None:
    mapping = {f: request.form.get(f"map_{f}") for f in fields if request.form.get(f"map_{f}")}
    return mapping or None


@bp.get("")
@guarded
def index():
    user = current_engine_user()
    return redirect(url_for("admin.units" if has_role(user, "admin") else "admin.catalog"))


@bp.get("/units")
def units():
    page = shown(org_admin.list_units, request.args.get("page"), request.args.get("per_page", 100))
    return render_template("admin/units.html", page=page, kinds=KINDS, errors={}, values={}, parents=_parents())


def _parents():
    return shown(org_admin.active_units, (UnitKind.COUNTY, UnitKind.TOWNSHIP, UnitKind.VILLAGE))


@bp.post("/units")
def create_unit():
    unit, errors = attempt(org_admin.create_unit, request.form.to_dict())
    if unit is not None:
        flash(_("Unit %(name)s created.", name=unit.name), "success")
        return redirect(url_for("admin.unit", code=unit.code))
    page = shown(org_admin.list_units, 1, 100)
    return render_template(
        "admin/units.html", page=page, kinds=KINDS, errors=errors, values=request.form, parents=_parents()
    ), 422


@bp.get("/units/<code>")
def unit(code, errors=None, status=200, blocking=None):
    from engine.org.admin_scope import require_admin, unit_in_scope

    paths = shown(lambda s, u: require_admin(u))
    try:
        found = unit_in_scope(db.session, paths, code)
    except DomainError:
        abort(404)
    parents = [
        u
        for u in shown(org_admin.active_units, org_admin.PARENT_KINDS[found.kind])
        if u.id != found.parent_id and not u.path.startswith(found.path)
    ]
    return render_template(
        "admin/unit.html", unit=found, parents=parents, errors=errors or {}, blocking=blocking or {}
    ), status


@bp.post("/units/<code>/rename")
def rename_unit(code):
    unit_, errors = attempt(org_admin.rename_unit, code, request.form.to_dict())
    if unit_ is None:
        return unit(code, errors, 422)
    flash(_("Renamed."), "success")
    return redirect(url_for("admin.unit", code=code))


@bp.post("/units/<code>/move")
def move_unit(code):
    unit_, errors = attempt(org_admin.move_unit, code, request.form.get("parent"))
    if unit_ is None:
        return unit(code, errors, 422)
    flash(_("Moved under %(parent)s.", parent=unit_.parent.name), "success")
    return redirect(url_for("admin.unit", code=code))


@bp.post("/units/<code>/retire")
def retire_unit(code):
    unit_, errors = attempt(org_admin.retire_unit, code)
    if unit_ is None:
        return unit(code, {}, 409, blocking=errors)
    flash(_("Retired. Its history stays."), "success")
    return redirect(url_for("admin.unit", code=code))


@bp.app_context_processor
def admin_links():
    """Whether the top bar shows the administration link (admins) or the approvals link (leaders)."""
    if not current_user.is_authenticated:
        return {}
    user = current_user.user
    return {"is_admin": has_role(user, Role.ADMIN), "is_leader": has_role(user, Role.LEADER)}


from . import admin_catalog, admin_people  # noqa: E402,F401  (more admin routes on this blueprint)
