"""当前所在 with several units: a joint item with several departments at once names all of them (names,
never codes) on the case page, in the case list, in the API and in the resident's progress lookup."""

import re

from .test_api_case_context import _names


def _cell(html: str, css: str) -> str:
    return re.sub(r"<[^>]+>", "", re.search(rf'class="{css}">(.*?)</d[dt]>|class="{css}">(.*?)</td>', html, re.S)[0])


def test_a_joint_item_is_with_every_department_handling_it(api, login):
    names = _names(api)
    case = api.open_case("village_agent@t2-v2", "house-building", "t2-v2", phone="13800002468")
    case, _ = api.run_to_end(case, until="handle_in_department")
    departments = sorted(t["org_unit"] for t in case["open_tasks"] if t["task"] == "handle_in_department")
    assert len(departments) >= 2

    seen = api.call("GET", f"/api/v1/cases/{case['id']}", "village_agent@t2-v2")
    assert sorted(u["code"] for u in seen["now_at"]) == departments
    assert {u["name"] for u in seen["now_at"]} == {names[d] for d in departments}
    listed = api.call("GET", f"/api/v1/cases?q={case['receipt_code']}", "village_agent@t2-v2")["items"]
    assert sorted(u["code"] for u in listed[0]["now_at"]) == departments
    progress = api.call("GET", f"/api/v1/public/progress?receipt={case['receipt_code']}&phone_last4=2468", None)
    assert {u["name"] for u in progress["now_at"]} == {names[d] for d in departments}

    agent = login("village_agent@t2-v2")
    page = agent.get(f"/cases/{case['id']}").get_data(as_text=True)
    now_at = _cell(page, "now-at")
    assert all(names[d] in now_at for d in departments) and not [d for d in departments if d in now_at]
    items = agent.get(f"/cases?q={case['receipt_code']}").get_data(as_text=True)
    assert all(names[d] in _cell(items, "now-at") for d in departments)
    english = agent.get(f"/cases/{case['id']}?lang=en").get_data(as_text=True)
    assert "Bureau" in _cell(english, "now-at")
