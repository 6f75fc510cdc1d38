"""The hostile-input generators of bench/hostile.py (deep JSON, extreme dates, non-finite numbers, nested
arrays where scalars belong, control characters) against every operation of the API, anonymously and as a
village agent, an analyst and an administrator: not one server error (issue #18's "done when")."""

import json

from bench.hostile import run

from .isolated_db import app, demo_db, own_database_url  # noqa: F401  (a fresh database per module)

USERS = ("village_agent@t1-v1", "analyst@qx", "admin")


def test_no_hostile_input_makes_a_server_error(client, api):
    tokens = {user: api.token(user) for user in USERS}
    spec = client.get("/api/v1/openapi.json").get_json()

    def send(method, path, headers, body, content_type):
        try:
            response = client.open(path, method=method, data=body, headers=headers, content_type=content_type)
        except Exception as err:  # the test app propagates what a server would answer 500 to
            with client.application.app_context():
                from web.extensions import db

                db.session.rollback()
            return 500, f"{type(err).__name__}: {err}"
        return response.status_code, response.get_data()[:300].decode("utf-8", "replace")  # files are bytes

    calls, findings = run(send, spec, tokens, deep=(400, 200_000))
    report = "\n".join(f"{f.status} {f.method} {f.path} as {f.user}: {f.what}: {f.excerpt}" for f in findings)
    assert not findings, report
    assert calls > 4000, json.dumps(calls)
