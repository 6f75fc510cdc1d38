"""Asking (问事) over the API: the household register, visits and the needs diary, residents' online
requests and the agents' call-backs, the visits due, where an item came from."""

from flask import jsonify, request, send_file
from flask_babel import get_locale

from engine.asking import households, requests, visits
from engine.asking.household_import import export_rows, import_households
from engine.asking.scope import require_keeper
from engine.asking.shapes import case_origin, due_dict, household_dict, request_dict, visit_dict
from engine.cases.visibility import get_case
from engine.oversight.asking_report import asking_report
from engine.oversight.ratelimit import check_portal
from engine.store.asking_tables import Visit
from engine.store.paging import clamp_page

from ..asking_exports import XLSX, household_workbook
from ..auth import current_engine_user
from ..extensions import db
from . import api, json_body, token_required
from .idempotent import idempotent
from .routes_admin import run_import


@api.get("/households")
@token_required
def list_households():
    a = request.args
    page = households.list_households(
        db.session, current_engine_user(), a.get("village"), a.get("tag"), a.get("q"), a.get("page"), a.get("per_page")
    )
    return jsonify(page.to_dict(household_dict))


@api.post("/households")
@token_required
def register_household():
    household = households.register_household(db.session, current_engine_user(), json_body())
    return jsonify(household_dict(household, full=True)), 201


@api.get("/households/<household_id>")
@token_required
def read_household(household_id):
    household = households.get_household(db.session, current_engine_user(), household_id)
    body = household_dict(household, full=True)
    body["visits"] = [visit_dict(v) for v in visits.household_visits(db.session, household.id)]
    return jsonify(body)


@api.patch("/households/<household_id>")
@token_required
def change_household(household_id):
    household = households.update_household(db.session, current_engine_user(), household_id, json_body())
    return jsonify(household_dict(household, full=True))


@api.get("/visits")
@token_required
def list_visits():
    a = request.args
    page = visits.list_visits(
        db.session,
        current_engine_user(),
        a.get("village"),
        a.get("from"),
        a.get("to"),
        a.get("page"),
        a.get("per_page"),
    )
    return jsonify(page.to_dict(visit_dict))


@api.post("/visits")
@token_required
@idempotent(Visit, lambda visit: (f"visit:{visit.id}", visit_dict(visit)))
def record_visit():
    recorded = visits.record_visit(
        db.session, current_engine_user(), json_body(), request.headers.get("Idempotency-Key")
    )
    return jsonify(visit_dict(recorded.visit)), 201


@api.get("/visits/due")
@token_required
def due_visits():
    a = request.args
    due = households.due_visits(db.session, current_engine_user(), a.get("village"), agent_only=a.get("mine") == "1")
    if a.get("overdue") == "1":
        due = [d for d in due if d.overdue]
    page, per_page = clamp_page(a.get("page"), a.get("per_page"))
    chunk = due[(page - 1) * per_page : page * per_page]
    return jsonify(items=[due_dict(d) for d in chunk], total=len(due), page=page, per_page=per_page)


@api.get("/requests")
@token_required
def list_requests():
    a = request.args
    page = requests.list_requests(
        db.session, current_engine_user(), a.get("status"), a.get("village"), a.get("page"), a.get("per_page")
    )
    return jsonify(page.to_dict(request_dict))


@api.get("/requests/<request_id>")
@token_required
def read_request(request_id):
    return jsonify(request_dict(requests.get_request(db.session, current_engine_user(), request_id)))


@api.post("/requests/<request_id>/answer")
@token_required
def answer_request(request_id):
    answered = requests.answer_request(db.session, current_engine_user(), request_id, json_body())
    return jsonify(request_dict(answered))


@api.get("/cases/<case_id>/origin")
@token_required
def case_origin_view(case_id):
    case = get_case(db.session, current_engine_user(), case_id)
    return jsonify(origin=case_origin(db.session, case.id))


@api.post("/public/requests")
def public_request():
    body = json_body()
    check_portal(db.session, request.remote_addr)
    submitted = requests.submit_request(db.session, body)
    return jsonify(reference=submitted.reference, due_at=request_dict(submitted)["due_at"]), 201


@api.get("/public/requests/<reference>")
def public_request_status(reference):
    check_portal(db.session, request.remote_addr, reference)
    return jsonify(requests.public_status(db.session, reference, request.args.get("phone_last4")))


@api.get("/reports/asking")
@token_required
def asking_report_view():
    a = request.args
    return jsonify(asking_report(db.session, current_engine_user(), a.get("unit"), a.get("month")))


@api.post("/households/import")
@token_required
def import_households_view():
    return run_import(import_households, may_upload=require_keeper)


@api.get("/households/export")
@token_required
def export_households_view():
    a = request.args
    rows = export_rows(db.session, current_engine_user(), a.get("village"), a.get("tag"), a.get("q"), get_locale())
    return send_file(
        household_workbook(rows), mimetype=XLSX, as_attachment=True, download_name="households.xlsx", max_age=0
    )
