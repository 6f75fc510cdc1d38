"""County window (县代办窗口): incoming items and bulk dispatch, tracking at the departments,
outgoing batches per township with the printed hand-over sheet; the township agent's receipt."""

from functools import partial

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from engine.cases import batches, window
from engine.cases.permissions import available_actions
from engine.kernel.clock import utcnow
from engine.kernel.errors import DomainError, Forbidden
from engine.read.inbox import due_colour
from engine.store.calendar import TZ

from ..auth import current_engine_user
from ..extensions import db
from ..nav import guarded
from . import flash_error, or_404

bp = Blueprint("window", __name__, url_prefix="/window")


def _window_only(query, *args):
    try:
        return query(db.session, current_engine_user(), *args)
    except Forbidden:
        abort(403)


@bp.get("/")
@login_required
@guarded
def incoming():
    by_township, by_department = _window_only(window.incoming)
    return render_template(
        "window/incoming.html",
        by_township=by_township,
        by_department=by_department,
        total=sum(len(g.rows) for g in by_township),
        colour=partial(due_colour, db.session),
    )


@bp.post("/dispatch")
@login_required
def dispatch():
    try:
        results = window.dispatch_many(
            db.session, current_engine_user(), request.form.getlist("task"), request.form.get("note", "")
        )
    except Forbidden:
        abort(403)
    sent = _report(results)
    flash(
        _("%(sent)s of %(total)s items sent to the departments.", sent=sent, total=len(results)),
        "success" if sent == len(results) else "error",
    )
    return redirect(url_for("window.incoming"))


def _report(results) -> int:
    """Flash each item that failed (a bulk action never hides one); returns how many succeeded."""
    for r in results:
        if not r["ok"]:
            message = r["message"]  # an engine msgid, translated here
            reason = _(message)
            flash(f"{r.get('receipt_code') or r.get('task_id')}: {reason}", "error")
    return sum(1 for r in results if r["ok"])


@bp.get("/tracking")
@login_required
def tracking():
    return render_template(
        "window/tracking.html",
        groups=_window_only(batches.tracking),
        now=utcnow(),
        colour=partial(due_colour, db.session),
    )


@bp.get("/outgoing")
@login_required
def outgoing():
    groups = _window_only(batches.outgoing)
    today = utcnow().astimezone(TZ).date()
    days = {g.unit.code: window.upcoming_office_days(db.session, g.unit, today) for g in groups}
    return render_template(
        "window/outgoing.html", groups=groups, days=days, batches=batches.batches_for(db.session, current_engine_user())
    )


@bp.post("/batches")
@login_required
def create_batch():
    try:
        batch = batches.create_batch(
            db.session, current_engine_user(), request.form.get("township"), request.form.get("day")
        )
    except Forbidden:
        abort(403)
    except DomainError as err:
        db.session.rollback()
        flash_error(err)
        return redirect(url_for("window.outgoing"))
    flash(_("Batch %(id)s scheduled.", id=batch.id), "success")
    return redirect(url_for("window.batch", batch_id=batch.id))


@bp.get("/batches")
@login_required
@guarded
def batch_list():
    return render_template("window/batches.html", batches=batches.batches_for(db.session, current_engine_user()))


@bp.get("/batches/<batch_id>")
@login_required
def batch(batch_id):
    user = current_engine_user()
    found = or_404(batches.get_batch, db.session, user, batch_id)
    return render_template(
        "window/batch.html",
        batch=found,
        may_receive="receive_batch" in available_actions(db.session, user, None, batch=found),
    )


@bp.get("/batches/<batch_id>/handover")
@login_required
def handover(batch_id):
    found = or_404(batches.get_batch, db.session, current_engine_user(), batch_id)
    return render_template("print/handover.html", batch=found)


@bp.post("/batches/<batch_id>/receive")
@login_required
def receive(batch_id):
    try:
        results = batches.confirm_receipt(db.session, current_engine_user(), batch_id)
    except DomainError as err:
        db.session.rollback()
        if err.status in (403, 404):
            abort(err.status)
        flash_error(err)
        return redirect(url_for("window.batch", batch_id=batch_id))
    ok = _report(results)
    flash(
        _("%(ok)s of %(total)s items received.", ok=ok, total=len(results)),
        "success" if ok == len(results) else "error",
    )
    return redirect(url_for("window.batch", batch_id=batch_id))
