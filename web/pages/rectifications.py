"""Rectifications of a 差评 (整改): the responsible unit, the supervisors and the discipline committee
see them, and close each with the result of the call-back to the resident (回访)."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from engine.cases.rectification import close_rectification
from engine.kernel.errors import DomainError, Forbidden, NotFound
from engine.kernel.vocabulary import RectificationStatus
from engine.read import rectifications

from ..auth import current_engine_user
from ..extensions import db
from . import flash_error

bp = Blueprint("rectifications", __name__, url_prefix="/rectifications")


@bp.get("/")
@login_required
def index():
    status = request.args.get("status", RectificationStatus.OPEN)
    try:
        page = rectifications.rectifications(
            db.session, current_engine_user(), status, request.args.get("page"), request.args.get("per_page")
        )
    except DomainError as err:
        flash_error(err)
        abort(422)
    return render_template("rectifications/index.html", page=page, status=status, statuses=RectificationStatus)


@bp.route("/<int:rectification_id>", methods=["GET", "POST"])
@login_required
def show(rectification_id):
    user = current_engine_user()
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            close_rectification(db.session, user, rectification_id, request.form.get("callback_result"))
            flash(_("Rectification closed after the call-back."), "success")
            return redirect(url_for("rectifications.show", rectification_id=rectification_id))
        except NotFound:
            abort(404)
        except Forbidden as err:
            db.session.rollback()
            flash_error(err)
            abort(403)
        except DomainError as err:
            db.session.rollback()
            errors = flash_error(err)
    try:
        record = rectifications.rectification(db.session, user, rectification_id)
    except NotFound:
        abort(404)
    return render_template("rectifications/show.html", record=record, errors=errors), (422 if errors else 200)
