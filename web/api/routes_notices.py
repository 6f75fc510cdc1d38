"""Notifications over the API: the caller's list (paginated, newest first) and marking them read."""

from flask import jsonify, request
from flask_babel import gettext

from engine.cases.bulk import claim_tasks, urge_tasks
from engine.cases.copies import copied_to_me, copy_case, readers
from engine.cases.sms_delivery import outbox, resend
from engine.cases.urges import urge_task
from engine.cases.visibility import get_case
from engine.kernel.errors import Invalid
from engine.kernel.i18n import N_
from engine.kernel.settings import sms_url
from engine.org.phone_settings import phone_settings, set_phone_settings
from engine.read.notifications import list_notifications, mark_read, unread_count
from engine.read.shapes import mask_phone, task_detail
from engine.store.paging import iso

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


@api.post("/cases/<case_id>/cc")
@token_required
def cc(case_id):
    """抄送: `{"usernames": [...], "note"}`; the recipients may read the item, never act on it."""
    body = json_body()
    user = current_engine_user()
    copied = copy_case(db.session, user, case_id, body.get("usernames"), body.get("note"))
    case = get_case(db.session, user, case_id)
    return jsonify({"copied": copied, "readers": [r.user.username for r in readers(db.session, case)]})


def _copy_dict(r) -> dict:
    return {
        "case_id": r.case_id,
        "receipt_code": r.case.receipt_code,
        "item": r.case.catalog_item.name,
        "status": r.case.status,
        "by": r.added_by.username,
        "at": iso(r.at),
        "note": r.note,
    }


@api.get("/cases/copied-to-me")
@token_required
def copied():
    """抄送我的: the items copied to the caller, newest first."""
    page = copied_to_me(db.session, current_engine_user(), request.args.get("page"), request.args.get("per_page"))
    return jsonify(page.to_dict(_copy_dict))


def _outcomes(outcomes) -> dict:
    return {
        "results": [
            {"id": o.task_id, "done": o.done, "status": o.status, "message": gettext(o.message) if o.message else None}
            for o in outcomes
        ],
        "done": sum(o.done for o in outcomes),
    }


@api.post("/tasks/bulk/claim")
@token_required
def bulk_claim():
    """Claim several tasks from the inbox: each its own command; the answer says what happened to each."""
    return jsonify(_outcomes(claim_tasks(db.session, current_engine_user(), json_body().get("ids"))))


@api.post("/tasks/bulk/urge")
@token_required
def bulk_urge():
    """Urge several tasks (催办): each its own command, once per working day per task and urger."""
    body = json_body()
    return jsonify(_outcomes(urge_tasks(db.session, current_engine_user(), body.get("ids"), body.get("note"))))


@api.get("/me/phone-settings")
@token_required
def phone_settings_():
    """Which notification kinds also go to the caller's phone."""
    return jsonify(phone_settings(current_engine_user()))


@api.put("/me/phone-settings")
@token_required
def set_phone_settings_():
    body = json_body()
    user = set_phone_settings(db.session, current_engine_user(), body.get("phone"), body.get("kinds"))
    return jsonify(phone_settings(user))


def sms_dict(m) -> dict:
    return {
        "id": m.id,
        "to": mask_phone(m.to),
        "audience": "staff" if m.user_id else "resident",
        "staff": m.recipient.username if m.recipient else None,
        "template": m.template,
        "text": m.text,
        "receipt_code": m.receipt_code,
        "case_id": m.case_id,
        "status": m.status,
        "attempts": m.attempts,
        "created_at": iso(m.created_at),
        "next_try_at": iso(m.next_try_at) if m.status == "pending" else None,
        "sent_at": iso(m.sent_at),
        "last_error": m.last_error,
    }


@api.get("/admin/sms")
@token_required
def sms_outbox():
    """The administrator's outbox, newest first, by status, audience, template and receipt code."""
    args = request.args
    page = outbox(
        db.session,
        current_engine_user(),
        args.get("status"),
        args.get("page"),
        args.get("per_page"),
        args.get("audience"),
        args.get("template"),
        args.get("receipt_code"),
    )
    return jsonify({**page.to_dict(sms_dict), "gateway": bool(sms_url())})


@api.post("/admin/sms/<message_id>/resend")
@token_required
def sms_resend(message_id):
    """A failed text back in the outbox (same Idempotency-Key, fresh tries)."""
    return jsonify(sms_dict(resend(db.session, current_engine_user(), message_id)))
