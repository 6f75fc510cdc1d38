"""Asking (问事) for village agents, phone-sized: the household register, visits and the needs diary, the
visits due, residents' online requests to call back, and the printable contact card with its QR codes."""

import io
import json
from datetime import timedelta

import segno
from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required

from engine.asking import cards, households, requests, visits
from engine.asking.household_import import FIELDS as IMPORT_FIELDS
from engine.asking.household_import import REQUIRED as IMPORT_REQUIRED
from engine.asking.household_import import export_rows, import_households
from engine.asking.scope import keeping_villages, may_keep, may_see
from engine.asking.shapes import case_origin, household_dict
from engine.asking.tags import tags
from engine.kernel.clock import utcnow
from engine.kernel.errors import DomainError
from engine.kernel.vocabulary import ContactChannel, NeedOutcome, RequestStatus, Role, UnitKind
from engine.library.catalog import active_items
from engine.org.org import active_children, unit_by_code
from engine.oversight.asking_report import asking_report
from engine.read.asking_inbox import asking_entries

from ..asking_exports import XLSX, household_workbook
from ..auth import current_engine_user
from ..extensions import db
from . import flash_error, or_404
from .admin import attempt, posted_mapping, posted_sheet

bp = Blueprint("asking", __name__, url_prefix="/asking")
NEED_ROWS = 3
DUE_HORIZON_DAYS = 7


@bp.context_processor
def _asking_globals():
    locale = get_locale()
    return {"tag_labels": {code: tag.label(locale) for code, tag in tags().items()}, "now_utc": utcnow()}


@bp.app_template_global("case_origin")
def _case_origin(case_id):
    """For the case page: the need or request the item came from (web/templates/asking/_origin.html)."""
    return case_origin(db.session, case_id)


@bp.app_template_global("asking_waiting")
def _asking_waiting(user) -> int:
    """For the navigation: requests to call back and visits due soon or overdue that are the user's own."""
    if not any(a.role in (Role.VILLAGE_AGENT, Role.GROUP_AGENT) for a in user.roles):
        return 0
    return len(asking_entries(db.session, user, "mine"))


def _keeper_villages():
    villages = keeping_villages(db.session, current_engine_user())
    if not villages:
        abort(403)
    return villages


@bp.get("/")
@login_required
def index():
    """The agent's asking desk: requests waiting for a call-back, then priority households due for a visit."""
    user = current_engine_user()
    village = request.args.get("village") or None
    waiting = requests.list_requests(db.session, user, RequestStatus.AWAITING_CALLBACK, village, 1, 50)
    # Overdue visits and those due within the coming week; the whole plan is in GET /api/v1/visits/due.
    horizon = utcnow() + timedelta(days=DUE_HORIZON_DAYS)
    due = [d for d in households.due_visits(db.session, user, village) if d.due_at <= horizon]
    return render_template(
        "asking/index.html",
        waiting=waiting,
        due=due[:100],
        due_total=len(due),
        overdue_total=sum(1 for d in due if d.overdue),
        villages=keeping_villages(db.session, user),
        village=village,
    )


@bp.get("/households")
@login_required
def household_list():
    user = current_engine_user()
    a = request.args
    page = households.list_households(db.session, user, a.get("village"), a.get("tag"), a.get("q"), a.get("page"))
    return render_template(
        "asking/households.html",
        page=page,
        rows=[household_dict(h) for h in page.items],
        villages=keeping_villages(db.session, user),
        filters={k: a.get(k, "") for k in ("village", "tag", "q")},
    )


@bp.route("/households/new", methods=["GET", "POST"])
@login_required
def household_new():
    user = current_engine_user()
    villages = _keeper_villages()
    errors, values = {}, request.form
    if request.method == "POST":
        members = [m.strip() for m in values.get("members", "").splitlines() if m.strip()]
        body = {
            "village": values.get("village", ""),
            "group": values.get("group", ""),
            "head_name": values.get("head_name", ""),
            "phone": values.get("phone", ""),
            "address": values.get("address", ""),
            "members": [_member(m) for m in members],
            "tags": values.getlist("tags"),
            "agent": values.get("agent", ""),
        }
        try:
            household = households.register_household(db.session, user, body)
        except DomainError as err:
            db.session.rollback()
            errors = flash_error(err)
            if err.status == 403:
                abort(403)
        else:
            flash(_("Household registered."), "success")
            return redirect(url_for("asking.household_show", household_id=household.id))
    village = unit_by_code(db.session, values.get("village") or villages[0].code) or villages[0]
    return render_template(
        "asking/household_new.html",
        villages=villages,
        groups=_groups(village),
        agents=households.agents_of(db.session, village),
        errors=errors,
        values=values,
        chosen_tags=values.getlist("tags"),
    ), (422 if errors else 200)


