"""Assessment figures against a hand-computed township: volume, completion, on-time and satisfaction
rates by village, agent, category and month; overdue and due-soon lists; quotas with their boundaries."""

from datetime import date

import pytest

from engine.kernel.errors import Forbidden, NotFound
from engine.oversight.assessment import figures, scoped_unit
from engine.oversight.overdue import late_items, late_rows
from engine.oversight.quotas import periods, quotas

from .oversight_data import add_event, at, november_town

NOW = at("2026-12-10 12:00")  # a Thursday


@pytest.fixture
def town(session):
    return november_town(session)


def _row(rows, key):
    return next(r for r in rows if r.key == key)


def test_a_townships_month_is_counted_by_hand(session, town):
    total = figures(session, town.unit, date(2026, 11, 1), date(2026, 11, 30))[0]
    # opened 1-5; closed 1,2,4,5; on time 1,4,5; rated 1,2,4; satisfied 1,2
    assert (total.opened, total.closed, total.on_time, total.rated, total.satisfied) == (5, 4, 3, 3, 2)
    assert (total.completion_rate, total.on_time_rate, total.satisfaction_rate) == (0.8, 0.75, 0.6667)


def test_figures_by_village_agent_category_and_month(session, town):
    nov = (date(2026, 11, 1), date(2026, 11, 30))
    villages = figures(session, town.unit, *nov, "village")
    v1, v2 = (_row(villages, v.code) for v in town.villages[:2])
    assert (v1.opened, v1.closed, v1.on_time, v1.rated, v1.satisfied) == (3, 2, 1, 2, 2)
    assert (v2.opened, v2.closed, v2.on_time, v2.rated, v2.satisfied) == (2, 2, 2, 1, 0)
    assert v1.completion_rate == 0.6667 and v2.satisfaction_rate == 0.0
    assert town.villages[2].code not in [r.key for r in villages]  # no items, no row
    agents = figures(session, town.unit, *nov, "agent")
    assert {r.key: r.opened for r in agents} == {town.users["a1"].username: 3, town.users["a2"].username: 2}
    categories = figures(session, town.unit, *nov, "category")
    aid, house = _row(categories, "civil_affairs"), _row(categories, "housing_forestry")
    assert (aid.opened, aid.closed, aid.on_time, aid.rated, aid.satisfied) == (4, 4, 3, 3, 2)
    assert (house.opened, house.closed) == (1, 0) and aid.label == "民政社保"
    months = figures(session, town.unit, date(2026, 10, 1), date(2026, 12, 31), "month")
    assert [(r.key, r.opened, r.closed) for r in months] == [("2026-10", 1, 1), ("2026-11", 5, 4), ("2026-12", 2, 0)]


def test_overdue_and_due_soon_lists_name_owner_and_skip_finished_items(session, town):
    late = late_items(session, town.unit, "overdue", NOW)
    assert [c.id for c in late.items] == [town.cases[3].id] and late.total == 1
    row = late_rows(session, late.items, NOW)[0]
    assert row["owner"] == town.users["a1"].username and row["days_late"] == 1
    soon = late_items(session, town.unit, "due_soon", NOW)
    assert [c.id for c in soon.items] == [town.cases[6].id]
    # The village's own list holds only its items.
    assert late_items(session, town.villages[1], "overdue", NOW).total == 0


def test_supervisors_see_their_subtree_only(session, town, user):
    inspector = town.users["inspector"]
    assert scoped_unit(session, inspector, None).code == town.unit.code
    assert scoped_unit(session, user("supervisor@qx"), town.unit.code).code == town.unit.code
    with pytest.raises(Forbidden):
        scoped_unit(session, inspector, "t1")
    with pytest.raises(Forbidden):
        scoped_unit(session, town.users["a1"], town.unit.code)
    with pytest.raises(NotFound):
        scoped_unit(session, inspector, "no-such-unit")


def test_quota_weeks_are_those_that_start_in_the_month():
    weeks = periods("week", date(2026, 11, 1))  # November 2026 starts on a Sunday
    assert [w[0].isoformat() for w in weeks] == ["2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23", "2026-11-30"]
    assert weeks[-1][1] == date(2026, 12, 6)
    assert periods("month", date(2026, 2, 1)) == [(date(2026, 2, 1), date(2026, 2, 28))]


def test_quotas_who_met_them_and_who_did_not(session, town):
    c = town.cases
    # The township agent works one item in each week, at the weeks' very edges.
    for when, case in (
        ("2026-11-02 00:00", c[1]),
        ("2026-11-15 23:59", c[2]),
        ("2026-11-16 00:00", c[4]),
        ("2026-11-29 23:59", c[4]),
        ("2026-12-06 23:59", c[5]),
    ):
        add_event(session, town, "ta", case, when)
    add_event(session, town, "ta2", c[1], "2026-11-02 09:00")  # then nothing: misses four weeks
    add_event(session, town, "a2", c[4], "2026-11-16 10:00")  # the same item again counts once
    add_event(session, town, "a3", c[7], "2026-11-01 00:00", "task_completed")  # one item: below two
    rows = {r["username"]: r for r in quotas(session, town.unit, date(2026, 11, 1), NOW)}
    u = {k: v.username for k, v in town.users.items()}
    assert rows[u["ta"]]["status"] == "met" and [p["handled"] for p in rows[u["ta"]]["periods"]] == [1, 1, 1, 1, 1]
    assert (
        rows[u["ta2"]]["status"] == "missed" and [p["status"] for p in rows[u["ta2"]]["periods"]].count("missed") == 4
    )
    assert rows[u["a1"]]["handled"] == 3 and rows[u["a1"]]["status"] == "met"
    assert rows[u["a2"]]["handled"] == 2 and rows[u["a2"]]["status"] == "met"  # 23:30 on the 30th still counts
    assert rows[u["a3"]]["handled"] == 1 and rows[u["a3"]]["status"] == "missed"
    assert rows[u["g1"]]["handled"] == 0 and rows[u["g1"]]["status"] == "missed"
    # While the month runs, a short count is pending, not missed.
    running = {r["username"]: r for r in quotas(session, town.unit, date(2026, 11, 1), at("2026-11-20 12:00"))}
    assert running[u["a3"]]["status"] == "pending"
