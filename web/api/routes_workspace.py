"""Workflow actions and the county window over the API: 转交 退回 撤回 转办 加签 减签, a new lead
department, bulk dispatch, batches per township and the township agent's receipt."""

from flask import jsonify
from flask_babel import gettext

from engine.cases import actions, batches, joint, window
from engine.cases.visibility import get_case
from engine.read.shapes import case_dict, task_dict
from engine.store.paging import iso

from ..auth import current_engine_user
from ..extensions import db
from . import api, json_body, token_required


@api.post("/tasks/<task_id>/delegate")
@token_required
def delegate(task_id):
    body = json_body()
    return jsonify(task_dict(actions.delegate_task(db.session, current_engine_user(), task_id, body.get("assignee"))))


@api.post("/tasks/<task_id>/return")
@token_required
def return_(task_id):
    case = actions.return_task(db.session, current_engine_user(), task_id, json_body().get("reason"))
    return jsonify(case_dict(db.session, case, current_engine_user()))


@api.post("/tasks/<task_id>/withdraw")
@token_required
def withdraw(task_id):
    case = actions.withdraw_task(db.session, current_engine_user(), task_id, json_body().get("reason"))
    return jsonify(case_dict(db.session, case, current_engine_user()))


@api.post("/tasks/<task_id>/transfer")
@token_required
def transfer(task_id):
    body = json_body()
    case = actions.transfer_task(db.session, current_engine_user(), task_id, body.get("unit"), body.get("reason"))
    return jsonify(case_dict(db.session, case, current_engine_user()))


def _joint_change(case_id, change):
    """加签, 减签 or a new lead: the department and reason from the body; the item as it is after."""
    body = json_body()
    user = current_engine_user()
    case = change(db.session, user, get_case(db.session, user, case_id), body.get("department"), body.get("reason"))
    return jsonify(case_dict(db.session, case, user))


@api.post("/cases/<case_id>/departments")
@token_required
def add_department(case_id):
    return _joint_change(case_id, actions.add_department)


@api.post("/cases/<case_id>/departments/remove")
@token_required
def remove_department(case_id):
    return _joint_change(case_id, joint.remove_department)


@api.post("/cases/<case_id>/lead")
@token_required
def change_lead(case_id):
    return _joint_change(case_id, joint.change_lead)


@api.post("/window/dispatch")
@token_required
def dispatch():
    body = json_body()
    return jsonify(
        results=_translated(
            window.dispatch_many(db.session, current_engine_user(), body.get("task_ids"), body.get("note", ""))
        )
    )


def _translated(results: list[dict]) -> list[dict]:
    out = []
    for r in results:
        message = r["message"]  # an engine msgid, translated for the caller
        out.append({**r, "message": gettext(message) if message else None})
    return out


def batch_dict(batch) -> dict:
    return {
        "id": batch.id,
        "township": batch.township.code,
        "status": batch.status,
        "scheduled_for": batch.scheduled_for.isoformat(),
        "received_at": iso(batch.received_at),
        "items": [
            {"case_id": i.case_id, "receipt_code": i.case.receipt_code, "received_at": iso(i.received_at)}
            for i in batch.items
        ],
    }


@api.post("/window/batches")
@token_required
def create_batch():
    body = json_body()
    batch = batches.create_batch(db.session, current_engine_user(), body.get("township"), body.get("day"))
    return jsonify(batch_dict(batch)), 201


@api.get("/window/batches/<batch_id>")
@token_required
def read_batch(batch_id):
    return jsonify(batch_dict(batches.get_batch(db.session, current_engine_user(), batch_id)))


@api.post("/window/batches/<batch_id>/receive")
@token_required
def receive(batch_id):
    return jsonify(results=_translated(batches.confirm_receipt(db.session, current_engine_user(), batch_id)))
