"""Sessions keep their objects after a commit (expire_on_commit=False: a command's answer reads the
case it just changed without reloading it). The price: code that sets a foreign key's id
(`proposal.decided_by_id = user.id`) would leave the relationship (`proposal.decided_by`) showing
what it loaded before. This guard notes every many-to-one link whose key column changed in a flush and,
after the commit, forgets the link where it no longer matches its key, so the next read loads the right
object (one lazy load, only for links set by id)."""

from __future__ import annotations

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session
from sqlalchemy.orm.interfaces import MANYTOONE

_KEY = "daiban_changed_links"


def _changed_links(session: Session, _context, _instances) -> None:
    changed = session.info.setdefault(_KEY, [])
    for obj in list(session.new) + list(session.dirty):
        state = inspect(obj)
        mapper = state.mapper
        for rel in mapper.relationships:
            if rel.direction is not MANYTOONE:
                continue
            columns = [mapper.get_property_by_column(c).key for c in rel.local_columns if c in mapper.columns.values()]
            if columns and any(state.attrs[key].history.has_changes() for key in columns):
                changed.append((obj, rel, columns))


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
