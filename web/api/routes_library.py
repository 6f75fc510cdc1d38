"""The process library: list, validate, save drafts, deploy, test-run."""

from flask import jsonify, request
from flask_babel import gettext

from engine.cases import commands, test_runs
from engine.kernel.errors import Invalid
from engine.kernel.i18n import N_
from engine.kernel.xml import MAX_XML_BYTES
from engine.library import process_library as library
from engine.read.shapes import case_dict
from engine.store.paging import iso

from ..auth import current_engine_user
from ..extensions import db
from . import api, json_body, problem, token_required


def _diagram() -> bytes:
    data = request.get_data(cache=False)
    if len(data) > MAX_XML_BYTES:
        raise Invalid(N_("the diagram is too large"), {"diagram": N_("at most 1 MB")})
    return data


def _diagram_errors(errors: list[dict]) -> list[dict]:
    """Validation errors in the user's language, still keyed by element id for the modeler."""
    return [{**e, "message": gettext(text)} for e, text in ((e, e["message"]) for e in errors)]


@api.get("/processes")
@token_required
def processes():
    result = library.editor_library(db.session, current_engine_user())
    for entry in result:
        for v in entry["versions"]:
            v["deployed_at"] = iso(v["deployed_at"])
    return jsonify(result)


@api.post("/processes/validate")
@token_required
def validate():
    found, errors, _forms = library.check_diagram(current_engine_user(), _diagram(), db.session)
    if errors:
        return problem(422, "Unprocessable Entity", gettext("the diagram is not valid"), _diagram_errors(errors))
    return jsonify(ok=True, processes=found)


@api.post("/processes")
@token_required
def save_draft():
    try:
        version = library.save_draft(db.session, current_engine_user(), _diagram())
    except Invalid as err:
        if "diagram" not in err.errors:
            raise
        return problem(
            422, "Unprocessable Entity", gettext("the diagram is not valid"), _diagram_errors(err.errors["diagram"])
        )
    # Saved all the same: what deploying it would refuse, per element, for the analyst to fix.
    problems = _diagram_errors(library.deploy_problems(db.session, current_engine_user(), version))
    return jsonify(
        key=version.key,
        name=version.name,
        version=version.version,
        hash=version.hash,
        status=version.status,
        deploy_problems=problems,
    ), 201


@api.post("/processes/<key>/versions/<version>/deploy")
@token_required
def deploy(key, version):
    try:
        deployed = library.deploy(db.session, current_engine_user(), key, version)
    except Invalid as err:
        if isinstance(err.errors.get("diagram"), list):  # what cannot be deployed, per element, translated
            err.errors["diagram"] = _diagram_errors(err.errors["diagram"])
        raise
    return jsonify(
        key=deployed.key,
        version=deployed.version,
        status=deployed.status,
        deployed_at=iso(deployed.deployed_at),
        deployed_by=deployed.deployed_by,
    )


@api.post("/processes/<key>/versions/<version>/test-runs")
@token_required
def test_run(key, version):
    body = json_body()
    target = library.get_version(db.session, key, version)
    case = commands.start_test_run(db.session, current_engine_user(), target, body.get("data", {}))
    return jsonify(case_dict(db.session, case, current_engine_user())), 201


@api.get("/test-runs/<int:case_id>")
@token_required
def test_run_state(case_id):
    return jsonify(test_runs.test_run_state(db.session, current_engine_user(), case_id))


@api.post("/test-runs/<int:case_id>/events")
@token_required
def test_run_event(case_id):
    body = json_body()
    user = current_engine_user()
    test_runs.drive_test_run(db.session, user, case_id, body)
    return jsonify(test_runs.test_run_state(db.session, user, case_id))
