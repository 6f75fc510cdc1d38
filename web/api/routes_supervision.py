"""Supervision figures and records, and the resident portal's rating and complaints (JSON)."""

from flask import jsonify, request, send_file

from engine.kernel.clock import utcnow
from engine.kernel.vocabulary import TimerKind
from engine.oversight import callbacks, supervision
from engine.oversight.assessment import parse_month
from engine.oversight.ratelimit import check_portal
from engine.read import portal, public
from engine.store.calendar import TZ
from engine.store.oversight_tables import Complaint, Review

from ..auth import current_engine_user
from ..exports import monthly_workbook
from ..extensions import db
from . import api, json_body, token_required


def _args(*names):
    return [request.args.get(n) for n in names]


@api.get("/supervision/figures")
@token_required
def figures():
    return jsonify(supervision.dashboard(db.session, current_engine_user(), *_args("unit", "from", "to", "by")))


@api.get("/supervision/late")
@token_required
def late():
    unit, which, page, per_page = _args("unit", "which", "page", "per_page")
    return jsonify(
        supervision.late_list(
            db.session, current_engine_user(), unit, which or TimerKind.OVERDUE, page, per_page
        ).to_dict(lambda r: r)
    )


@api.get("/supervision/assessment")
@token_required
def assessment():
    return jsonify(supervision.assessment(db.session, current_engine_user(), *_args("unit", "month")))


@api.get("/supervision/monthly")
@token_required
def monthly():
    return jsonify(supervision.monthly(db.session, current_engine_user(), *_args("unit", "month")))


@api.get("/supervision/monthly.xlsx")
@token_required
def monthly_xlsx():
    report = supervision.monthly(db.session, current_engine_user(), *_args("unit", "month"))
    return send_file(
        monthly_workbook(report),
        as_attachment=True,
        download_name=f"daiban-{report['unit']}-{report['month']}.xlsx",
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@api.get("/supervision/<any(callbacks, reviews, complaints):kind>")
@token_required
def records(kind):
    unit, status, page, per_page = _args("unit", "status", "page", "per_page")
    return jsonify(
        supervision.oversight(db.session, current_engine_user(), kind, unit, status, page, per_page).to_dict(
            lambda r: r
        )
    )


@api.post("/supervision/callbacks/draw")
@token_required
def draw():
    body = json_body()
    first = parse_month(body.get("month"), utcnow().astimezone(TZ).date())
    drawn = callbacks.draw_callbacks(
        db.session, current_engine_user(), body.get("unit"), first, body.get("seed"), body.get("share")
    )
    return jsonify(items=[supervision.record_dict("callbacks", d) for d in drawn], total=len(drawn)), 201


@api.post("/supervision/callbacks/<int:record_id>/outcome")
@token_required
def outcome(record_id):
    body = json_body()
    user = current_engine_user()
    record = callbacks.record_callback(db.session, user, record_id, body.get("outcome"), body.get("note"))
    return jsonify(supervision.record_dict("callbacks", record, user))


@api.post("/supervision/<any(reviews, complaints):kind>/<int:record_id>/close")
@token_required
def close(kind, record_id):
    user = current_engine_user()
    model = Review if kind == "reviews" else Complaint
    record = callbacks.close_record(db.session, user, model, record_id, json_body().get("resolution"))
    return jsonify(supervision.record_dict(kind, record, user))


@api.get("/public/catalog")
def public_catalog():
    return jsonify(categories=portal.public_catalog(db.session), villages=portal.responsible_agents(db.session))


@api.post("/public/rating")
def public_rating():
    body = json_body()
    check_portal(db.session, request.remote_addr, body.get("receipt") if isinstance(body.get("receipt"), str) else None)
    case = public.rate_by_resident(
        db.session, body.get("receipt"), body.get("phone_last4"), body.get("rating"), body.get("comment")
    )
    return jsonify(receipt_code=case.receipt_code, rating=case.resident_rating, agent_rating=case.rating)


@api.post("/public/complaints")
def public_complaint():
    body = json_body()
    check_portal(db.session, request.remote_addr)
    complaint = portal.file_complaint(
        db.session,
        body.get("township"),
        body.get("text"),
        body.get("name"),
        body.get("phone"),
        body.get("receipt"),
        body.get("phone_last4"),
    )
    return jsonify(id=complaint.id, status=complaint.status), 201
