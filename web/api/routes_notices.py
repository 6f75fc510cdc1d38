"""Notifications over the API: the caller's list (paginated, newest first) and marking them read."""

from flask import jsonify, request

from engine.cases.urges import urge_task
from engine.kernel.errors import Invalid
from engine.kernel.i18n import N_
from engine.read.notifications import list_notifications, mark_read, unread_count
from engine.read.shapes import task_detail

from ..auth import current_engine_user
from ..extensions import db
from ..notices import notification_dict
from . import api, json_body, token_required


@api.get("/notifications")
@token_required
def notifications():
    user = current_engine_user()
    unread = request.args.get("unread") in ("1", "true")
    page = list_notifications(db.session, user, request.args.get("page"), request.args.get("per_page"), unread=unread)
    return jsonify({**page.to_dict(notification_dict), "unread": unread_count(db.session, user)})


@api.post("/notifications/read")
@token_required
def read_notifications():
    body = json_body()
    user = current_engine_user()
    if body.get("all") is True:
        count = mark_read(db.session, user, all_=True)
    elif "ids" in body:
        count = mark_read(db.session, user, body.get("ids"))
    else:
        raise Invalid(N_("choose the notifications to mark read"), {"ids": N_("a list of notification ids")})
    return jsonify({"marked": count, "unread": unread_count(db.session, user)})


@api.post("/tasks/<task_id>/urge")
@token_required
def urge(task_id):
    """催办: `{"note"}` optional; 409 when the caller already urged this task this working day."""
    user = current_engine_user()
    row = urge_task(db.session, user, task_id, json_body().get("note"))
    return jsonify(task_detail(db.session, user, row.id))
