"""Cases and tasks: open an item, read it, the inbox, claim/unclaim/complete."""

from flask import jsonify, request

from engine.cases import commands
from engine.cases.visibility import get_case
from engine.kernel.vocabulary import CaseStatus
from engine.oversight.worklist import counts, work_page
from engine.read.inbox import SCOPES, Filters
from engine.read.shapes import case_dict, case_item, task_detail, task_dict, visible_cases
from engine.read.whereabouts import units_now
from engine.store.models import Case

from ..auth import current_engine_user
from ..extensions import db
from . import api, json_body, problem, token_required
from .idempotent import idempotent


@api.post("/cases")
@token_required
@idempotent(Case, lambda case: (f"case:{case.id}", case_dict(db.session, case, current_engine_user())))
def open_case():
    body = json_body()
    case = commands.open_case(
        db.session,
        current_engine_user(),
        body.get("catalog_code"),
        body.get("resident"),
        body.get("summary"),
        body.get("materials_provided", []),
    )
    return jsonify(case_dict(db.session, case, current_engine_user())), 201


@api.get("/cases")
@token_required
def search_cases():
    """The cases the caller may see, newest first; `q` finds them by receipt code, resident name,
    phone (full or last four digits) and words of the request (every word must match)."""
    status = request.args.get("status") or None
    if status is not None and status not in CaseStatus.codes():
        names = ", ".join(CaseStatus.codes())
        return problem(422, "Unprocessable Entity", f"status must be one of {names}", {"status": names})
    page = visible_cases(
        db.session,
        current_engine_user(),
        request.args.get("page"),
        request.args.get("per_page"),
        status,
        request.args.get("q"),
    )
    where = units_now(db.session, page.items)
    return jsonify(page.to_dict(lambda case: case_item(case, where[case.id])))


@api.get("/cases/<case_id>")
@token_required
def read_case(case_id):
    user = current_engine_user()
    return jsonify(case_dict(db.session, get_case(db.session, user, case_id), user))


@api.get("/tasks")
@token_required
def tasks():
    """The one inbox of all work (engine/oversight/worklist): the same scopes, filters, items and counts as
    the inbox page; each entry says its `kind` and the page where it is done (`href`)."""
    scope = request.args.get("scope", "mine")
    if scope not in SCOPES:
        names = ", ".join(SCOPES)
        return problem(422, "Unprocessable Entity", f"scope must be one of {names}", {"scope": names})
    user = current_engine_user()
    filters = Filters.from_args(request.args)
    page = work_page(db.session, user, scope, filters, request.args.get("page"), request.args.get("per_page"))
    return jsonify({**page.to_dict(lambda item: item.data), "counts": counts(db.session, user, filters)})


@api.get("/tasks/<task_id>")
@token_required
def task(task_id):
    return jsonify(task_detail(db.session, current_engine_user(), task_id))


@api.post("/tasks/<task_id>/claim")
@token_required
def claim(task_id):
    return jsonify(task_dict(commands.claim_task(db.session, current_engine_user(), task_id)))


@api.post("/tasks/<task_id>/unclaim")
@token_required
def unclaim(task_id):
    return jsonify(task_dict(commands.unclaim_task(db.session, current_engine_user(), task_id)))


@api.post("/tasks/<task_id>/complete")
@token_required
def complete(task_id):
    body = json_body()
    user = current_engine_user()
    case = commands.complete_task(db.session, user, task_id, body.get("data", {}))
    return jsonify(case_dict(db.session, case, user))
