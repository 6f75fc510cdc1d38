"""Work reaching people on the pages: the notifications page (通知) and the bell on every page, 催办 from
the task page, 抄送 from the case page and 抄送我的, and the administrator's SMS outbox."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from engine.cases.bulk import claim_tasks, urge_tasks
from engine.cases.copies import copied_to_me, copy_case, readers
from engine.cases.sms_delivery import outbox, resend
from engine.cases.urges import urge_task
from engine.kernel.errors import DomainError, NotFound
from engine.kernel.settings import sms_url
from engine.org.phone_settings import phone_settings, set_phone_settings
from engine.read.notifications import list_notifications, mark_read, text, unread_count
from engine.read.shapes import mask_phone

from ..auth import current_engine_user
from ..extensions import db
from ..notices import notification_link
from . import flash_error, refused

bp = Blueprint("notices", __name__)


@bp.app_template_global("unread_notifications")
def unread_notifications() -> int:
    """The bell's number: the signed-in user's unread notifications."""
    if not current_user.is_authenticated:
        return 0
    return unread_count(db.session, current_engine_user())


@bp.app_template_global("copied_count")
def copied_count() -> int:
    """The 抄送我的 tab's number: items copied to the signed-in user."""
    if not current_user.is_authenticated:
        return 0
    return copied_to_me(db.session, current_engine_user(), 1, 1).total


@bp.app_template_global("case_readers")
def case_readers(case):
    return readers(db.session, case)


@bp.get("/notifications")
@login_required
def index():
    unread = request.args.get("show") == "unread"
    page = list_notifications(
        db.session, current_engine_user(), request.args.get("page"), request.args.get("per_page"), unread=unread
    )
    return render_template(
        "notices/index.html",
        page=page,
        unread=unread,
        text=lambda n: text(n, _),
        link=notification_link,
    )


@bp.route("/notifications/phone", methods=["GET", "POST"])
@login_required
def phone():
    """Which notification kinds also come to my phone as a text (stored per person)."""
    user = current_engine_user()
    errors, values = {}, {}
    chosen = set(phone_settings(user)["kinds"])
    if request.method == "POST":
        values, chosen = request.form, set(request.form.getlist("kind"))
        try:
            set_phone_settings(db.session, user, request.form.get("phone"), sorted(chosen))
        except DomainError as err:
            db.session.rollback()
            errors = flash_error(err)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("notices.phone"))
    page = render_template(
        "notices/phone.html", settings=phone_settings(user), chosen=chosen, errors=errors, values=values
    )
    return page, (422 if errors else 200)


@bp.post("/notifications/read")
@login_required
def read():
    chosen = request.form.getlist("id")
    try:
        if request.form.get("all"):
            count = mark_read(db.session, current_engine_user(), all_=True)
        else:
            count = mark_read(db.session, current_engine_user(), [int(i) if i.isdigit() else i for i in chosen])
    except DomainError as err:
        flash_error(err)
    else:
        flash(_("%(count)s marked read", count=count), "ok")
    go = request.form.get("next")
    if go and go.startswith("/") and not go.startswith("//"):
        return redirect(go)
    return redirect(url_for("notices.index", show=request.args.get("show")))


@bp.post("/tasks/<task_id>/urge")
@login_required
def urge(task_id):
    """催办 from the task page: the holder (or the unit) is told; a second urge today is refused."""
    try:
        urge_task(db.session, current_engine_user(), task_id, request.form.get("note"))
    except NotFound:
        abort(404)
    except DomainError as err:
        refused(err)
    else:
        flash(_("Urged: the holder has been notified"), "success")
    return redirect(url_for("inbox.task", task_id=task_id))


@bp.get("/copied")
@login_required
def copied():
    """抄送我的: the items copied to me, newest first."""
    page = copied_to_me(db.session, current_engine_user(), request.args.get("page"), request.args.get("per_page"))
    return render_template("notices/copied.html", page=page, copied_tab=True)


@bp.post("/cases/<case_id>/cc")
@login_required
def cc(case_id):
    """抄送 from the case page: user names separated by commas or spaces."""
    names = [n for n in request.form.get("usernames", "").replace(",", " ").replace("，", " ").split() if n]
    try:
        copied_names = copy_case(db.session, current_engine_user(), case_id, names, request.form.get("note"))
    except NotFound:
        abort(404)
    except DomainError as err:
        refused(err)
    else:
        if copied_names:
            flash(_("Copied to %(names)s", names=", ".join(copied_names)), "success")
        else:
            flash(_("Already copied to everyone named; nothing changed"), "info")
    return redirect(url_for("cases.show", case_id=case_id))


@bp.get("/admin/sms")
@login_required
def sms_outbox():
    """The administrator's outbox: waiting, sent and failed texts; a failed one can be sent again."""
    status = request.args.get("status") if request.args.get("status") in ("pending", "sent", "failed") else None
    try:
        page = outbox(db.session, current_engine_user(), status, request.args.get("page"), request.args.get("per_page"))
    except DomainError:
        abort(403)
    return render_template(
        "notices/sms.html", page=page, status=status, gateway=sms_url(), mask=mask_phone, is_admin=True
    )


@bp.post("/admin/sms/<message_id>/resend")
@login_required
def sms_resend(message_id):
    try:
        resend(db.session, current_engine_user(), message_id)
    except NotFound:
        abort(404)
    except DomainError as err:
        refused(err)
    else:
        flash(_("The text is back in the outbox"), "success")
    return redirect(url_for("notices.sms_outbox", status="failed"))


@bp.post("/inbox/bulk")
@login_required
def bulk():
    """批量签收 / 批量催办 of the tasks checked in the inbox; each task its own command."""
    chosen = request.form.getlist("task")
    action = request.form.get("action")
    user = current_engine_user()
    try:
        if action == "urge":
            outcomes = urge_tasks(db.session, user, chosen, request.form.get("note"))
        else:
            outcomes = claim_tasks(db.session, user, chosen)
    except DomainError as err:
        flash_error(err)
    else:
        done = sum(o.done for o in outcomes)
        flash(_("%(done)s of %(total)s done", done=done, total=len(outcomes)), "success" if done else "info")
        for message in sorted({o.message for o in outcomes if o.message}):
            flash(_(message), "error")
    go = request.form.get("next", "")
    return redirect(go if go.startswith("/") and not go.startswith("//") else url_for("inbox.index"))
