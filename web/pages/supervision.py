"""Supervision (督查考核): figures and charts, overdue lists, quotas and stars, call-backs, reviews,
complaints and the monthly report, for supervisors, leaders and the discipline committee."""

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import login_required

from engine.kernel.clock import utcnow
from engine.kernel.errors import DomainError, Forbidden, NotFound
from engine.kernel.vocabulary import TimerKind
from engine.oversight import callbacks, supervision
from engine.oversight.assessment import parse_month
from engine.store.calendar import TZ
from engine.store.oversight_tables import CALL_OUTCOMES

from ..auth import current_engine_user
from ..exports import monthly_workbook
from ..extensions import db
from ..nav import guarded
from . import flash_error

bp = Blueprint("supervision", __name__, url_prefix="/supervision")


def _ask(query, *args, **kwargs):
    """Run a read-side query for the current user: outside their scope is 403, unknown 404, bad input 422."""
    try:
        return query(db.session, current_engine_user(), *args, **kwargs)
    except Forbidden:
        abort(403)
    except NotFound:
        abort(404)
    except DomainError as err:
        flash_error(err)
        abort(422)


def _page(template: str, **context):
    context.setdefault("unit", request.args.get("unit", ""))
    return render_template(f"supervision/{template}", units=_ask(supervision.units_in_scope), **context)


@bp.get("/")
@login_required
@guarded
def dashboard():
    args = request.args
    data = _ask(supervision.dashboard, args.get("unit"), args.get("from"), args.get("to"), args.get("by"))
    return _page("dashboard.html", data=data, unit=data["unit"])


@bp.get("/late")
@login_required
def late():
    which = request.args.get("which", TimerKind.OVERDUE)
    page = _ask(
        supervision.late_list, request.args.get("unit"), which, request.args.get("page"), request.args.get("per_page")
    )
    return _page("late.html", page=page, which=which)


@bp.get("/assessment")
@login_required
def assessment():
    return _page(
        "assessment.html", data=_ask(supervision.assessment, request.args.get("unit"), request.args.get("month"))
    )


@bp.get("/<any(callbacks, reviews, complaints):kind>")
@login_required
def records(kind):
    status = request.args.get("status", "")
    page = _ask(
        supervision.oversight,
        kind,
        request.args.get("unit"),
        status,
        request.args.get("page"),
        request.args.get("per_page"),
    )
    month = utcnow().astimezone(TZ).strftime("%Y-%m")
    return _page(f"{kind}.html", page=page, kind=kind, status=status, statuses=supervision.STATUSES[kind], month=month)


@bp.post("/callbacks/draw")
@login_required
def draw():
    form = request.form
    try:
        first = parse_month(form.get("month"), utcnow().astimezone(TZ).date())
        seed = int(form.get("seed", "")) if form.get("seed", "").strip().isdigit() else form.get("seed")
        drawn = callbacks.draw_callbacks(db.session, current_engine_user(), form.get("unit") or None, first, seed)
        flash(_("%(count)s items drawn for call-backs.", count=len(drawn)), "success")
    except (Forbidden, NotFound):
        abort(403)
    except DomainError as err:
        db.session.rollback()
        flash_error(err)
    return redirect(url_for("supervision.records", kind="callbacks", unit=form.get("unit", "")))


@bp.route("/callbacks/<int:record_id>", methods=["GET", "POST"])
@login_required
def callback(record_id):
    errors = {}
    if request.method == "POST":
        try:
            callbacks.record_callback(
                db.session, current_engine_user(), record_id, request.form.get("outcome"), request.form.get("note")
            )
            flash(_("Call-back recorded."), "success")
            return redirect(url_for("supervision.records", kind="callbacks"))
        except NotFound:
            abort(404)
        except DomainError as err:
            db.session.rollback()
            errors = flash_error(err)
    record = _ask(supervision.one_record, "callbacks", record_id)
    return _page("callback.html", record=record, outcomes=CALL_OUTCOMES, errors=errors), (422 if errors else 200)


@bp.post("/<any(reviews, complaints):kind>/<int:record_id>/close")
@login_required
def close(kind, record_id):
    try:
        callbacks.close_record(
            db.session, current_engine_user(), supervision.KINDS[kind], record_id, request.form.get("resolution")
        )
        flash(_("Closed."), "success")
    except NotFound:
        abort(404)
    except Forbidden:
        abort(403)
    except DomainError as err:
        db.session.rollback()
        flash_error(err)
    return redirect(url_for("supervision.records", kind=kind))


@bp.get("/complaints/<int:record_id>")
@login_required
def complaint(record_id):
    return _page("complaint.html", record=_ask(supervision.one_record, "complaints", record_id))


@bp.get("/monthly")
@login_required
def monthly():
    report = _ask(supervision.monthly, request.args.get("unit"), request.args.get("month"))
    return _page("monthly.html", report=report, unit=report["unit"])


@bp.get("/monthly.xlsx")
@login_required
def monthly_xlsx():
    report = _ask(supervision.monthly, request.args.get("unit"), request.args.get("month"))
    return send_file(
        monthly_workbook(report),
        as_attachment=True,
        download_name=f"daiban-{report['unit']}-{report['month']}.xlsx",
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
