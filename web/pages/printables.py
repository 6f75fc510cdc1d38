"""Printable forms on A4 (print CSS): 委托单 commission form, 一次性告知单 missing-materials
notice, 落实卡 result card, 不予受理告知书 refusal notice; the window's 交接单 lives with the batches."""

from flask import Blueprint, abort, render_template
from flask_login import login_required

from engine.cases.attachments import case_attachments, missing_materials
from engine.cases.visibility import get_case
from engine.kernel.vocabulary import CaseStatus
from engine.read.context import case_outcome
from engine.read.printouts import case_result

from ..auth import current_engine_user
from ..extensions import db
from . import or_404

bp = Blueprint("printables", __name__)


def _case(case_id):
    return or_404(get_case, db.session, current_engine_user(), case_id)


@bp.get("/cases/<case_id>/print/commission")
@login_required
def commission(case_id):
    return render_template("print/commission.html", case=_case(case_id))


@bp.get("/cases/<case_id>/print/notice")
@login_required
def notice(case_id):
    case = _case(case_id)
    return render_template(
        "print/notice.html", case=case, missing=missing_materials(case, case_attachments(db.session, case))
    )


@bp.get("/cases/<case_id>/print/result-card")
@login_required
def result_card(case_id):
    case = _case(case_id)
    refusal = case_outcome(db.session, case)[1] if case.status == CaseStatus.RETURNED else None
    return render_template("print/result_card.html", case=case, result=case_result(db.session, case), refusal=refusal)


@bp.get("/cases/<case_id>/print/refusal")
@login_required
def refusal_notice(case_id):
    """不予受理告知书: why the item was not accepted and where the resident should go instead."""
    case = _case(case_id)
    refusal = case_outcome(db.session, case)[1] if case.status == CaseStatus.RETURNED else None
    if refusal is None:
        abort(404)
    return render_template("print/refusal.html", case=case, refusal=refusal)
