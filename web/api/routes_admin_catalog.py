"""Administration API: catalog changes and approvals (准入审批), the holiday calendar, the ledger import."""

from flask import jsonify, request

from engine.cases import calendar_admin, catalog_admin
from engine.library.ledger import import_ledger
from engine.store.paging import iso

from ..auth import current_engine_user
from ..extensions import db
from . import api, json_body, token_required
from .routes_admin import run_import


def item_dict(item) -> dict:
    return {
        "code": item.code,
        "version": item.version,
        "active": item.active,
        "origin": item.origin,
        **{f: getattr(item, f) for f in catalog_admin.FIELDS},
    }


def proposal_dict(p) -> dict:
    return {
        "id": p.id,
        "code": p.code,
        "status": p.status,
        "fields": p.fields,
        "task": {"name": p.task_name, "role": p.lane} if p.task_id else None,
        "proposed_by": p.proposed_by.username,
        "proposed_at": iso(p.proposed_at),
        "decided_by": p.decided_by.username if p.decided_by else None,
        "decided_at": iso(p.decided_at),
        "opinion": p.opinion,
        "catalog_version": p.catalog_item.version if p.catalog_item else None,
        "process": {"key": p.process_version.key, "version": p.process_version.version},
    }


@api.post("/admin/catalog/items/<code>")
@token_required
def admin_change_item(code):
    return jsonify(item_dict(catalog_admin.change_item(db.session, current_engine_user(), code, json_body())))


@api.get("/admin/catalog/items/<code>/versions")
@token_required
def admin_item_versions(code):
    return jsonify([item_dict(i) for i in catalog_admin.item_versions(db.session, current_engine_user(), code)])


@api.get("/admin/catalog/proposals")
@token_required
def admin_proposals():
    found = catalog_admin.list_proposals(db.session, current_engine_user(), request.args.get("status"))
    return jsonify([proposal_dict(p) for p in found])


@api.post("/admin/catalog/proposals")
@token_required
def admin_propose():
    return jsonify(proposal_dict(catalog_admin.propose_item(db.session, current_engine_user(), json_body()))), 201


@api.get("/admin/catalog/proposals/<proposal_id>")
@token_required
def admin_proposal(proposal_id):
    return jsonify(proposal_dict(catalog_admin.get_proposal(db.session, current_engine_user(), proposal_id)))


@api.post("/admin/catalog/proposals/<proposal_id>/decide")
@token_required
def admin_decide(proposal_id):
    body = json_body()
    proposal = catalog_admin.decide(db.session, current_engine_user(), proposal_id, body.get("data", body))
    return jsonify(proposal_dict(proposal))


@api.get("/admin/calendar")
@token_required
def admin_calendar():
    return jsonify(calendar_admin.list_years(db.session, current_engine_user()))


@api.post("/admin/calendar/<year>")
@token_required
def admin_set_year(year):
    body = json_body()
    return jsonify(
        calendar_admin.set_year(
            db.session,
            current_engine_user(),
            year,
            body.get("holidays", []),
            body.get("workdays", []),
            body.get("provisional", False),
        )
    )


@api.post("/admin/ledger/import")
@token_required
def admin_import_ledger():
    return run_import(import_ledger)
