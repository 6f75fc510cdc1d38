"""Administration pages: people, their roles, passwords, who is online, and the sheet import."""

import json

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.kernel.clock import utcnow
from engine.kernel.errors import DomainError
from engine.org import org_admin, people
from engine.org.admin_scope import require_admin
from engine.org.people_import import FIELDS, REQUIRED, import_people
from engine.org.roles import roles

from ..auth import current_engine_user
from .admin import attempt, bp, posted_mapping, posted_sheet, shown


def _unit_choices():
    return shown(org_admin.active_units)


@bp.get("/people")
def people_list():
    online = request.args.get("online") == "1"
    page = shown(
        people.list_users, request.args.get("q"), online, request.args.get("page"), request.args.get("per_page")
    )
    return render_template(
        "admin/people.html",
        page=page,
        q=request.args.get("q", ""),
        online=online,
        is_online=people.is_online,
        now=utcnow(),
        lockouts=shown(people.login_lockouts),
    )


@bp.route("/people/new", methods=["GET", "POST"])
def person_new():
    errors = {}
    if request.method == "POST":
        body = {
            "username": request.form.get("username", "").strip(),
            "display_name": request.form.get("display_name", ""),
            "password": request.form.get("password"),
            "roles": [{"role": request.form.get("role"), "unit": request.form.get("unit")}]
            if request.form.get("role")
            else [],
        }
        created, errors = attempt(people.create_user, body)
        if created is not None:
            user, password = created
            flash(
                _(
                    "Account %(username)s created. Initial password: %(password)s",
                    username=user.username,
                    password=password,
                ),
                "success",
            )
            return redirect(url_for("admin.person", username=user.username))
    return render_template(
        "admin/person_new.html", roles=roles(), units=_unit_choices(), errors=errors, values=request.form
    ), 422 if errors else 200


@bp.get("/people/<username>")
def person(username, errors=None, status=200):
    user = shown(people.get_user, username)
    return render_template(
        "admin/person.html",
        user=user,
        roles=roles(),
        units=_unit_choices(),
        errors=errors or {},
        online=people.is_online,
        now=utcnow(),
    ), status


def _person_action(username, command, message, *args):
    done, errors = attempt(command, username, *args)
    if done is None:
        return person(username, errors, 422)
    flash(message, "success")
    return redirect(url_for("admin.person", username=username))


@bp.post("/people/<username>/roles")
def assign_role(username):
    return _person_action(
        username, people.assign_role, _("Role assigned."), request.form.get("role"), request.form.get("unit")
    )


@bp.post("/people/<username>/roles/remove")
def remove_role(username):
    return _person_action(
        username, people.remove_role, _("Role removed."), request.form.get("role"), request.form.get("unit")
    )


@bp.post("/people/<username>/deactivate")
def deactivate(username):
    return _person_action(username, people.set_active, _("Deactivated: the account can no longer log in."), False)


@bp.post("/people/<username>/activate")
def activate(username):
    return _person_action(username, people.set_active, _("Activated."), True)


@bp.post("/people/<username>/password")
def reset_password(username):
    password, errors = attempt(people.reset_password, username, request.form.get("password") or None)
    if password is None:
        return person(username, errors, 422)
    flash(_("New password for %(username)s: %(password)s", username=username, password=password), "success")
    return redirect(url_for("admin.person", username=username))


def import_page(kind: str, command, fields, required, action: str, imported):
    """Upload → preview with per-row errors → import. The sheet rides along as JSON between steps."""
    if request.method == "GET":
        return render_template(
            "admin/import.html", kind=kind, fields=fields, required=required, result=None, sheet=None, action=action
        )
    try:
        require_admin(current_engine_user())  # the role first: a leader's upload is never read
    except DomainError:
        abort(403)
    sheet, errors = posted_sheet()
    result = None
    if sheet is not None:
        confirm = request.form.get("confirm") == "1"
        result, errors = attempt(command, sheet, posted_mapping(fields), not confirm)
        if result is not None and confirm:
            return imported(result)
        if result is None and confirm:  # refused: show the preview again with the row errors
            result, _ignored = attempt(command, sheet, posted_mapping(fields), True)
    carried = json.dumps({"headers": sheet.headers, "rows": sheet.rows}, ensure_ascii=False) if sheet else None
    return render_template(
        "admin/import.html",
        kind=kind,
        fields=fields,
        required=required,
        result=result,
        sheet=sheet,
        carried=carried,
        errors=errors,
        action=action,
    ), 200 if result is not None and result["valid"] else 422


@bp.route("/people/import", methods=["GET", "POST"])
def people_import():
    def imported(result):
        flash(_("%(count)s accounts imported.", count=len(result["created"])), "success")
        return render_template("admin/imported_people.html", created=result["created"])

    return import_page("people", import_people, FIELDS, REQUIRED, "admin.people_import", imported)
