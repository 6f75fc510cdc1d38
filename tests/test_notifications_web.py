"""Notifications over the API and on the pages: a returned task tells its holder, the list is
paginated newest first in the reader's language, marking read is one's own; the bell counts."""

import re

from .conftest import csrf_token

ACCEPT = {"data": {"materials_complete": True, "commission_signed": True}}


def _step(case, name):
    return next(t for t in case["open_tasks"] if t["task"] == name)


def _mine(api, user, **query):
    args = "&".join(f"{k}={v}" for k, v in query.items())
    return api.call("GET", f"/api/v1/notifications?{args}", user)


def test_a_returned_task_notifies_its_holder_over_the_api(api):
    case = api.open_case("village_agent@t2-v1", "house-building", "t2-v1")
    accept = _step(case, "accept_item")
    case = api.call("POST", f"/api/v1/tasks/{accept['id']}/complete", "village_agent@t2-v1", ACCEPT)
    review = _step(case, "township_review")

    arrived = [n for n in _mine(api, "township_reception@t2", per_page=100)["items"] if n["task_id"] == review["id"]]
    assert [n["kind"] for n in arrived] == ["new_task"] and not arrived[0]["read"]
    assert arrived[0]["case_id"] == case["id"] and case["receipt_code"] in arrived[0]["text"]
    assert "新待办" in arrived[0]["text"]  # zh-CN by default

    api.call("POST", f"/api/v1/tasks/{review['id']}/return", "township_reception@t2", {"reason": "缺材料"})
    listing = _mine(api, "village_agent@t2-v1", per_page=1)
    [note] = listing["items"]  # newest first, one per page
    assert listing["per_page"] == 1 and listing["total"] >= 1 and listing["unread"] >= 1
    assert (note["kind"], note["task_id"], note["read"]) == ("returned_to_me", accept["id"], False)
    assert "退回给您" in note["text"]
    assert set(note) == {"id", "at", "kind", "text", "case_id", "task_id", "read"}

    # Only one's own: someone else marking this id changes nothing.
    assert api.call("POST", "/api/v1/notifications/read", "township_reception@t2", {"ids": [note["id"]]})["marked"] == 0
    done = api.call("POST", "/api/v1/notifications/read", "village_agent@t2-v1", {"ids": [note["id"]]})
    assert done["marked"] == 1 and done["unread"] == listing["unread"] - 1
    assert _mine(api, "village_agent@t2-v1", per_page=1)["items"][0]["read"] is True
    assert api.call("POST", "/api/v1/notifications/read", "village_agent@t2-v1", {"ids": [note["id"]]})["marked"] == 0
    api.call("POST", "/api/v1/notifications/read", "village_agent@t2-v1", {}, expect=422)
    api.call("POST", "/api/v1/notifications/read", "village_agent@t2-v1", {"ids": "all"}, expect=422)
    api.call("POST", "/api/v1/notifications/read", "village_agent@t2-v1", {"ids": [True]}, expect=422)
    everything = api.call("POST", "/api/v1/notifications/read", "township_reception@t2", {"all": True})
    assert everything["unread"] == 0
    assert _mine(api, "township_reception@t2", unread=1)["items"] == []


def _bell(html):
    return int(re.search(r'data-unread="(\d+)"', html).group(1))


def test_the_bell_counts_unread_and_the_list_page_marks_them_read(api, login):
    case = api.open_case("village_agent@t2-v2", "house-building", "t2-v2")
    accept = _step(case, "accept_item")
    case = api.call("POST", f"/api/v1/tasks/{accept['id']}/complete", "village_agent@t2-v2", ACCEPT)
    review = _step(case, "township_review")
    api.call("POST", f"/api/v1/tasks/{review['id']}/return", "township_reception@t2", {"reason": "缺材料"})

    client = login("village_agent@t2-v2")
    home = client.get("/inbox").get_data(as_text=True)
    assert _bell(home) >= 1
    page = client.get("/notifications?show=unread").get_data(as_text=True)
    assert "退回给我" in page and case["receipt_code"] in page and f"/tasks/{accept['id']}" in page
    english = client.get("/notifications?lang=en").get_data(as_text=True)
    assert "was returned to you" in english and "Returned to you" in english
    client.get("/notifications?lang=zh_CN")
    response = client.post("/notifications/read", data={"all": "1", "csrf_token": csrf_token(page)})
    assert response.status_code == 302
    after = client.get("/notifications?show=unread").get_data(as_text=True)
    assert _bell(after) == 0 and "没有通知" in after
