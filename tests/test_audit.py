"""Audit: events are append-only in the database itself, on SQLite and PostgreSQL, and every
state change a user makes leaves one event naming the actor and the time."""

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DatabaseError

from engine.cases import commands
from engine.store.models import Event


def test_events_cannot_be_edited_or_deleted(session, user):
    case = commands.open_case(
        session,
        user("village_agent@t1-v2"),
        "temporary-aid",
        {"name": "审计", "phone": "13100001111", "village": "t1-v2"},
        "audit",
        [],
    )
    opened = session.scalar(select(Event).where(Event.case_id == case.id, Event.type == "case_opened"))
    assert opened.actor == "village_agent@t1-v2" and opened.at is not None
    with pytest.raises(DatabaseError, match="append-only"):
        session.execute(update(Event).where(Event.id == opened.id).values(actor="someone else"))
    session.rollback()
    with pytest.raises(DatabaseError, match="append-only"):
        session.execute(delete(Event).where(Event.id == opened.id))
    session.rollback()
    if session.get_bind().dialect.name == "postgresql":
        with pytest.raises(DatabaseError, match="append-only"):
            session.execute(text("TRUNCATE events CASCADE"))
        session.rollback()
    assert session.scalar(select(func.count()).select_from(Event).where(Event.id == opened.id)) == 1
    assert session.get(Event, opened.id).actor == "village_agent@t1-v2"


def test_the_consistency_check_finds_an_inbox_that_lies(api, demo_db):
    from engine.read.consistency import check_consistency
    from engine.store.models import TaskRow

    case = api.open_case("village_agent@t1-v3", "temporary-aid", "t1-v3")
    with demo_db() as s:
        assert not [p for p in check_consistency(s) if p.startswith(f"case {case['id']}:")]
        row = s.get(TaskRow, case["open_tasks"][0]["id"])
        row.state = "cancelled"  # simulate a half-applied change
        s.flush()
        found = [p for p in check_consistency(s) if p.startswith(f"case {case['id']}:")]
        s.rollback()
    assert any("inbox" in p for p in found) and any("no task holds it" in p for p in found)