def _groups(village):
    return active_children(db.session, village.id, UnitKind.GROUP)


def _member(line: str) -> dict:
    """ "李秀英 配偶" → a member and their relation to the head; a bare name is a member."""
    name, _sep, relation = line.partition(" ")
    return {"name": name.strip(), "relation": relation.strip()}


@bp.get("/households/<household_id>")
@login_required
def household_show(household_id):
    user = current_engine_user()
    household = or_404(households.get_household, db.session, user, household_id)
    return _household_page(household, {}, {})


def _household_page(household, errors, values, status=200):
    user = current_engine_user()
    return render_template(
        "asking/household.html",
        h=household_dict(household, full=True),
        household=household,
        visits=visits.household_visits(db.session, household.id),
        may_record=may_keep(user, household.village),
        channels=ContactChannel.choices(get_locale()),
        outcomes=NeedOutcome.choices(get_locale()),
        items=active_items(db.session),
        rows=range(NEED_ROWS),
        errors=errors,
        values=values,
    ), status


@bp.post("/households/<household_id>/visits")
@login_required
def visit_record(household_id):
    user = current_engine_user()
    household = or_404(households.get_household, db.session, user, household_id)
    form = request.form
    needs = []
    for i in range(NEED_ROWS):
        text = form.get(f"need_text_{i}", "").strip()
        if not text:
            continue
        needs.append(
            {
                "text": text,
                "outcome": form.get(f"need_outcome_{i}", ""),
                "answer": form.get(f"need_answer_{i}", ""),
                "catalog_code": form.get(f"need_catalog_{i}", "") or None,
                "reason": form.get(f"need_reason_{i}", ""),
            }
        )
    at = form.get("at", "").strip()
    body = {
        "household_id": household.id,
        "channel": form.get("channel", ""),
        "at": (at + ":00+08:00") if len(at) == 16 else at,  # <input type="datetime-local"> is China time
        "note": form.get("note", ""),
        "needs": needs,
    }
    try:
        recorded = visits.record_visit(db.session, user, body, form.get("idempotency_key") or None)
    except DomainError as err:
        db.session.rollback()
        errors = flash_error(err)
        if err.status == 403:
            abort(403)
        household = or_404(households.get_household, db.session, user, household_id)
        return _household_page(household, errors, form, 422)
    opened = [n.case_id for n in recorded.visit.needs if n.case_id]
    flash(_("Visit recorded.") + (" " + _("%(n)s item(s) opened.", n=len(opened)) if opened else ""), "success")
    return redirect(url_for("asking.household_show", household_id=household.id))


@bp.route("/requests/<request_id>", methods=["GET", "POST"])
@login_required
def request_show(request_id):
    user = current_engine_user()
    resident_request = or_404(requests.get_request, db.session, user, request_id)
    errors, values = {}, request.form
    if request.method == "POST":
        contacted = values.get("contacted_at", "").strip()
        body = {
            "contacted_at": (contacted + ":00+08:00") if len(contacted) == 16 else contacted,
            "outcome": values.get("outcome", ""),
            "answer": values.get("answer", ""),
            "catalog_code": values.get("catalog_code", "") or None,
            "reason": values.get("reason", ""),
        }
        try:
            resident_request = requests.answer_request(db.session, user, resident_request.id, body)
        except DomainError as err:
            db.session.rollback()
            errors = flash_error(err)
            if err.status == 403:
                abort(403)
            resident_request = or_404(requests.get_request, db.session, user, request_id)
        else:
            flash(_("The call-back is recorded."), "success")
            return redirect(url_for("asking.request_show", request_id=resident_request.id))
    return render_template(
        "asking/request.html",
        r=resident_request,
        may_answer=may_keep(user, resident_request.village)
        and resident_request.status == RequestStatus.AWAITING_CALLBACK,
        outcomes=NeedOutcome.choices(get_locale()),
        items=active_items(db.session),
        errors=errors,
        values=values,
    ), (422 if errors else 200)


@bp.get("/requests")
@login_required
def request_list():
    user = current_engine_user()
    status = request.args.get("status") or None
    page = requests.list_requests(db.session, user, status, request.args.get("village"), request.args.get("page"))
    return render_template("asking/requests.html", page=page, status=status)


@bp.get("/households/<household_id>/card")
@login_required
def household_card(household_id):
    household = or_404(households.get_household, db.session, current_engine_user(), household_id)
    return render_template("asking/card.html", card=cards.contact_card(db.session, household.village, household))


@bp.get("/villages/<code>/card")
@login_required
def village_card(code):
    village = unit_by_code(db.session, code)
    if village is None or village.kind != UnitKind.VILLAGE or not may_see(current_engine_user(), village):
        abort(404)
    return render_template("asking/card.html", card=cards.contact_card(db.session, village))


