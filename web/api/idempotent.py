"""Idempotency-Key on the writes the phone queues (POST /cases, /visits, attachment uploads): the same key
and request replay the first answer, the same key with another request is a 422, and of two concurrent
requests with one key one wins and the other replays it (or, if the winner has not committed, a 409).
The key row is written by the unit of work in the change's own transaction (engine/store/idempotency.py)."""

from __future__ import annotations

import json
from functools import wraps

from flask import current_app, jsonify, request

from engine.kernel.errors import Conflict
from engine.store import idempotency

from ..auth import current_engine_user
from ..extensions import db


def _request_hash() -> str:
    """The method, the path and the body: JSON compared by its content, a form by its fields and files."""
    body = request.get_json(silent=True) if request.is_json else None
    if body is not None:
        content = json.dumps(body, sort_keys=True, ensure_ascii=False)
        return idempotency.request_hash(request.method, request.path, content)
    parts: list[bytes | str] = [request.method, request.path]
    for name in sorted(request.form):
        parts += [name, *request.form.getlist(name)]
    for name in sorted(request.files):
        for upload in request.files.getlist(name):
            parts += [name, upload.filename or "", upload.stream.read()]
            upload.stream.seek(0)
    return idempotency.request_hash(*parts)


def _replay(row):
    response = jsonify(row.response)
    response.status_code = row.status
    response.headers["Idempotent-Replayed"] = "true"
    return response


def idempotent(kind: type, answer):
    """`answer(result) -> (resource, body)`: the JSON the route answers for the command's result, written
    with the key in the command's transaction and replayed for a retry."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            key = idempotency.clean_key(request.headers.get("Idempotency-Key"))
            if key is None:
                return view(*args, **kwargs)
            user, digest = current_engine_user(), _request_hash()
            row = idempotency.earlier(db.session, user, key, digest)
            if row is not None:
                return _replay(row)

            def stored(result):
                resource, body = answer(result)
                return resource, 201, json.loads(current_app.json.dumps(body))

            idempotency.expect(db.session, idempotency.Expected(user.id, key, digest, kind, stored))
            try:
                return view(*args, **kwargs)
            except Conflict:
                # A concurrent request with this key may have won: then this one replays its answer.
                db.session.rollback()
                row = idempotency.earlier(db.session, user, key, digest)
                if row is None:
                    raise
                return _replay(row)
            finally:
                idempotency.forget(db.session)

        return wrapper

    return decorate
