"""Auth, the caller, the org tree, the catalog, the OpenAPI document, public progress, reports."""

import json
from pathlib import Path

from flask import jsonify, request
from flask_babel import gettext
from sqlalchemy import select

from engine.kernel.errors import Invalid
from engine.kernel.i18n import N_
from engine.kernel.vocabulary import (
    CaseStatus,
    ContactChannel,
    EventType,
    ItemKind,
    JointMode,
    Level,
    NeedOutcome,
    NotificationKind,
    RequestStatus,
    Role,
    UnitKind,
    Vocabulary,
)
from engine.library.catalog import active_items
from engine.oversight import reports
from engine.oversight.ratelimit import check_portal
from engine.read import public
from engine.store.models import OrgUnit
from engine.store.paging import iso

from ..auth import LoginLocked, authenticate, current_engine_user, issue_token
from ..extensions import db
from . import api, json_body, problem, token_required

OPENAPI_DIR = Path(__file__).with_name("openapi")

# Schema properties whose values are vocabulary codes: (schema, property path inside it) -> vocabulary.
# The fragments say only "string"; the codes and labels come from engine/kernel/vocabulary.py, so the
# document cannot drift from what the engine writes.
VOCABULARY_PROPERTIES: dict[tuple[str, ...], type[Vocabulary]] = {
    ("Case", "status"): CaseStatus,
    ("CatalogItem", "kind"): ItemKind,
    ("CatalogItem", "level"): Level,
    ("CatalogItem", "joint_mode"): JointMode,
    ("CatalogFields", "joint_mode"): JointMode,
    ("OrgUnit", "kind"): UnitKind,
    ("AdminUnit", "kind"): UnitKind,
    ("Event", "type"): EventType,
    ("Task", "role"): Role,
    ("Me", "roles", "role"): Role,
    ("AdminUser", "roles", "role"): Role,
    ("RoleInput", "role"): Role,
    ("CatalogProposal", "task", "role"): Role,
    ("Quota", "role"): Role,
    ("Visit", "channel"): ContactChannel,
    ("VisitInput", "channel"): ContactChannel,
    ("Need", "outcome"): NeedOutcome,
    ("NeedInput", "outcome"): NeedOutcome,
    ("RequestAnswer", "outcome"): NeedOutcome,
    ("ResidentRequest", "status"): RequestStatus,
    ("PublicRequestStatus", "status"): RequestStatus,
    ("Notification", "kind"): NotificationKind,
    ("Copy", "status"): CaseStatus,
}


def openapi_document() -> dict:
    """_base.json plus one fragment per area (paths and component schemas), merged, with the
    vocabulary's codes and labels as the enums of the properties that hold them."""
    doc = json.loads((OPENAPI_DIR / "_base.json").read_text(encoding="utf-8"))
    doc["paths"] = {}
    for fragment in sorted(OPENAPI_DIR.glob("[!_]*.json")):
        part = json.loads(fragment.read_text(encoding="utf-8"))
        doc["paths"].update(part.get("paths", {}))
        doc["components"]["schemas"].update(part.get("schemas", {}))
    for (schema, *path), vocabulary in VOCABULARY_PROPERTIES.items():
        _enumerate(_property(doc["components"]["schemas"][schema], path), vocabulary)
    return doc


def _property(schema: dict, path: list[str]) -> dict:
    """A property nested in a schema: through `properties`, array `items` and `allOf` parts."""
    for name in path:
        if "items" in schema:
            schema = schema["items"]
        parts = [schema, *schema.get("allOf", [])]
        schema = next(p["properties"][name] for p in parts if name in p.get("properties", {}))
    if "items" in schema and schema.get("type") == "array":
        schema = schema["items"]
    return schema


def _enumerate(schema: dict, vocabulary: type[Vocabulary]) -> None:
    nullable = None in schema.get("enum", [])
    schema["enum"] = vocabulary.codes() + ([None] if nullable else [])
    schema["x-enum-labels"] = {"zh-CN": [m.zh for m in vocabulary], "en": [m.en for m in vocabulary]}


@api.post("/auth/token")
def token():
    body = json_body()
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str) or not username or not password:
        raise Invalid(
            N_("username and password are required"),
            {
                k: N_("required")
                for k in ("username", "password")
                if not isinstance(body.get(k), str) or not body.get(k)
            },
        )
    try:
        user = authenticate(username, password)
    except LoginLocked as locked:
        response = problem(
            429,
            "Too Many Requests",
            gettext("Too many failed logins. Try again in %(seconds)s seconds.", seconds=locked.seconds),
        )
        response.headers["Retry-After"] = str(locked.seconds)
        return response
    if user is None:
        return problem(401, "Unauthorized", "wrong username or password")
    value, expires = issue_token(user)
    return jsonify(token=value, expires_at=iso(expires))


@api.get("/me")
@token_required
def me():
    user = current_engine_user()
    return jsonify(
        username=user.username,
        display_name=user.display_name,
        roles=[{"role": a.role, "org_unit": a.org_unit.code} for a in user.roles],
    )


@api.get("/org/units")
@token_required
def units():
    rows = db.session.scalars(select(OrgUnit).where(OrgUnit.active.is_(True)).order_by(OrgUnit.path)).all()
    codes = {u.id: u.code for u in rows}
    return jsonify(
        [
            {
                "code": u.code,
                "name": u.name,
                "name_en": u.name_en,
                "kind": u.kind,
                "function": u.function,
                "parent": codes.get(u.parent_id),
            }
            for u in rows
        ]
    )


@api.get("/catalog")
def catalog():
    return jsonify(
        [
            {
                "code": i.code,
                "name": i.name,
                "name_en": i.name_en,
                "category": i.category,
                "kind": i.kind,
                "level": i.level,
                "departments": i.departments,
                "time_limit_days": i.time_limit_days,
                "materials": i.materials,
                "fee": i.fee,
                "fee_note": i.fee_note,
                "joint_mode": i.joint_mode,
                "vote_share": i.vote_share,
                "version": i.version,
            }
            for i in active_items(db.session)
        ]
    )


@api.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())


@api.get("/public/progress")
def progress():
    receipt = request.args.get("receipt")
    check_portal(db.session, request.remote_addr, receipt)
    return jsonify(public.progress(db.session, receipt, request.args.get("phone_last4")))


@api.get("/reports/summary")
@token_required
def report_summary():
    return jsonify(
        reports.summary(
            db.session,
            current_engine_user(),
            request.args.get("unit"),
            request.args.get("from"),
            request.args.get("to"),
        )
    )
