"""催办 over the API and on the task page: the first-ask agent urges, a second urge the same working
day is a 409 in the user's language, the task shows 已催办 ×n, the holder's bell rings."""

import re

from .conftest import csrf_token

ACCEPT = {"data": {"materials_complete": True, "commission_signed": True}}


def _step(case, name):
    return next(t for t in case["open_tasks"] if t["task"] == name)


def _handed_over(api, village):
    case = api.open_case(f"village_agent@{village}", "house-building", village)
    accept = _step(case, "accept_item")
    case = api.call("POST", f"/api/v1/tasks/{accept['id']}/complete", f"village_agent@{village}", ACCEPT)
    return case, _step(case, "township_review")


def test_urge_over_the_api_once_per_working_day(api):
    case, review = _handed_over(api, "t2-v3")
    path = f"/api/v1/tasks/{review['id']}/urge"
    api.call("POST", path, "township_agent@t2", {"note": "x"}, expect=403)
    api.call("POST", path, "village_agent@t1-v1", {"note": "x"}, expect=404)
    api.call("POST", path, "village_agent@t2-v3", {"note": 5}, expect=422)
    task = api.call("POST", path, "village_agent@t2-v3", {"note": "请尽快"})
    assert task["urges"] == 1 and task["id"] == review["id"]
    again = api.call("POST", path, "village_agent@t2-v3", {}, expect=409)
    assert "下一个工作日" in again["detail"]
    assert api.call("POST", path, "discipline_inspector@t2", {})["urges"] == 2
    told = [
        n
        for n in api.call("GET", "/api/v1/notifications?per_page=100", "township_reception@t2")["items"]
        if n["task_id"] == review["id"] and n["kind"] == "urged"
    ]
    assert len(told) == 2 and "请尽快" in told[-1]["text"]
    assert api.call("GET", f"/api/v1/tasks/{review['id']}", "township_reception@t2")["urges"] == 2
    listed = api.call("GET", "/api/v1/tasks?scope=available&per_page=100", "township_reception@t2")["items"]
    row = next(t for t in listed if t.get("id") == review["id"])
    assert (row["urges"], row["returned"], row["return_reason"]) == (2, False, None)


def test_the_first_ask_agent_urges_from_the_task_page(api, login):
    case, review = _handed_over(api, "t1-v3")
    client = login("village_agent@t1-v3")
    page = client.get(f"/tasks/{review['id']}").get_data(as_text=True)
    assert "催办" in page and "已催办" not in page
    response = client.post(
        f"/tasks/{review['id']}/urge",
        data={"note": "请今天处理", "csrf_token": csrf_token(page)},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "已催办:已通知办理人" in html and "已催办 ×1" in html
    refused = client.post(
        f"/tasks/{review['id']}/urge", data={"csrf_token": csrf_token(html)}, follow_redirects=True
    ).get_data(as_text=True)
    assert "下一个工作日" in refused and "已催办 ×1" in refused

    holder = login("township_reception@t1")
    inbox = holder.get("/inbox?scope=available&per_page=100").get_data(as_text=True)
    row = re.search(r"<tr[^>]*>(?:(?!</tr>).)*" + case["receipt_code"] + r".*?</tr>", inbox, re.S).group(0)
    assert "已催办 ×1" in row and "已退回" not in row  # the row is marked in the holder's inbox
    bell = holder.get("/notifications?show=unread").get_data(as_text=True)
    assert int(re.search(r'data-unread="(\d+)"', bell).group(1)) >= 1 and "请今天处理" in bell
    # The holder gets no urge button on their own task.
    assert f"/tasks/{review['id']}/urge" not in holder.get(f"/tasks/{review['id']}").get_data(as_text=True)
