"""Exactly once for clients that retry (the village agent's phone): a write sent with an Idempotency-Key
is kept with its request's hash and its first answer, in the same transaction as the change it made.

The caller (a web route) first asks `earlier(...)`: a key already used with the same request replays its
first answer, with another request it is refused (422). Otherwise it announces the write with `expect`;
the unit of work (unit_of_work.py) calls `record` just before its commit, once the command's result of the
announced kind exists, so the key row and the change commit together or not at all. Two concurrent
requests with one key: the second's commit meets the unique (user, key) and is a Conflict with nothing
applied, after which the caller finds the winner's row and replays it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..kernel.errors import Conflict, Invalid
from ..kernel.i18n import N_
from .device_tables import IdempotencyKey
from .models import User

MAX_KEY = 100
INFO = "daiban.idempotency"


@dataclass
class Expected:
    """A write announced under a key: what it makes (`kind`) and how its answer is written."""

    user_id: int
    key: str
    digest: str
    kind: type
    answer: Callable[[Any], tuple[str, int, dict]]  # result -> (resource, HTTP status, body)


def clean_key(value) -> str | None:
    """The header's key, or None without one; a key that is blank, too long or not printable ASCII is refused."""
    if value is None:
        return None
    key = value.strip() if isinstance(value, str) else ""
    if not key or len(key) > MAX_KEY or not all(33 <= ord(c) < 127 for c in key):
        raise Invalid(
            N_("the Idempotency-Key is not valid"),
            {"Idempotency-Key": N_("1 to 100 printable characters, e.g. a UUID")},
        )
    return key


def request_hash(*parts: bytes | str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


def earlier(session: Session, user: User, key: str, digest: str) -> IdempotencyKey | None:
    """The first answer to this user's key, if the key was used; Invalid if it was used for another request."""
    row = session.scalar(select(IdempotencyKey).where(IdempotencyKey.user_id == user.id, IdempotencyKey.key == key))
    if row is not None and row.request_hash != digest:
        raise Invalid(
            N_("this Idempotency-Key was used for another request"),
            {"Idempotency-Key": N_("use a new key for a new record")},
        )
    return row


def expect(session: Session, expected: Expected) -> None:
    session.info[INFO] = expected


def forget(session: Session) -> None:
    session.info.pop(INFO, None)


def once(session: Session, user: User, key: str, digest: str, kind: type, make: Callable[[], Any]) -> int:
    """The id of what `make()` made under this key: made now (its key row committed with it), or by an earlier
    or a concurrent request under the same key. For a step inside a larger write (the item a visit's need
    opens, before the visit), so a retry after a crash between the two reuses the item instead of opening
    another."""
    row = earlier(session, user, key, digest)
    if row is not None:
        return int(row.resource.split(":", 1)[1])
    outer = session.info.get(INFO)
    session.info[INFO] = Expected(user.id, key, digest, kind, lambda made: (f"{kind.__name__}:{made.id}", 201, {}))
    try:
        return make().id
    except Conflict:  # the unit of work rolled back; a concurrent request under this key may have made it
        row = earlier(session, user, key, digest)
        if row is None:
            raise
        return int(row.resource.split(":", 1)[1])
    finally:
        if outer is None:
            session.info.pop(INFO, None)
        else:
            session.info[INFO] = outer


def record(session: Session, result: object, now: datetime) -> None:
    """Called by the unit of work before its commit: the key row of the announced write, if this command made it."""
    expected: Expected | None = session.info.get(INFO)
    if expected is None or not isinstance(result, expected.kind):
        return
    session.flush()  # the result's id
    resource, status, body = expected.answer(result)
    session.add(
        IdempotencyKey(
            user_id=expected.user_id,
            key=expected.key,
            request_hash=expected.digest,
            resource=resource[:60],
            status=status,
            response=body,
            created_at=now,
        )
    )
