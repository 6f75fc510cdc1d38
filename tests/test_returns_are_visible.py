"""A return is visible: the task sent back lands under 我签收的 of whoever did the step, so the inbox
opens there with the task marked 已退回, and the task page shows the reason first."""

import re

from .test_api_case_context import _complete, _names


def test_a_returned_item_opens_the_agents_inbox_on_it_with_the_reason(api, login):
    names = _names(api)
    case = api.open_case("village_agent@t2-v1", "temporary-aid", "t2-v1", name="退回测试")
    case = _complete(api, case, "accept_item", {"materials_complete": True, "commission_signed": True})
    review = next(t for t in case["open_tasks"] if t["task"] == "township_review")
    reason = "困难情况证明须村委会盖章后重新提交"
    case = api.call("POST", f"/api/v1/tasks/{review['id']}/return", "township_reception@t2", {"reason": reason})
    back = next(t for t in case["open_tasks"] if t["task"] == "accept_item")
    assert back["assignee"] == "village_agent@t2-v1"

    detail = api.call("GET", f"/api/v1/tasks/{back['id']}", "village_agent@t2-v1")
    assert detail["context"]["return_reason"]["reason"] == reason
    assert detail["context"]["return_reason"]["unit"]["name"] == names["t2"]
    listed = api.call("GET", "/api/v1/tasks?scope=mine&per_page=100", "village_agent@t2-v1")["items"]
    row = next(t for t in listed if t.get("id") == back["id"])
    assert (row["returned"], row["return_reason"], row["urges"]) == (True, reason, 0)

    agent = login("village_agent@t2-v1")
    inbox = agent.get("/inbox").get_data(as_text=True)
    assert re.search(r'class="tab-mine active"', inbox)  # opens where the returned task is
    row = re.search(r"<tr[^>]*>(?:(?!</tr>).)*" + case["receipt_code"] + r".*?</tr>", inbox, re.S).group(0)
    assert "已退回" in row and reason in row
    page = agent.get(f"/tasks/{back['id']}").get_data(as_text=True)
    assert page.index(reason) < page.index('class="taskform"')  # the reason comes before the form
