"""The event log is append-only, enforced by the database itself: no code path, admin page or
SQL console session of the application's user can edit or delete an event."""

from __future__ import annotations

from sqlalchemy import DDL, event

from .models import Event

POSTGRES = [
    """CREATE OR REPLACE FUNCTION daiban_events_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'events are append-only'; END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
       FOR EACH ROW EXECUTE FUNCTION daiban_events_append_only()""",
    """CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
       FOR EACH STATEMENT EXECUTE FUNCTION daiban_events_append_only()""",
]
SQLITE = [
    """CREATE TRIGGER events_no_update BEFORE UPDATE ON events
       BEGIN SELECT RAISE(ABORT, 'events are append-only'); END""",
    """CREATE TRIGGER events_no_delete BEFORE DELETE ON events
       BEGIN SELECT RAISE(ABORT, 'events are append-only'); END""",
]


def statements(dialect: str) -> list[str]:
    return POSTGRES if dialect == "postgresql" else SQLITE if dialect == "sqlite" else []


for _dialect, _statements in (("postgresql", POSTGRES), ("sqlite", SQLITE)):
    for _sql in _statements:
        event.listen(Event.__table__, "after_create", DDL(_sql).execute_if(dialect=_dialect))
