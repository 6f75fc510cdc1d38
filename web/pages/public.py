"""The resident portal (no login): the open catalog and agents, progress lookup, rating, complaints.

Lookups, ratings and complaints are rate-limited per address and per receipt
code; any receipt/phone mismatch looks exactly like an unknown receipt.
"""

from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from engine.kernel.errors import DomainError, NotFound
from engine.oversight.ratelimit import TooMany, check_portal
from engine.read import portal, public

from ..extensions import db
from . import flash_error

bp = Blueprint("public", __name__, url_prefix="/public")


def _throttled(receipt=None):
    """None when the caller may go on, else the 429 page."""
    try:
        check_portal(db.session, request.remote_addr, receipt)
        return None
    except TooMany as err:
        db.session.rollback()
        return render_template("errors/error.html", title=_("Too many requests"), message=_(err.message)), 429


@bp.get("/")
def index():
    return render_template(
        "public/index.html", catalog=portal.public_catalog(db.session), villages=portal.responsible_agents(db.session)
    )


@bp.route("/progress", methods=["GET", "POST"])
def progress():
    form = request.form
    if request.method == "GET":
        return render_template("public/progress.html", result=None, values={})
    receipt, last4 = form.get("receipt", ""), form.get("phone_last4", "")
    return _throttled(receipt) or _lookup(receipt, last4)


def _lookup(receipt, last4, errors=None, status=200):
    try:
        result = public.progress(db.session, receipt, last4)
    except NotFound:
        return render_template("public/progress.html", result=None, values=request.form, not_found=True), 404
    return render_template(
        "public/progress.html", result=result, values={"receipt": receipt, "phone_last4": last4}, errors=errors or {}
    ), status


@bp.post("/rating")
def rating():
    form = request.form
    receipt, last4 = form.get("receipt", ""), form.get("phone_last4", "")
    throttled = _throttled(receipt)
    if throttled:
        return throttled
    try:
        public.rate_by_resident(db.session, receipt, last4, form.get("rating"), form.get("comment"))
    except NotFound:
        return _lookup(receipt, last4)
    except DomainError as err:
        db.session.rollback()
        return _lookup(receipt, last4, flash_error(err), 422)
    return render_template("public/thanks.html", message=_("Thank you for rating your item."))


@bp.route("/complaint", methods=["GET", "POST"])
def complaint():
    form, errors = request.form, {}
    if request.method == "POST":
        throttled = _throttled()
        if throttled:
            return throttled
        try:
            portal.file_complaint(
                db.session,
                form.get("township"),
                form.get("text"),
                form.get("name"),
                form.get("phone"),
                form.get("receipt"),
                form.get("phone_last4"),
            )
            return render_template(
                "public/thanks.html", message=_("Your complaint has reached the township discipline committee.")
            )
        except DomainError as err:
            db.session.rollback()
            errors = flash_error(err)
    return render_template(
        "public/complaint.html", townships=portal.townships(db.session), values=form, errors=errors
    ), (422 if errors else 200)
