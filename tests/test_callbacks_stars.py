"""Service-point stars at their thresholds; call-back sampling that a seed reproduces; recording
calls, where a dissatisfied resident opens a review for the supervisors."""

from datetime import date

import pytest
from sqlalchemy import select

from engine.kernel.errors import Conflict, Forbidden, Invalid, NotFound
from engine.oversight.assessment import Figures
from engine.oversight.callbacks import close_record, draw_callbacks, record_callback, records, sample
from engine.oversight.quotas import service_point_stars, stars_for
from engine.store.models import Event
from engine.store.oversight_tables import CallBack, Review

from .oversight_data import add_case, at, make_township

RULES = {"min_satisfaction": 0.90, "completion": [0.80, 0.85, 0.90]}


def _fig(opened, closed, rated, satisfied):
    return Figures("v", "v", opened, closed, closed, rated, satisfied)


@pytest.mark.parametrize(
    "opened,closed,rated,satisfied,stars",
    [
        (10, 8, 10, 9, 1),  # exactly 90% satisfied, exactly 80% complete
        (20, 17, 10, 9, 2),  # exactly 85%
        (10, 9, 10, 9, 3),  # exactly 90%
        (10, 10, 10, 10, 3),
        (100, 79, 10, 10, 0),  # just under 80%
        (10, 10, 100, 89, 0),  # just under 90% satisfied
        (10, 10, 0, 0, 0),  # nobody rated: no stars
        (0, 0, 0, 0, 0),
    ],
)
def test_stars_at_the_thresholds(opened, closed, rated, satisfied, stars):
    assert stars_for(_fig(opened, closed, rated, satisfied), RULES) == stars


def test_every_service_point_is_listed_with_its_stars(session):
    town = make_township(session, villages=2)
    for n in range(10):  # village 1: 9 of 10 closed, 9 of 9 satisfied -> three stars
        closed = "2026-11-10 10:00" if n < 9 else None
        add_case(
            session,
            town,
            1,
            "a1",
            "temporary-aid",
            "2026-11-02 10:00",
            "2026-11-20 17:30",
            closed,
            "satisfied" if closed else None,
        )
    rows = {r["key"]: r for r in service_point_stars(session, town.unit, date(2026, 11, 1))}
    assert rows[town.villages[0].code]["stars"] == 3 and rows[town.villages[0].code]["completion_rate"] == 0.9
    assert rows[town.villages[1].code]["stars"] == 0 and rows[town.villages[1].code]["opened"] == 0


def test_sampling_is_reproducible_with_a_seed():
    ids = list(range(100, 120))
    first = sample(ids, 0.35, seed=2026)
    assert first == sample(list(reversed(ids)), 0.35, seed=2026)  # order of the population does not matter
    assert len(first) == 7 and set(first) <= set(ids)
    assert sample(ids, 0.35, seed=2027) != first
    assert len(sample(ids[:4], 0.35, seed=1)) == 2  # 1.4 rounds up


@pytest.fixture
def closed_month(session):
    town = make_township(session, villages=1)
    cases = [
        add_case(
            session,
            town,
            1,
            "a1",
            "temporary-aid",
            "2026-11-02 10:00",
            "2026-11-20 17:30",
            f"2026-11-{10 + n} 10:00",
            "satisfied",
        )
        for n in range(6)
    ]
    add_case(session, town, 1, "a1", "temporary-aid", "2026-11-02 10:00", "2026-11-20 17:30", "2026-12-01 10:00")
    add_case(session, town, 1, "a1", "temporary-aid", "2026-11-02 10:00", "2026-11-20 17:30")  # still open
    town.cases = cases
    return town


def test_draw_takes_the_seeded_share_of_the_months_closed_items(session, closed_month, user):
    town = closed_month
    supervisor = user("supervisor@qx")
    drawn = draw_callbacks(session, supervisor, town.unit.code, date(2026, 11, 1), seed=7, now=at("2026-12-02 09:00"))
    expected = sample([c.id for c in town.cases], 0.35, 7)
    assert sorted(d.case_id for d in drawn) == expected and len(expected) == 3  # ceil(6 * 0.35)
    event = session.scalar(select(Event).where(Event.type == "callbacks_drawn").order_by(Event.id.desc()))
    assert event.detail["cases"] == expected and event.detail["seed"] == 7
    # A second draw takes from the items not drawn yet; when none is left it says so.
    again = draw_callbacks(session, supervisor, town.unit.code, date(2026, 11, 1), seed=7, share=1.0)
    assert not {d.case_id for d in again} & set(expected) and len(again) == 3
    with pytest.raises(Conflict):
        draw_callbacks(session, supervisor, town.unit.code, date(2026, 11, 1), seed=7)
    with pytest.raises(Invalid):
        draw_callbacks(session, supervisor, town.unit.code, date(2026, 12, 1), seed=-1)
    with pytest.raises(Forbidden):
        draw_callbacks(session, town.users["a1"], town.unit.code, date(2026, 11, 1), seed=1)


def test_a_dissatisfied_call_back_opens_a_review(session, closed_month, user):
    town = closed_month
    inspector = town.users["inspector"]
    drawn = draw_callbacks(session, inspector, None, date(2026, 11, 1), seed=3)
    first, second = drawn[0].id, drawn[1].id
    with pytest.raises(Invalid):
        record_callback(session, inspector, first, "happy")
    assert session.get(CallBack, first).status == "pending"
    with pytest.raises(NotFound):  # another township's inspector does not see it
        record_callback(session, user("discipline_inspector@t1"), first, "satisfied")
    record_callback(session, inspector, first, "satisfied")
    done = record_callback(session, inspector, second, "dissatisfied", "材料反复提交")
    assert done.status == "done" and done.outcome == "dissatisfied"
    with pytest.raises(Conflict):
        record_callback(session, inspector, second, "satisfied")
    reviews = records(session, Review, town.unit, "open")
    assert [r.case_id for r in reviews.items] == [done.case_id] and reviews.items[0].reason == "材料反复提交"
    assert records(session, Review, user("supervisor@qx").roles[0].org_unit, "open").total >= 1
    closed = close_record(session, user("supervisor@qx"), Review, reviews.items[0].id, "已约谈代办员")
    assert closed.status == "closed" and records(session, Review, town.unit, "open").total == 0
    pending = records(session, CallBack, town.unit, "pending")
    assert pending.total == len(drawn) - 2
