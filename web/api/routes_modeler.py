"""The analyst's workbench over the API: a version's file, the diff of two versions, case migration."""

from flask import Response, jsonify, request

from engine.cases import migration
from engine.library import diagram_diff
from engine.library import process_library as library

from ..auth import current_engine_user
from ..extensions import db
from . import api, json_body, token_required

MEDIA_TYPES = {"bpmn": "application/xml", "dmn": "application/xml"}


@api.get("/processes/<key>/versions/<version>/file")
@token_required
def version_file(key, version):
    found = library.editor_version(db.session, current_engine_user(), key, version)
    filename = f"{found.key}-v{found.version}.{found.type}"
    return Response(
        found.xml,
        mimetype=MEDIA_TYPES[found.type],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@api.get("/processes/<key>/diff")
@token_required
def version_diff(key):
    return jsonify(
        diagram_diff.diff_versions(
            db.session, current_engine_user(), key, request.args.get("from"), request.args.get("to")
        )
    )


@api.post("/processes/<key>/versions/<version>/migration-dry-run")
@token_required
def migration_dry_run(key, version):
    body = json_body() if request.get_data() else {}
    return jsonify(migration.dry_run(db.session, current_engine_user(), key, version, body.get("from_version")))


@api.post("/processes/<key>/versions/<version>/migrate")
@token_required
def migrate(key, version):
    body = json_body()
    return jsonify(
        migration.migrate(
            db.session, current_engine_user(), key, version, body.get("from_version"), body.get("case_ids")
        )
    )
