"""Broken and random BPMN and DMN (bench/hostile_diagrams.py) through every operation of the process
library as an analyst: validate, save, test run and its waits, deploy, diff, migration dry run, file.
Not one server error (issue #19's "done when": no request to /api/v1/processes* answers 5xx)."""

from bench.hostile_diagrams import run

from .isolated_db import app, demo_db, own_database_url  # noqa: F401  (a fresh database per module)


def test_no_hostile_diagram_makes_a_server_error(client, api):
    def send(method, path, headers, body, content_type):
        try:
            response = client.open(path, method=method, data=body, headers=headers, content_type=content_type)
        except Exception as err:  # the test app propagates what a server would answer 500 to
            with client.application.app_context():
                from web.extensions import db

                db.session.rollback()
            return 500, f"{type(err).__name__}: {err}"
        return response.status_code, response.get_data()[:3000].decode("utf-8", "replace")

    calls, findings = run(send, api.token("analyst@qx"), seed=19, count=120)
    report = "\n".join(f"{f.status} {f.method} {f.path}: {f.what}: {f.excerpt[-300:]}" for f in findings)
    assert not findings, report
    assert calls > 400
