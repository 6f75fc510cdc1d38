"""Administration API (/api/v1/admin/...): the org tree, people and the people import. Admins only."""

import json

from flask import jsonify, request

from engine.kernel.errors import Invalid
from engine.kernel.i18n import N_
from engine.kernel.sheets import Sheet, read_sheet
from engine.org import org_admin, people
from engine.org.admin_scope import require_admin
from engine.org.people_import import import_people
from engine.store.paging import iso

from ..auth import current_engine_user
from ..extensions import db
from . import api, json_body, token_required


def run_import(command, may_upload=require_admin):
    """An import endpoint: a preview (200) with `dry_run`, else the import (201) or 422 with nothing written.

    Only an upload its sender may make is read at all: `may_upload` (the administrator's role, unless the
    import says otherwise) is checked before the sheet is opened."""
    may_upload(current_engine_user())
    sheet, mapping, dry_run = uploaded_sheet()
    result = command(db.session, current_engine_user(), sheet, mapping, dry_run)
    return jsonify(result), 200 if dry_run else 201


def uploaded_sheet() -> tuple[Sheet, dict | None, bool]:
    """The multipart `file` (.xlsx or .csv), an optional JSON `mapping` {field: heading}, and `dry_run`."""
    upload = request.files.get("file")
    if upload is None:
        raise Invalid(N_("attach the sheet as `file`"), {"file": N_("required")})
    sheet = read_sheet(upload.filename or "", upload.read())
    mapping = request.form.get("mapping") or None
    if mapping is not None:
        try:
            mapping = json.loads(mapping)
        except ValueError:
            mapping = None
        if not isinstance(mapping, dict):
            raise Invalid(N_("the mapping must be a JSON object"), {"mapping": N_("a JSON object")})
    dry_run = (request.args.get("dry_run") or request.form.get("dry_run") or "").lower() in ("1", "true", "yes")
    return sheet, mapping, dry_run


@api.get("/admin/units")
@token_required
def admin_units():
    page = org_admin.list_units(
        db.session,
        current_engine_user(),
        request.args.get("page"),
        request.args.get("per_page"),
        request.args.get("include_retired", "1") != "0",
    )
    return jsonify(page.to_dict(org_admin.unit_dict))


@api.post("/admin/units")
@token_required
def admin_create_unit():
    unit = org_admin.create_unit(db.session, current_engine_user(), json_body())
    return jsonify(org_admin.unit_dict(unit)), 201


@api.post("/admin/units/<code>/rename")
@token_required
def admin_rename_unit(code):
    return jsonify(org_admin.unit_dict(org_admin.rename_unit(db.session, current_engine_user(), code, json_body())))


@api.post("/admin/units/<code>/move")
@token_required
def admin_move_unit(code):
    body = json_body()
    return jsonify(
        org_admin.unit_dict(org_admin.move_unit(db.session, current_engine_user(), code, body.get("parent")))
    )


@api.post("/admin/units/<code>/retire")
@token_required
def admin_retire_unit(code):
    return jsonify(org_admin.unit_dict(org_admin.retire_unit(db.session, current_engine_user(), code)))


@api.get("/admin/users")
@token_required
def admin_users():
    page = people.list_users(
        db.session,
        current_engine_user(),
        request.args.get("q"),
        request.args.get("online") in ("1", "true"),
        request.args.get("page"),
        request.args.get("per_page"),
    )
    return jsonify(page.to_dict(people.user_dict))


@api.post("/admin/users")
@token_required
def admin_create_user():
    user, password = people.create_user(db.session, current_engine_user(), json_body())
    return jsonify({**people.user_dict(user), "initial_password": password}), 201


@api.get("/admin/users/<username>")
@token_required
def admin_user(username):
    return jsonify(people.user_dict(people.get_user(db.session, current_engine_user(), username)))


def _role_change(command, username):
    body = json_body()
    return jsonify(
        people.user_dict(command(db.session, current_engine_user(), username, body.get("role"), body.get("unit")))
    )


@api.post("/admin/users/<username>/roles")
@token_required
def admin_assign_role(username):
    return _role_change(people.assign_role, username)


@api.post("/admin/users/<username>/roles/remove")
@token_required
def admin_remove_role(username):
    return _role_change(people.remove_role, username)


@api.post("/admin/users/<username>/deactivate")
@token_required
def admin_deactivate(username):
    return jsonify(people.user_dict(people.set_active(db.session, current_engine_user(), username, False)))


@api.post("/admin/users/<username>/activate")
@token_required
def admin_activate(username):
    return jsonify(people.user_dict(people.set_active(db.session, current_engine_user(), username, True)))


@api.post("/admin/users/<username>/password")
@token_required
def admin_reset_password(username):
    body = request.get_json(silent=True) or {}
    password = people.reset_password(
        db.session, current_engine_user(), username, body.get("password") if isinstance(body, dict) else None
    )
    return jsonify(username=username, password=password)


@api.get("/admin/login-lockouts")
@token_required
def admin_login_lockouts():
    return jsonify(
        [
            {**lock, "last_failure_at": iso(lock["last_failure_at"]), "until": iso(lock["until"])}
            for lock in people.login_lockouts(db.session, current_engine_user())
        ]
    )


@api.post("/admin/users/import")
@token_required
def admin_import_people():
    return run_import(import_people)


from . import routes_admin_catalog  # noqa: E402,F401  (catalog, calendar, ledger)
