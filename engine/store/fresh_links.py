"""Sessions keep their objects after a commit (expire_on_commit=False: a command's answer reads the
case it just changed without reloading it). The price: code that sets a foreign key's id
(`proposal.decided_by_id = user.id`) would leave the relationship (`proposal.decided_by`) showing
what it loaded before. This guard notes every many-to-one link whose key column changed in a flush and,
after the commit, forgets the link where it no longer matches its key, so the next read loads the right
object (one lazy load, only for links set by id)."""

from __future__ import annotations

from functools import cache

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session
from sqlalchemy.orm.interfaces import MANYTOONE

_KEY = "daiban_changed_links"


def _changed_links(session: Session, _context, _instances) -> None:
    changed = session.info.setdefault(_KEY, [])
    for obj in session.new:
        state = inspect(obj)
        # A pending object's link is only in its dict when it was set or read: then it may disagree.
        changed.extend((obj, rel, columns) for rel, columns in _links(state.mapper) if rel.key in state.dict)
    for obj in session.dirty:
        state = inspect(obj)
        touched = state.committed_state  # the attributes changed since the last flush
        if touched:
            changed.extend(
                (obj, rel, columns) for rel, columns in _links(state.mapper) if any(k in touched for k in columns)
            )


@cache
def _links(mapper) -> tuple:
    """The mapper's many-to-one links and the attribute keys of their key columns, worked out once:
    comparing columns builds SQL expressions, far too slow for every flush."""
    links = []
    own = {id(c) for c in mapper.columns}
    for rel in mapper.relationships:
        if rel.direction is not MANYTOONE:
            continue
        columns = [mapper.get_property_by_column(c).key for c in rel.local_columns if id(c) in own]
        if columns:
            links.append((rel, columns))
    return tuple(links)


def _forget_stale(session: Session) -> None:
    for obj, rel, columns in session.info.pop(_KEY, []):
        state = inspect(obj)
        if rel.key not in state.dict:
            continue  # not loaded: the next read loads it by the new key anyway
        target = state.dict[rel.key]
        keys = [getattr(obj, key) for key in columns]
        if target is None and all(k is None for k in keys):
            continue
        if target is not None:
            identity = inspect(target).identity
            if identity is not None and list(identity) == keys:
                continue  # set together with its id (`case.org_unit_id, case.org_unit = ...`)
        session.expire(obj, [rel.key])


def _forget_notes(session: Session, *_args) -> None:
    session.info.pop(_KEY, None)


def install() -> None:
    """Once per process, for every session (the web's, the workers', the tests')."""
    if not event.contains(Session, "before_flush", _changed_links):
        event.listen(Session, "before_flush", _changed_links)
        event.listen(Session, "after_commit", _forget_stale)
        event.listen(Session, "after_soft_rollback", _forget_notes)


install()
