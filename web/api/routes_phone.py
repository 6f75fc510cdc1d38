"""What the village agent's phone needs beyond the rest of the API: its sign-in (device tokens, listed and
revocable), photos of materials uploaded to an item, and one bundle of what it keeps for offline use."""

from flask import current_app, jsonify, request

from engine.cases.attachments import MAX_BYTES, add_attachment, attachment_dict, default_dir
from engine.org import devices
from engine.read.phone import offline_bundle
from engine.store.workspace_tables import Attachment

from ..auth import current_engine_user
from ..extensions import db
from . import api, json_body, token_required
from .idempotent import idempotent


@api.get("/devices")
@token_required
def list_devices():
    """The caller's phone sign-ins; `all=1` lists those of everyone the administrator administers."""
    rows = devices.visible(db.session, current_engine_user(), request.args.get("all") == "1")
    return jsonify([devices.device_dict(r) for r in rows])


@api.post("/devices")
@token_required
def issue_device():
    """A device token for this phone (its secret shown once), valid for DAIBAN_DEVICE_TOKEN_DAYS days."""
    body = json_body()
    row, secret = devices.issue(
        db.session, current_engine_user(), body.get("name"), current_app.config["DEVICE_TOKEN_DAYS"]
    )
    return jsonify({**devices.device_dict(row), "token": secret}), 201


@api.delete("/devices/<device_id>")
@token_required
def revoke_device(device_id):
    return jsonify(devices.device_dict(devices.revoke(db.session, current_engine_user(), device_id)))


@api.post("/cases/<case_id>/attachments")
@token_required
@idempotent(Attachment, lambda a: (f"attachment:{a.id}", attachment_dict(a)))
def upload_attachment(case_id):
    """A scan or photo of one of the item's materials (multipart: `material`, `file`; at most 3 MB)."""
    upload = request.files.get("file")
    found = add_attachment(
        db.session,
        current_engine_user(),
        case_id,
        request.form.get("material"),
        upload.filename if upload else "",
        upload.read(MAX_BYTES + 1) if upload else b"",
        current_app.config.get("ATTACHMENTS_DIR") or default_dir(),
    )
    return jsonify(attachment_dict(found)), 201


@api.get("/phone/offline")
@token_required
def offline():
    """What the phone keeps to work without a signal: the catalog with its materials and forms, the caller's
    villages and their households, and the caller's open tasks and the items they opened."""
    return jsonify(offline_bundle(db.session, current_engine_user()))
