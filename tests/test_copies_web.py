"""抄送 over the API and on the pages: the holder copies an item, the recipient reads it under
抄送我的 and on the case page but gets no action, a second copy changes nothing."""

from .conftest import csrf_token

ACCEPT = {"data": {"materials_complete": True, "commission_signed": True}}


def _step(case, name):
    return next(t for t in case["open_tasks"] if t["task"] == name)


def test_cc_over_the_api_reader_can_read_but_not_act(api):
    case = api.open_case("village_agent@t2-v2", "house-building", "t2-v2")
    accept = _step(case, "accept_item")
    case = api.call("POST", f"/api/v1/tasks/{accept['id']}/complete", "village_agent@t2-v2", ACCEPT)
    review = _step(case, "township_review")
    path = f"/api/v1/cases/{case['id']}/cc"
    api.call("GET", f"/api/v1/cases/{case['id']}", "village_agent@t1-v2", expect=404)
    api.call("POST", path, "township_agent@t2", {"usernames": ["village_agent@t1-v2"]}, expect=403)
    api.call("POST", path, "township_reception@t2", {"usernames": "village_agent@t1-v2"}, expect=422)
    api.call("POST", path, "township_reception@t2", {"usernames": ["ghost"]}, expect=422)
    assert "cc" in api.call("GET", f"/api/v1/cases/{case['id']}", "township_reception@t2")["available_actions"]

    done = api.call("POST", path, "township_reception@t2", {"usernames": ["village_agent@t1-v2"], "note": "供参考"})
    assert done == {"copied": ["village_agent@t1-v2"], "readers": ["village_agent@t1-v2"]}
    again = api.call("POST", path, "township_reception@t2", {"usernames": ["village_agent@t1-v2"]})
    assert again["copied"] == []

    read = api.call("GET", f"/api/v1/cases/{case['id']}", "village_agent@t1-v2")
    assert read["receipt_code"] == case["receipt_code"] and read["available_actions"] == []
    task = api.call("GET", f"/api/v1/tasks/{review['id']}", "village_agent@t1-v2")
    assert task["available_actions"] == []
    api.call("POST", f"/api/v1/tasks/{review['id']}/claim", "village_agent@t1-v2", expect=403)
    api.call("POST", f"/api/v1/tasks/{review['id']}/complete", "village_agent@t1-v2", {"data": {}}, expect=403)

    mine = api.call("GET", "/api/v1/cases/copied-to-me?per_page=100", "village_agent@t1-v2")
    [copy] = [c for c in mine["items"] if c["case_id"] == case["id"]]
    assert (copy["by"], copy["note"], copy["receipt_code"]) == ("township_reception@t2", "供参考", case["receipt_code"])
    told = api.call("GET", "/api/v1/notifications?per_page=100", "village_agent@t1-v2")["items"]
    assert [n["kind"] for n in told if n["case_id"] == case["id"]] == ["copied_to_me"]


def test_cc_from_the_case_page_and_the_copied_to_me_tab(api, login):
    case = api.open_case("village_agent@t2-v3", "house-building", "t2-v3")
    accept = _step(case, "accept_item")
    case = api.call("POST", f"/api/v1/tasks/{accept['id']}/complete", "village_agent@t2-v3", ACCEPT)
    holder = login("township_reception@t2")
    page = holder.get(f"/cases/{case['id']}").get_data(as_text=True)
    assert "抄送" in page
    html = holder.post(
        f"/cases/{case['id']}/cc",
        data={"usernames": "village_agent@t1-v3", "note": "请留意", "csrf_token": csrf_token(page)},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "已抄送给 village_agent@t1-v3" in html and "请留意" in html

    reader = login("village_agent@t1-v3")
    inbox = reader.get("/inbox").get_data(as_text=True)
    assert "抄送我的" in inbox
    listed = reader.get("/copied").get_data(as_text=True)
    assert case["receipt_code"] in listed and "请留意" in listed
    shown = reader.get(f"/cases/{case['id']}").get_data(as_text=True)
    assert case["receipt_code"] in shown and f"/cases/{case['id']}/cc" not in shown
