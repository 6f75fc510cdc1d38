"""Staff inbox: every kind of work (engine/oversight/worklist) in tabs with counts and filters; the task page
with its form and the workflow actions."""

import json

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from engine.cases import actions, commands
from engine.cases.permissions import available_actions
from engine.kernel.errors import DomainError, NotFound
from engine.library.catalog import KINDS, categories
from engine.oversight.worklist import counts, moment_of, work_page
from engine.read.inbox import SCOPES, Filters, filter_places, opening_tab
from engine.read.shapes import task_detail

from ..auth import current_engine_user
from ..extensions import db
from ..security import local_target
from ..taskform import field_widgets, form_to_data
from . import flash_error, or_404, refused

bp = Blueprint("inbox", __name__)


@bp.get("/inbox")
@login_required
def index():
    user = current_engine_user()
    filters = Filters.from_args(request.args)
    moment = moment_of(db.session)
    counted = counts(db.session, user, filters, moment)
    tab = request.args.get("scope") or opening_tab(db.session, user, counted)
    tab = tab if tab in SCOPES else "available"
    page = work_page(db.session, user, tab, filters, request.args.get("page"), request.args.get("per_page"), moment)
    townships, villages = filter_places(db.session)
    chosen = next((t for t in townships if t.code == filters.township), None)
    return render_template(
        "inbox/index.html",
        page=page,
        scope=tab,
        tabs=SCOPES,
        counts=counted,
        returned={
            w.row.id: w.data["return_reason"] for w in page.items if w.row is not None and w.data.get("returned")
        },
        filters=filters,
        categories=categories(),
        kinds=KINDS,
        townships=townships,
        villages=[v for v in villages if chosen is None or v.parent_id == chosen.id],
        actions_of=lambda row: available_actions(db.session, user, row.case, row) if row is not None else [],
    )


@bp.get("/tasks/<task_id>")
@login_required
def task(task_id):
    return _render_task(or_404(task_detail, db.session, current_engine_user(), task_id), {})


def _render_task(detail, errors, status=200):
    from engine.store.models import TaskRow

    row = db.session.get(TaskRow, detail["id"])
    user = current_engine_user()
    offered = detail["available_actions"]
    return render_template(
        "inbox/task.html",
        task=detail,
        row=row,
        case=row.case,
        fields=field_widgets(detail["form"]),
        errors=errors,
        offered=offered,
        colleagues=actions.colleagues(db.session, row, user) if "delegate" in offered else [],
        peers=actions.transfer_targets(db.session, row) if "transfer" in offered else [],
        values=request.form if request.method == "POST" else {},
    ), status


@bp.post("/tasks/<task_id>/complete")
@login_required
def complete(task_id):
    user = current_engine_user()
    detail = or_404(task_detail, db.session, user, task_id)
    data = form_to_data(detail["form"], request.form)
    raw = (request.form.get("json_data") or "").strip()
    if raw and not detail["form"].get("properties"):  # a step without a form: the data the analyst typed
        try:
            data = json.loads(raw)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            return _render_task(detail, {"data": _("not a JSON object")}, 422)
    try:
        case = commands.complete_task(db.session, user, task_id, data)
    except DomainError as err:
        db.session.rollback()
        if err.status in (403, 409):
            flash_error(err)
            return redirect(url_for("inbox.task", task_id=task_id))
        return _render_task(detail, flash_error(err), 422)
    flash(_("Done: %(name)s for %(receipt)s.", name=detail["name"], receipt=case.receipt_code), "success")
    return redirect(url_for("inbox.index"))


@bp.post("/tasks/<task_id>/claim")
@login_required
def claim(task_id):
    return _act(task_id, commands.claim_task, _("You took this task."))


@bp.post("/tasks/<task_id>/unclaim")
@login_required
def unclaim(task_id):
    return _act(task_id, commands.unclaim_task, _("You released this task."))


@bp.post("/tasks/<task_id>/delegate")
@login_required
def delegate(task_id):
    return _act(task_id, actions.delegate_task, _("The task is now your colleague's."), request.form.get("assignee"))


@bp.post("/tasks/<task_id>/return")
@login_required
def return_(task_id):
    return _act(task_id, actions.return_task, _("Returned."), request.form.get("reason"), done=url_for("inbox.index"))


@bp.post("/tasks/<task_id>/withdraw")
@login_required
def withdraw(task_id):
    return _act(
        task_id,
        actions.withdraw_task,
        _("Withdrawn: the step is yours again."),
        request.form.get("reason"),
        done=url_for("inbox.index", scope="mine"),
    )


@bp.post("/tasks/<task_id>/transfer")
@login_required
def transfer(task_id):
    return _act(
        task_id,
        actions.transfer_task,
        _("Transferred."),
        request.form.get("unit"),
        request.form.get("reason"),
        done=url_for("inbox.index"),
    )


def _act(task_id, command, message, *args, done=None):
    """Run one engine command for a task; 403 and 404 are error pages, other refusals a message."""
    try:
        command(db.session, current_engine_user(), task_id, *args)
        flash(message, "success")
    except NotFound:
        abort(404)
    except DomainError as err:
        refused(err)
        done = None
    return redirect(done or local_target(request.form.get("next")) or url_for("inbox.task", task_id=task_id))
