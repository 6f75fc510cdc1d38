"""The routing table (bpmn/routing.dmn) over the whole catalog: every one of the 30 items, accepted
as usual or as a special item, is routed to a level and to units that exist for the resident's village."""

import tomllib

import pytest

from engine.kernel.settings import CONFIG_DIR
from engine.read.shapes import task_context

from .scenario import ACCEPT, Item, at

CATALOG = tomllib.loads((CONFIG_DIR / "catalog.toml").read_text(encoding="utf-8"))["items"]
FIRST_STEP = {"village": "handle_at_village", "township": "township_review", "county": "township_review"}


def test_the_catalog_has_thirty_items_in_eight_categories_with_what_residents_must_know():
    assert len(CATALOG) == 30 and len({i["category"] for i in CATALOG}) == 8
    assert len({i["code"] for i in CATALOG}) == 30
    for entry in CATALOG:
        assert entry["time_limit_days"] >= 0 and entry["fee"] >= 0
        assert entry["kind"] in ("immediate", "promised", "joint", "escalated")
        assert entry["fee"] == 0 or entry.get("fee_note"), f"{entry['code']}: a statutory fee says what it is"


@pytest.mark.parametrize("urgent", [False, True])
@pytest.mark.parametrize("entry", CATALOG, ids=[i["code"] for i in CATALOG])
def test_each_catalog_item_is_routed_by_the_table(session, user, entry, urgent):
    item = Item(session, user, entry["code"], "village_agent@t1-v1", "t1-v1", at(11, 23))
    item.do("accept_item", {**ACCEPT, "urgent": urgent}, at(11, 23, 10))
    case = item.case
    data = task_context(item.open_rows()[0])
    expected_level = entry["level"] if entry["level"] != "group" else "village"
    assert data["level"] == expected_level
    assert case.kind == ("special" if urgent else entry["kind"])
    assert data["time_limit_days"] == (
        entry["time_limit_days"] // 2
        if urgent and expected_level != "village"
        else 0
        if urgent
        else entry["time_limit_days"]
    )
    if expected_level == "county":
        assert len(data["departments"]) == len(entry["departments"]) >= 1
        assert data["lead_department"] == data["departments"][0]
    if expected_level == "township":
        assert data["station"].startswith("t1-")
    assert [r.spec_name for r in item.open_rows()] == [FIRST_STEP[expected_level]]
