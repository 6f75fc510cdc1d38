"""Rectifications of a 差评 (整改): the list, one record, and closing it with the call-back's result."""

from flask import jsonify, request

from engine.cases.rectification import close_rectification
from engine.read import rectifications

from ..auth import current_engine_user
from ..extensions import db
from . import api, json_body, token_required


@api.get("/rectifications")
@token_required
def rectification_list():
    args = request.args
    page = rectifications.rectifications(
        db.session, current_engine_user(), args.get("status"), args.get("page"), args.get("per_page")
    )
    return jsonify(page.to_dict(lambda r: r))


@api.get("/rectifications/<int:rectification_id>")
@token_required
def rectification_detail(rectification_id):
    return jsonify(rectifications.rectification(db.session, current_engine_user(), rectification_id))


@api.post("/rectifications/<int:rectification_id>/close")
@token_required
def rectification_close(rectification_id):
    user = current_engine_user()
    close_rectification(db.session, user, rectification_id, json_body().get("callback_result"))
    return jsonify(rectifications.rectification(db.session, user, rectification_id))
