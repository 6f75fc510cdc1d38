"""Bulk claim and bulk urge from the inbox: each task its own command, refusals reported per task
and never undoing the others."""

from .conftest import csrf_token

ACCEPT = {"data": {"materials_complete": True, "commission_signed": True}}


def _review(api, village):
    case = api.open_case(f"village_agent@{village}", "house-building", village)
    accept = next(t for t in case["open_tasks"] if t["task"] == "accept_item")
    case = api.call("POST", f"/api/v1/tasks/{accept['id']}/complete", f"village_agent@{village}", ACCEPT)
    return next(t for t in case["open_tasks"] if t["task"] == "township_review")


def test_bulk_claim_and_bulk_urge_over_the_api(api):
    first, second = _review(api, "t2-v1"), _review(api, "t2-v2")
    api.call("POST", "/api/v1/tasks/bulk/claim", "township_reception@t2", {"ids": []}, expect=422)
    api.call("POST", "/api/v1/tasks/bulk/claim", "township_reception@t2", {"ids": ["x"] * 101}, expect=422)
    urged = api.call(
        "POST", "/api/v1/tasks/bulk/urge", "supervisor@qx", {"ids": [first["id"], second["id"]], "note": "月底前"}
    )
    assert urged["done"] == 2
    again = api.call("POST", "/api/v1/tasks/bulk/urge", "supervisor@qx", {"ids": [first["id"]]})
    assert (
        again["done"] == 0 and again["results"][0]["status"] == 409 and "下一个工作日" in again["results"][0]["message"]
    )

    claimed = api.call(
        "POST",
        "/api/v1/tasks/bulk/claim",
        "township_reception@t2",
        {"ids": [first["id"], "no-such-task", second["id"]]},
    )
    assert claimed["done"] == 2
    assert [(r["id"], r["done"], r["status"]) for r in claimed["results"]] == [
        (first["id"], True, None),
        ("no-such-task", False, 404),
        (second["id"], True, None),
    ]
    assert (
        api.call("GET", f"/api/v1/tasks/{first['id']}", "township_reception@t2")["assignee"] == "township_reception@t2"
    )
    assert api.call("GET", f"/api/v1/tasks/{second['id']}", "township_reception@t2")["urges"] == 1


def test_bulk_claim_from_the_inbox_page(api, login):
    first, second = _review(api, "t2-v3"), _review(api, "t2-v3")
    client = login("township_reception@t2")
    page = client.get("/inbox?scope=available&per_page=100").get_data(as_text=True)
    assert f'value="{first["id"]}" form="bulk-form"' in page and 'id="bulk-form"' in page
    html = client.post(
        "/inbox/bulk",
        data={"task": [first["id"], second["id"]], "action": "claim", "csrf_token": csrf_token(page)},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "2 项中已完成 2 项" in html
    mine = client.get("/inbox?scope=mine&per_page=100").get_data(as_text=True)
    assert first["id"] in mine and second["id"] in mine
