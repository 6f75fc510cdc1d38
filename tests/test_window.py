"""Engine scenario: the county window sorts items from several townships in one go, tracks
what the departments hold, batches the results per township for its office day, and the
township agent's confirmation moves every item on to the township (SQLite and PostgreSQL)."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from engine.cases import batches, commands, window
from engine.kernel.errors import Conflict, Forbidden, Invalid
from engine.store.models import Event, TaskRow

from .scenario import HOUSE_MATERIALS

WINDOW = "county_window@qx-window"
ACCEPT = {"materials_complete": True, "commission_signed": True}


def _to_window(session, user, village):
    township = village.split("-")[0]
    case = commands.open_case(
        session,
        user(f"village_agent@{village}"),
        "house-building",
        {"name": "周老汉", "phone": "13700001111", "village": village},
        "建房",
        HOUSE_MATERIALS,
    )
    for name, owner, data in (
        ("accept_item", f"village_agent@{village}", ACCEPT),
        ("township_review", f"township_reception@{township}", {"opinion": "报县"}),
    ):
        row = _open_row(session, case, name)
        commands.complete_task(session, user(owner), row.id, data)
    return case


def _open_row(session, case, name):
    return session.scalar(
        select(TaskRow).where(TaskRow.case_id == case.id, TaskRow.state == "ready", TaskRow.spec_name == name)
    )


def test_window_sorts_in_bulk_batches_per_township_and_the_township_agent_signs_for_it(session, user):
    cases = [_to_window(session, user, v) for v in ("t1-v1", "t1-v2", "t2-v1")]
    by_township, by_department = window.incoming(session, user(WINDOW))
    counts = {g.unit.code: len([r for r in g.rows if r.case_id in {c.id for c in cases}]) for g in by_township}
    assert counts["t1"] == 2 and counts["t2"] == 1
    assert {g.unit.code for g in by_department} >= {"qx-zrzy", "qx-nync", "qx-zjj"}
    with pytest.raises(Forbidden):
        window.incoming(session, user("township_reception@t1"))

    ids = [_open_row(session, c, "sort_to_departments").id for c in cases]
    results = window.dispatch_many(session, user(WINDOW), ids + ["no-such-task", ids[0]], "分送")
    assert [r["ok"] for r in results] == [True, True, True, False]  # the repeated id is sorted once
    assert window.dispatch_many(session, user(WINDOW), [ids[0]])[0]["ok"] is False  # already sorted: 409
    out = {g.unit.code: g.rows for g in batches.tracking(session, user(WINDOW))}
    assert {r.case_id for r in out["qx-nync"]} >= {c.id for c in cases}

    for case in cases:  # the window gives the written notice, every department answers, the lead consolidates
        commands.complete_task(
            session,
            user(WINDOW),
            _open_row(session, case, "status_notice").id,
            {"status_notice": "已报县级部门联合审批"},
        )
        for row in session.scalars(select(TaskRow).where(TaskRow.case_id == case.id, TaskRow.state == "ready")):
            commands.complete_task(
                session, user(f"department_handler@{row.org_unit.code}"), row.id, {"approved": True, "opinion": "同意"}
            )
        commands.complete_task(
            session,
            user("department_handler@qx-zrzy"),
            _open_row(session, case, "consolidate").id,
            {"approved": True, "answer": "准予建房"},
        )
    groups = {g.unit.code: g.rows for g in batches.outgoing(session, user(WINDOW))}
    assert {r.case_id for r in groups["t1"]} >= {cases[0].id, cases[1].id}

    wednesday = datetime(2026, 11, 24, 2, tzinfo=UTC)  # Tuesday in Shanghai; t1 meets Wed and Sun
    with pytest.raises(Invalid):
        batches.create_batch(session, user(WINDOW), "t1", "2026-11-26", now=wednesday)  # a Thursday
    batch = batches.create_batch(session, user(WINDOW), "t1", now=wednesday)
    assert batch.scheduled_for.isoformat() == "2026-11-25" and batch.status == "scheduled"
    assert {i.case_id for i in batch.items} >= {cases[0].id, cases[1].id}
    assert cases[2].id not in {i.case_id for i in batch.items}
    assert "t1" not in {g.unit.code for g in batches.outgoing(session, user(WINDOW))}  # batched once only

    with pytest.raises(Forbidden):
        batches.confirm_receipt(session, user("township_reception@t1"), batch.id)
    results = batches.confirm_receipt(session, user("township_agent@t1"), batch.id)
    assert all(r["ok"] for r in results) and len(results) == len(batch.items)
    session.refresh(batch)
    assert batch.status == "received" and batch.received_by.username == "township_agent@t1"
    for case in cases[:2]:
        assert _open_row(session, case, "receive_result") is not None
        assert _open_row(session, case, "return_to_township") is None
        types = [e.type for e in session.scalars(select(Event).where(Event.case_id == case.id))]
        assert types.count("batch_item_received") == 1
    assert _open_row(session, cases[2], "return_to_township") is not None  # t2's result waits for its own batch
    with pytest.raises(Conflict):
        batches.confirm_receipt(session, user("township_agent@t1"), batch.id)


def test_office_days_come_from_the_county_configuration(session, user):
    t1 = session.scalar(select(window.OrgUnit).where(window.OrgUnit.code == "t1"))
    t2 = session.scalar(select(window.OrgUnit).where(window.OrgUnit.code == "t2"))
    assert window.office_days(session, t1) == [2, 6] and window.office_days(session, t2) == [1, 3]
    days = window.upcoming_office_days(session, t2, datetime(2026, 11, 23).date())
    assert [d.isoformat() for d in days] == ["2026-11-24", "2026-11-26", "2026-12-01", "2026-12-03"]
