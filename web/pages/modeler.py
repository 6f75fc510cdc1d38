"""The analyst's workbench: the process library, the modeler, import, deploy, diff, case migration.

Only analysts and administrators get here (the engine raises Forbidden for
anyone else; that is a 403 page). The modeler itself saves, validates and
deploys through the JSON API from the browser.
"""

import json

import werkzeug.exceptions
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from engine.cases import commands, migration, test_runs
from engine.kernel.errors import DomainError, Forbidden, Invalid
from engine.kernel.i18n import N_
from engine.kernel.xml import MAX_XML_BYTES
from engine.library import diagram_diff
from engine.library import process_library as library
from engine.read.shapes import open_tasks
from engine.runtime.failures import DiagramFailed
from engine.store.models import Case

from ..auth import current_engine_user
from ..extensions import db
from ..nav import guarded
from . import flash_error, or_404, refused

bp = Blueprint("modeler", __name__, url_prefix="/modeler")


@bp.errorhandler(Forbidden)
def forbidden(err):
    return current_app.handle_http_exception(werkzeug.exceptions.Forbidden())  # the app's 403 page


@bp.get("")
@login_required
@guarded
def index():
    return render_template("modeler/index.html", processes=library.editor_library(db.session, current_engine_user()))


@bp.get("/<key>/<int:version>")
@login_required
def edit(key, version):
    found = or_404(library.editor_version, db.session, current_engine_user(), key, version)
    choices = library.modeler_choices(db.session, current_engine_user()) if found.type == "bpmn" else None
    return render_template("modeler/edit.html", version=found, choices=choices)


@bp.post("/import")
@login_required
def import_file():
    upload = request.files.get("file")
    data = upload.read(MAX_XML_BYTES + 1) if upload else b""  # one byte more: the engine rejects it
    try:
        version = library.save_draft(db.session, current_engine_user(), data)
    except Invalid as err:
        db.session.rollback()
        flash(
            _("The file was not imported.")
            + " "
            + "; ".join(
                _(text) + (f" ({detail})" if detail else "")
                for text, detail in ((p["message"], p.get("detail")) for p in err.errors.get("diagram") or [])
            ),
            "error",
        )
        return redirect(url_for("modeler.index"))
    problems = library.deploy_problems(db.session, current_engine_user(), version)
    if problems:  # saved all the same: it can be test-run; deploying it is refused until they are fixed
        flash(
            _("Imported as draft version %(version)s; it cannot be deployed yet:", version=version.version)
            + " "
            + "; ".join(_(p["message"]) + (f" ({p['detail']})" if p.get("detail") else "") for p in problems),
            "error",
        )
    else:
        flash(_("Imported as draft version %(version)s.", version=version.version), "success")
    return redirect(url_for("modeler.edit", key=version.key, version=version.version))


@bp.post("/<key>/<int:version>/deploy")
@login_required
def deploy(key, version):
    try:
        deployed = library.deploy(db.session, current_engine_user(), key, version)
    except DomainError as err:
        refused(err)
    else:
        flash(_("Version %(version)s is live: new items use it.", version=deployed.version), "success")
    return redirect(url_for("modeler.index"))


@bp.get("/<key>/diff")
@login_required
def diff(key):
    result = or_404(
        diagram_diff.diff_versions,
        db.session,
        current_engine_user(),
        key,
        request.args.get("from"),
        request.args.get("to"),
    )
    return render_template("modeler/diff.html", diff=result)


@bp.route("/<key>/<int:version>/migration", methods=["GET", "POST"])
@login_required
def migration_page(key, version):
    user = current_engine_user()
    from_version = request.values.get("from_version") or None
    result = None
    try:
        if request.method == "POST":
            result = migration.migrate(db.session, user, key, version, from_version)
            flash(
                _("%(count)s items moved to version %(version)s.", count=len(result["migrated"]), version=version),
                "success",
            )
        report = migration.dry_run(db.session, user, key, version, from_version)
    except DomainError as err:
        db.session.rollback()
        if err.status in (403, 404):
            abort(err.status)
        flash_error(err)
        return redirect(url_for("modeler.index"))
    return render_template(
        "modeler/migration.html", key=key, version=version, report=report, result=result, from_version=from_version
    )


@bp.post("/<key>/<int:version>/test-run")
@login_required
def start_test_run(key, version):
    user = current_engine_user()
    target = or_404(library.get_version, db.session, key, version)
    try:
        case = commands.start_test_run(db.session, user, target, {})
    except DiagramFailed as err:  # the run is kept as failed: show it
        db.session.rollback()
        return redirect(url_for("modeler.test_run", case_id=int(err.errors["test_run"])))
    except DomainError as err:
        refused(err)
        return redirect(url_for("modeler.index"))
    return redirect(url_for("modeler.test_run", case_id=case.id))


@bp.get("/test-runs/<int:case_id>")
@login_required
def test_run(case_id):
    user = current_engine_user()
    state = or_404(test_runs.test_run_state, db.session, user, case_id)
    case = db.session.get(Case, case_id)
    return render_template(
        "modeler/test_run.html",
        run=state,
        case=case,
        tasks=open_tasks(db.session, case),
        data=json.dumps(state["data"], ensure_ascii=False, indent=2, default=str),
    )


@bp.post("/test-runs/<int:case_id>/events")
@login_required
def test_run_event(case_id):
    body: dict = {k: request.form.get(k) for k in ("kind", "task_id", "name") if request.form.get(k)}
    text = (request.form.get("payload") or "").strip()
    try:
        if text:
            try:
                body["payload"] = json.loads(text)
            except ValueError:
                raise Invalid(N_("the payload must be a JSON object"), {"payload": N_("a JSON object")}) from None
        test_runs.drive_test_run(db.session, current_engine_user(), case_id, body)
    except DomainError as err:
        db.session.rollback()
        if err.status == 404:
            abort(404)
        flash_error(err)
    return redirect(url_for("modeler.test_run", case_id=case_id))
