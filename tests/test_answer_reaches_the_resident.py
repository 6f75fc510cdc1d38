"""The answer travels back: the lead department's consolidated answer reaches the township's
乡镇接收结果, the village agent's 回复群众 and, once the village has replied, the resident's
progress lookup (`result`); a refused item tells the resident why and where to go (`reason`)."""

from .conftest import csrf_token
from .test_api_case_context import _complete, _context, _names

ANSWER = "经自然资源局牵头会商,同意在原宅基地翻建,面积不超过120平方米"


def _progress(client, case: dict, phone: str = "1234") -> dict:
    response = client.get(f"/api/v1/public/progress?receipt={case['receipt_code']}&phone_last4={phone}")
    assert response.status_code == 200
    return response.get_json()


def test_the_consolidated_answer_reaches_the_township_the_village_and_then_the_resident(api, client, login, app):
    names = _names(api)
    case = api.open_case("village_agent@t1-v2", "house-building", "t1-v2")
    case, _ = api.run_to_end(case, until="consolidate")
    case = _complete(api, case, "consolidate", {"approved": True, "answer": ANSWER})
    case, _ = api.run_to_end(case, until="receive_result")
    at_township = _context(api, case, "receive_result")["answer"]
    assert at_township["text"] == ANSWER and at_township["approved"] is True
    assert at_township["unit"]["name"] == names["qx-zrzy"]  # the lead department, by name
    progress = _progress(client, case)
    assert progress["result"] is None  # not yet: the village agent gives the answer first

    case = _complete(api, case, "receive_result", {"note": "已收到县里答复,转村代办员"})
    reply = _context(api, case, "reply_resident")
    assert reply["answer"]["text"] == ANSWER
    assert [s["note"] for s in reply["steps"] if s["name"] == "乡镇接收结果"] == ["已收到县里答复,转村代办员"]
    agent = login("village_agent@t1-v2")
    task = next(t for t in case["open_tasks"] if t["task"] == "reply_resident")
    page = agent.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert ANSWER in page[page.index('id="case-answer"') :] and "同意" in page

    case = _complete(api, case, "reply_resident", {"result_explained": True, "rating": "satisfied"})
    progress = _progress(client, case)
    assert progress["result"] == ANSWER and progress["approved"] is True and progress["reason"] is None
    assert progress["answered_by"]["name"] == names["qx-zrzy"]
    resident = app.test_client()
    form = resident.get("/public/progress").get_data(as_text=True)
    lookup = {"receipt": case["receipt_code"], "phone_last4": "1234", "csrf_token": csrf_token(form)}
    page = resident.post("/public/progress", data=lookup).get_data(as_text=True)
    assert ANSWER in page[page.index('class="answer"') :]


def test_a_refused_item_tells_the_resident_why_and_where_to_go(api, client, login):
    case = api.open_case("village_agent@t3-v1", "resident-id-card", "t3-v1")
    refusal = {
        "acceptance": "refuse",
        "materials_complete": False,
        "commission_signed": False,
        "reason": "居民身份证须本人到场采集指纹与照片",
        "where_to_go": "县公安局户政窗口",
    }
    case = _complete(api, case, "accept_item", refusal)
    assert case["status"] == "returned"
    progress = _progress(client, case)
    assert progress["reason"] == refusal["reason"] and progress["where_to_go"] == "县公安局户政窗口"
    assert progress["result"] is None
    page = login("village_agent@t3-v1").get(f"/cases/{case['id']}").get_data(as_text=True)
    shown = page[page.index('id="case-refusal"') :]
    assert refusal["reason"] in shown and "县公安局户政窗口" in shown


def test_a_refused_item_prints_its_notice_of_non_acceptance_and_a_result_card_with_the_reason(api, login):
    case = api.open_case("village_agent@t3-v2", "resident-id-card", "t3-v2")
    reason = "须本人到场采集指纹"
    data = {
        "acceptance": "refuse",
        "materials_complete": False,
        "commission_signed": False,
        "reason": reason,
        "where_to_go": "县公安局户政窗口",
    }
    case = _complete(api, case, "accept_item", data)
    agent = login("village_agent@t3-v2")
    page = agent.get(f"/cases/{case['id']}").get_data(as_text=True)
    assert f"/cases/{case['id']}/print/refusal" in page
    notice = agent.get(f"/cases/{case['id']}/print/refusal").get_data(as_text=True)
    assert "不予受理告知书" in notice and reason in notice and "县公安局户政窗口" in notice
    card = agent.get(f"/cases/{case['id']}/print/result-card").get_data(as_text=True)
    assert reason in card and "尚未答复" not in card
    running = api.open_case("village_agent@t3-v2", "resident-id-card", "t3-v2")
    assert agent.get(f"/cases/{running['id']}/print/refusal").status_code == 404  # nothing refused
