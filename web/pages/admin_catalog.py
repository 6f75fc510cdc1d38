"""Administration pages: the catalog (changes, proposals and the leader's approval), calendar, ledger."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.cases import calendar_admin, catalog_admin
from engine.kernel.vocabulary import JointMode, Role
from engine.library.catalog import KINDS, LEVELS, active_items, categories, current_item
from engine.library.ledger import FIELDS as LEDGER_FIELDS
from engine.library.ledger import REQUIRED as LEDGER_REQUIRED
from engine.library.ledger import import_ledger
from engine.org.access import has_role

from ..auth import current_engine_user
from ..extensions import db
from ..nav import guarded
from .admin import attempt, bp, shown
from .admin_people import import_page

ITEM_FORM = (
    "name",
    "name_en",
    "category",
    "kind",
    "level",
    "departments",
    "time_limit_days",
    "materials",
    "fee",
    "fee_note",
    "joint_mode",
    "vote_share",
)


def _item_form() -> dict:
    return {f: request.form.get(f, "") for f in ITEM_FORM}


def _item_page(template_values, errors, status=200, **extra):
    return render_template(
        "admin/item.html",
        values=template_values,
        errors=errors,
        kinds=KINDS,
        levels=LEVELS,
        joint_modes=JointMode.codes(),
        categories=categories(),
        **extra,
    ), status


@bp.get("/catalog")
@guarded
def catalog():
    user = current_engine_user()
    proposals = shown(catalog_admin.list_proposals)
    items = active_items(db.session) if has_role(user, Role.ADMIN) else []
    return render_template("admin/catalog.html", items=items, proposals=proposals, categories=categories())


@bp.route("/catalog/new", methods=["GET", "POST"])
def propose():
    errors = {}
    if request.method == "POST":
        proposal, errors = attempt(catalog_admin.propose_item, {**_item_form(), "code": request.form.get("code", "")})
        if proposal is not None:
            flash(_("Proposed. The item enters the catalog when a leader approves it."), "success")
            return redirect(url_for("admin.proposal", proposal_id=proposal.id))
    elif not has_role(current_engine_user(), Role.ADMIN):
        abort(403)
    return _item_page(request.form if request.method == "POST" else {}, errors, 422 if errors else 200, item=None)


@bp.route("/catalog/items/<code>", methods=["GET", "POST"])
def item(code):
    versions = shown(catalog_admin.item_versions, code)
    current = current_item(db.session, code)
    errors = {}
    if request.method == "POST":
        changed, errors = attempt(catalog_admin.change_item, code, _item_form())
        if changed is not None:
            flash(
                _(
                    "Saved as version %(version)s; open items keep the version they started with.",
                    version=changed.version,
                ),
                "success",
            )
            return redirect(url_for("admin.item", code=code))
    values = (
        request.form
        if request.method == "POST"
        else (
            {
                **{f: getattr(current, f) for f in ITEM_FORM},
                "departments": "\n".join(current.departments),
                "materials": "\n".join(current.materials),
            }
            if current
            else {}
        )
    )
    return _item_page(values, errors, 422 if errors else 200, item=current, versions=versions)


@bp.route("/catalog/proposals/<proposal_id>", methods=["GET", "POST"])
def proposal(proposal_id):
    found = shown(catalog_admin.get_proposal, proposal_id)
    errors = {}
    if request.method == "POST":
        decided, errors = attempt(
            catalog_admin.decide,
            proposal_id,
            {"decision": request.form.get("decision", ""), "opinion": request.form.get("opinion", "").strip()},
        )
        if decided is not None:
            flash(
                _("Approved: the item is in the catalog.") if decided.status == "approved" else _("Decision recorded."),
                "success",
            )
            return redirect(url_for("admin.proposal", proposal_id=proposal_id))
        found = shown(catalog_admin.get_proposal, proposal_id)
    user = current_engine_user()
    may_decide = (
        found.status == "pending" and found.lane and has_role(user, found.lane) and found.proposed_by_id != user.id
    )
    return render_template(
        "admin/proposal.html", proposal=found, may_decide=may_decide, errors=errors, values=request.form
    ), 422 if errors else 200


@bp.get("/calendar")
def calendar():
    years = shown(calendar_admin.list_years)
    return render_template("admin/calendar.html", years=years, errors={}, edited=None)


@bp.post("/calendar/<int:year>")
def calendar_year(year):
    saved, errors = attempt(
        calendar_admin.set_year,
        year,
        request.form.get("holidays", ""),
        request.form.get("workdays", ""),
        request.form.get("provisional") == "on",
    )
    if saved is not None:
        flash(
            _(
                "Calendar for %(year)s saved; %(count)s open items got new deadlines.",
                year=year,
                count=saved["cases_recomputed"],
            ),
            "success",
        )
        return redirect(url_for("admin.calendar") + f"#y{year}")
    years = shown(calendar_admin.list_years)
    if year not in [y["year"] for y in years]:
        years.append(calendar_admin.year_dict(None, year))
    for y in years:
        if y["year"] == year:  # show what was typed, next to its errors
            y.update(
                holidays=request.form.get("holidays", "").split(), workdays=request.form.get("workdays", "").split()
            )
    return render_template("admin/calendar.html", years=years, errors=errors, edited=year), 422


@bp.route("/ledger", methods=["GET", "POST"])
def ledger():
    def imported(result):
        flash(_("%(count)s ledger items imported as archived history.", count=result["imported"]), "success")
        return redirect(url_for("admin.ledger"))

    return import_page("ledger", import_ledger, LEDGER_FIELDS, LEDGER_REQUIRED, "admin.ledger", imported)
