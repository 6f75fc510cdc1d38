"""Residents ask online (群众张嘴), no login: the request form and the lookup by reference; rate-limited like
the progress lookup."""

from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from engine.asking import requests
from engine.kernel.errors import DomainError, NotFound
from engine.oversight.ratelimit import TooMany, check_portal
from engine.read import portal

from ..extensions import db
from . import flash_error

bp = Blueprint("asking_public", __name__, url_prefix="/public/ask")


def _throttled(reference=None):
    try:
        check_portal(db.session, request.remote_addr, reference)
        return None
    except TooMany as err:
        db.session.rollback()
        return render_template("errors/error.html", title=_("Too many requests"), message=_(err.message)), 429


@bp.route("/", methods=["GET", "POST"])
def ask():
    errors, values = {}, request.form
    if request.method == "POST":
        throttled = _throttled()
        if throttled:
            return throttled
        body = {k: values.get(k, "") for k in ("name", "phone", "village", "text")}
        try:
            sent = requests.submit_request(db.session, body)
        except DomainError as err:
            db.session.rollback()
            errors = flash_error(err)
        else:
            return render_template("asking/public_sent.html", sent=sent)
    return render_template(
        "asking/public_ask.html", villages=portal.responsible_agents(db.session), errors=errors, values=values
    ), (422 if errors else 200)


@bp.route("/status", methods=["GET", "POST"])
def status():
    if request.method == "GET":
        return render_template("asking/public_status.html", result=None, values={})
    values = request.form
    throttled = _throttled(values.get("reference", ""))
    if throttled:
        return throttled
    try:
        result = requests.public_status(db.session, values.get("reference", ""), values.get("phone_last4", ""))
    except NotFound:
        return render_template("asking/public_status.html", result=None, values=values, not_found=True), 404
    return render_template("asking/public_status.html", result=result, values=values)
