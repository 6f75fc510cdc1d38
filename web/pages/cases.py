"""Cases: the list of items I may see, the intake form, the case page with its timeline,
attachments and the joint handling's 加签."""

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required

from engine.cases import actions, commands, joint
from engine.cases.attachments import (
    MAX_BYTES,
    add_attachment,
    attachment_file,
    case_attachments,
    default_dir,
    materials_checklist,
)
from engine.cases.permissions import available_actions
from engine.cases.visibility import get_case
from engine.kernel.errors import DomainError, NotFound
from engine.kernel.vocabulary import CaseStatus, Role
from engine.library.catalog import active_items, categories, current_item
from engine.org.access import opening_villages
from engine.read.context import case_outcome, display_names
from engine.read.progress import diagram_states
from engine.read.shapes import case_events, open_tasks, visible_cases
from engine.read.whereabouts import units_now

from ..auth import current_engine_user
from ..extensions import db
from ..nav import guarded
from . import flash_error, or_404, refused

bp = Blueprint("cases", __name__)
STATUSES = tuple(CaseStatus)


@bp.get("/cases")
@login_required
def index():
    status = request.args.get("status")
    q = (request.args.get("q") or request.args.get("find") or "").strip()[:200]  # find: the top bar's box
    page = visible_cases(
        db.session,
        current_engine_user(),
        request.args.get("page"),
        request.args.get("per_page"),
        status if status in STATUSES else None,
        q or None,
    )
    where = units_now(db.session, page.items)
    return render_template("cases/index.html", page=page, status=status, statuses=STATUSES, q=q, where=where)


@bp.route("/cases/new", methods=["GET", "POST"])
@login_required
@guarded
def new():
    user = current_engine_user()
    villages = opening_villages(db.session, user)
    if not villages:
        abort(403)
    errors, values = {}, request.form
    if request.method == "POST":
        resident = {
            "name": values.get("resident_name", ""),
            "phone": values.get("resident_phone", ""),
            "village": values.get("village", ""),
        }
        try:
            case = commands.open_case(
                db.session,
                user,
                values.get("catalog_code", ""),
                resident,
                values.get("summary", ""),
                values.getlist("materials"),
            )
        except DomainError as err:
            db.session.rollback()
            errors = flash_error(err)
            if err.status == 403:
                abort(403)
        else:
            flash(_("Item opened. Receipt code: %(code)s", code=case.receipt_code), "success")
            return redirect(url_for("cases.show", case_id=case.id))
    return render_template(
        "cases/new.html",
        villages=villages,
        items=active_items(db.session),
        categories=categories(),
        errors=errors,
        values=values,
        selected=current_item(db.session, values.get("catalog_code", "")) if values else None,
    ), (422 if errors else 200)


@bp.get("/cases/new/materials")
@login_required
def materials():
    """htmx: the materials checklist of the chosen catalog item."""
    item = current_item(db.session, request.args.get("catalog_code", ""))
    return render_template("cases/_materials.html", selected=item, values=request.args)


@bp.get("/cases/<case_id>")
@login_required
def show(case_id):
    user = current_engine_user()
    case = or_404(get_case, db.session, user, case_id)
    files = case_attachments(db.session, case)
    offered = available_actions(db.session, user, case)
    answer, refusal = case_outcome(db.session, case)
    events = case_events(db.session, case)
    tasks = open_tasks(db.session, case)
    people = display_names(
        db.session,
        {e.actor for e in events} | {t.assignee.username for t in tasks if t.assignee} | {case.owner.username},
    )
    return render_template(
        "cases/show.html",
        case=case,
        people=people,
        answer=answer,
        refusal=refusal if case.status == CaseStatus.RETURNED else None,
        events=events,
        tasks=tasks,
        attachments=files,
        checklist=materials_checklist(case, files),
        max_mb=MAX_BYTES // (1024 * 1024),
        offered=offered,
        addable=actions.addable_departments(db.session, user, case) if "add_department" in offered else [],
        removable=joint.removable_departments(db.session, user, case) if "remove_department" in offered else [],
        lead_choices=joint.lead_candidates(db.session, user, case) if "change_lead" in offered else [],
    )


@bp.post("/cases/<case_id>/attachments")
@login_required
def upload(case_id):
    upload = request.files.get("file")
    try:
        add_attachment(
            db.session,
            current_engine_user(),
            case_id,
            request.form.get("material"),
            upload.filename if upload else "",
            upload.read(MAX_BYTES + 1) if upload else b"",
            attachments_dir(),
        )
        flash(_("File attached."), "success")
    except NotFound:
        abort(404)
    except DomainError as err:
        db.session.rollback()
        for message in flash_error(err).values():
            flash(message, "error")
    return redirect(url_for("cases.show", case_id=case_id) + "#attachments")


@bp.get("/cases/<case_id>/attachments/<attachment_id>")
@login_required
def attachment(case_id, attachment_id):
    found, path = or_404(attachment_file, db.session, current_engine_user(), case_id, attachment_id, attachments_dir())
    return send_file(
        path,
        mimetype=found.content_type,
        download_name=found.file_name,
        max_age=0,
        as_attachment=found.content_type == "application/pdf",
    )


@bp.post("/cases/<case_id>/departments")
@login_required
def add_department(case_id):
    """加签: the lead department or the window adds a department to the running joint handling."""
    return _joint_change(case_id, actions.add_department, _("Department added; it handles the item in parallel."))


@bp.post("/cases/<case_id>/departments/remove")
@login_required
def remove_department(case_id):
    """减签: the lead department or the window takes a department out of the running joint handling."""
    return _joint_change(case_id, joint.remove_department, _("Department removed; its part is withdrawn."))


@bp.post("/cases/<case_id>/lead")
@login_required
def change_lead(case_id):
    """The window names another department of the running joint handling as its lead."""
    return _joint_change(case_id, joint.change_lead, _("The lead department is changed; it consolidates the answers."))


def _joint_change(case_id, change, done: str):
    """A change to the running joint handling from the case page (加签, 减签, a new lead): the
    department and reason from the form; refusals come back as messages on the case page."""
    user = current_engine_user()
    case = or_404(get_case, db.session, user, case_id)
    try:
        change(db.session, user, case, request.form.get("department"), request.form.get("reason"))
        flash(done, "success")
    except DomainError as err:
        refused(err)
    return redirect(url_for("cases.show", case_id=case_id))


def attachments_dir():
    return current_app.config.get("ATTACHMENTS_DIR") or default_dir()


@bp.get("/cases/<case_id>/diagram")
@login_required
def diagram(case_id):
    """The case's pinned diagram with completed and active elements, for the bpmn-js viewer."""
    case = or_404(get_case, db.session, current_engine_user(), case_id)
    lanes = {role.value: role.label(get_locale()) for role in Role}  # lanes are role codes: show names
    return jsonify(xml=case.process_version.xml, states=diagram_states(case, open_tasks(db.session, case)), lanes=lanes)
