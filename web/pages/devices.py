"""My phones (我的手机): the device tokens the user's phones sign in with, and for administrators those of the
people they administer; each can be ended here (engine/org/devices.py)."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from engine.kernel.errors import DomainError, NotFound
from engine.kernel.vocabulary import Role
from engine.org import devices

from ..auth import current_engine_user
from ..extensions import db
from . import flash_error

bp = Blueprint("devices", __name__, url_prefix="/devices")

STATES = {"active": "Signed in", "expired": "Expired", "revoked": "Ended"}


@bp.get("/")
@login_required
def index():
    user = current_engine_user()
    administers = any(a.role == Role.ADMIN for a in user.roles)
    everyone = administers and request.args.get("all") == "1"
    rows = devices.visible(db.session, user, everyone)
    return render_template(
        "devices/list.html",
        rows=rows,
        everyone=everyone,
        administers=administers,
        state=devices.state,
        states={k: _(v) for k, v in STATES.items()},
    )


@bp.post("/<device_id>/revoke")
@login_required
def revoke(device_id):
    try:
        devices.revoke(db.session, current_engine_user(), device_id)
        flash(_("The phone is signed out."), "success")
    except NotFound:
        flash(_("No such phone sign-in."), "error")
    except DomainError as err:
        db.session.rollback()
        flash_error(err)
    return redirect(url_for("devices.index", all=request.args.get("all") or None))
