"""Staff workspace pages with Flask's test client: inbox tabs and filters, the workflow actions,
the county window, attachments and the printable forms; scoped to each user's unit."""

import re

from .conftest import csrf_token as _csrf

PDF = b"%PDF-1.4\n% commission scan\n"


def _open_item(api, village="t2-v2", item="house-building", materials=None):
    return api.open_case(f"village_agent@{village}", item, village, materials=materials)


def _task_url(html, step, receipt):
    return re.search(r'href="(/tasks/[0-9a-f-]+)">' + step + r"</a></td>\s*<td>" + receipt, html).group(1)


def test_inbox_tabs_filters_and_due_colours(login, api):
    case = _open_item(api)
    agent = login("village_agent@t2-v2")
    page = agent.get("/inbox?scope=available&village=t2-v2&category=housing_forestry").get_data(as_text=True)
    for tab in ("我签收的", "本单位待签收", "即将到期", "已超期", "我已办结"):
        assert tab in page
    assert case["receipt_code"] in page
    other = agent.get("/inbox?scope=available&category=disputes").get_data(as_text=True)
    assert case["receipt_code"] not in other


def test_township_returns_and_the_village_agent_withdraws_in_pages(login, api):
    case = _open_item(api)
    agent = login("village_agent@t2-v2")
    task_url = _task_url(agent.get("/inbox?scope=available").get_data(as_text=True), "受理登记", case["receipt_code"])
    page = agent.get(task_url).get_data(as_text=True)
    agent.post(
        task_url + "/complete", data={"csrf_token": _csrf(page), "materials_complete": "on", "commission_signed": "on"}
    )
    done = agent.get("/inbox?scope=done").get_data(as_text=True)
    assert case["receipt_code"] in done
    page = agent.get(task_url).get_data(as_text=True)
    assert "撤回" in page
    response = agent.post(task_url + "/withdraw", data={"csrf_token": _csrf(page), "reason": "漏填受理意见"})
    assert response.status_code == 302
    mine = agent.get("/inbox?scope=mine").get_data(as_text=True)
    assert case["receipt_code"] in mine
    assert "撤回" in agent.get(f"/cases/{case['id']}").get_data(as_text=True)

    agent.post(
        task_url + "/complete", data={"csrf_token": _csrf(page), "materials_complete": "on", "commission_signed": "on"}
    )
    reception = login("township_reception@t2")
    review_url = _task_url(
        reception.get("/inbox?scope=available").get_data(as_text=True), "乡镇中心受理", case["receipt_code"]
    )
    review = reception.get(review_url).get_data(as_text=True)
    assert "退回" in review
    assert reception.post(review_url + "/return", data={"csrf_token": _csrf(review), "reason": ""}).status_code == 302
    assert "乡镇中心受理" in reception.get(f"/cases/{case['id']}").get_data(as_text=True)  # empty reason: still open
    reception.post(review_url + "/return", data={"csrf_token": _csrf(review), "reason": "缺建房设计图"})
    timeline = agent.get(f"/cases/{case['id']}").get_data(as_text=True)
    assert "乡镇中心受理 → 受理登记" in timeline and "缺建房设计图" in timeline
    other = login("township_reception@t1")
    token = _csrf(other.get("/inbox").get_data(as_text=True))
    assert other.post(review_url + "/return", data={"csrf_token": token, "reason": "x"}).status_code == 404


def test_window_pages_are_for_the_window_only(login):
    window = login("county_window@qx-window")
    for path, text in (("/window/", "待分送"), ("/window/tracking", "县代办窗口"), ("/window/outgoing", "县代办窗口")):
        response = window.get(path)
        assert response.status_code == 200 and text in response.get_data(as_text=True)
    agent = login("village_agent@t1-v1")
    assert agent.get("/window/").status_code == 403 and agent.get("/window/tracking").status_code == 403


def test_attachments_upload_download_and_scope(login, api, app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "ATTACHMENTS_DIR", tmp_path)
    case = _open_item(api, "t2-v3", "temporary-aid", materials=[])  # brought nothing yet
    agent = login("village_agent@t2-v3")
    page = agent.get(f"/cases/{case['id']}").get_data(as_text=True)
    assert "临时救助申请书" in page and "缺" in page
    from io import BytesIO

    bad = agent.post(
        f"/cases/{case['id']}/attachments",
        data={"csrf_token": _csrf(page), "material": "户口簿", "file": (BytesIO(b"#!/bin/sh"), "run.sh")},
    )
    assert bad.status_code == 302 and list(tmp_path.iterdir()) == []
    agent.post(
        f"/cases/{case['id']}/attachments",
        data={"csrf_token": _csrf(page), "material": "户口簿", "file": (BytesIO(PDF), "户口簿.pdf")},
    )
    page = agent.get(f"/cases/{case['id']}").get_data(as_text=True)
    link = re.search(r'href="(/cases/\d+/attachments/\d+)">户口簿.pdf', page).group(1)
    assert agent.get(link).data == PDF
    assert login("village_agent@t2-v1").get(link).status_code == 404
    assert login("township_reception@t2").get(link).status_code == 200


def test_printable_forms_are_a4_and_chinese(login, api):
    case = _open_item(api, "t1-v3", "temporary-aid", materials=[])  # the notice lists what is missing
    agent = login("village_agent@t1-v3")
    for path, title in (("commission", "代办委托单"), ("notice", "一次性告知单"), ("result-card", "代办落实卡")):
        page = agent.get(f"/cases/{case['id']}/print/{path}").get_data(as_text=True)
        assert title in page and case["receipt_code"] in page and "print.css" in page
    notice = agent.get(f"/cases/{case['id']}/print/notice").get_data(as_text=True)
    assert "困难情况证明材料" in notice
    assert login("village_agent@t1-v1").get(f"/cases/{case['id']}/print/commission").status_code == 404