@bp.route("/card-phone", methods=["POST"])
@login_required
def card_phone():
    try:
        cards.set_card_phone(db.session, current_engine_user(), request.form.get("phone", ""))
    except DomainError as err:
        db.session.rollback()
        flash_error(err)
    else:
        flash(_("The phone on your contact cards is saved."), "success")
    return redirect(request.form.get("next") or url_for("asking.index"))


# The QR codes on the contact card, drawn here (never by a third-party service): the public request form and
# the progress lookup, as absolute URLs of this installation.
QR_TARGETS = {"ask": "asking_public.ask", "progress": "public.progress"}


@bp.get("/qr/<target>.png")
def qr(target):
    endpoint = QR_TARGETS.get(target)
    if endpoint is None:
        abort(404)
    image = io.BytesIO()
    segno.make(url_for(endpoint, _external=True), error="m").save(image, kind="png", scale=8, border=4)
    image.seek(0)
    return send_file(image, mimetype="image/png", max_age=3600)


@bp.get("/report")
@login_required
def report():
    """Supervision of asking: visits per agent against the quota, priority coverage, needs, call-back time."""
    try:
        figures = asking_report(
            db.session, current_engine_user(), request.args.get("unit") or None, request.args.get("month") or None
        )
    except DomainError as err:
        db.session.rollback()
        if err.status in (403, 404):
            abort(err.status)
        flash_error(err)
        figures = asking_report(db.session, current_engine_user())
    return render_template("asking/report.html", f=figures)


@bp.route("/households/import", methods=["GET", "POST"])
@login_required
def household_import():
    """Upload → preview with each row's problems → import all rows, or nothing (the sheet rides along as JSON)."""
    _keeper_villages()
    result, errors, sheet = None, {}, None
    if request.method == "POST":
        sheet, errors = posted_sheet()
        if sheet is not None:
            confirm = request.form.get("confirm") == "1"
            result, errors = attempt(import_households, sheet, posted_mapping(IMPORT_FIELDS), not confirm)
            if result is not None and confirm:
                flash(_("%(count)s households imported.", count=result["imported"]), "success")
                return redirect(url_for("asking.household_list"))
            if result is None and confirm:  # refused: show the preview again with the row errors
                result, _ignored = attempt(import_households, sheet, posted_mapping(IMPORT_FIELDS), True)
    carried = json.dumps({"headers": sheet.headers, "rows": sheet.rows}, ensure_ascii=False) if sheet else None
    status = 200 if request.method == "GET" or (result is not None and result["valid"]) else 422
    return render_template(
        "asking/import.html",
        fields=IMPORT_FIELDS,
        required=IMPORT_REQUIRED,
        result=result,
        sheet=sheet,
        carried=carried,
        errors=errors,
    ), status


@bp.get("/households/export.xlsx")
@login_required
def household_export():
    a = request.args
    rows = export_rows(db.session, current_engine_user(), a.get("village"), a.get("tag"), a.get("q"), get_locale())
    return send_file(
        household_workbook(rows), mimetype=XLSX, as_attachment=True, download_name="households.xlsx", max_age=0
    )


@bp.route("/households/<household_id>/edit", methods=["GET", "POST"])
@login_required
def household_edit(household_id):
    user = current_engine_user()
    household = or_404(households.get_household, db.session, user, household_id)
    if not may_keep(user, household.village):
        abort(403)
    errors: dict = {}
    if request.method == "POST":
        form = request.form
        body = {
            "group": form.get("group", ""),
            "head_name": form.get("head_name", ""),
            "phone": form.get("phone", ""),
            "address": form.get("address", ""),
            "members": [_member(m.strip()) for m in form.get("members", "").splitlines() if m.strip()],
            "tags": form.getlist("tags"),
        }
        if form.get("agent"):
            body["agent"] = form["agent"]
        try:
            households.update_household(db.session, user, household.id, body)
        except DomainError as err:
            db.session.rollback()
            errors = flash_error(err)
            household = or_404(households.get_household, db.session, user, household_id)
        else:
            flash(_("Household changed."), "success")
            return redirect(url_for("asking.household_show", household_id=household.id))
        values, chosen = form, form.getlist("tags")
    else:
        values = {
            "village": household.village.code,
            "group": household.group.code if household.group else "",
            "head_name": household.head_name,
            "phone": household.phone,
            "address": household.address,
            "members": "\n".join(f"{m['name']} {m.get('relation', '')}".strip() for m in household.members or []),
            "agent": household.agent.username if household.agent else "",
        }
        chosen = list(household.tags or [])
    return render_template(
        "asking/household_new.html",
        villages=[household.village],
        groups=_groups(household.village),
        agents=households.agents_of(db.session, household.village),
        errors=errors,
        values=values,
        chosen_tags=chosen,
        editing=household,
    ), (422 if errors else 200)
