"""问事 pages for a village agent (zh-CN by default): register a household, record a visit with three needs
from the phone-sized form, see it in the needs diary, call back a resident's online request, print the
contact card whose QR code decodes to the portal's request form."""

import html as html_lib
import io
import re
from datetime import timedelta

import zxingcpp
from PIL import Image

from engine.asking import households
from engine.kernel.clock import utcnow

from .conftest import csrf_token

AGENT = "village_agent@t1-v3"
PUBLIC = {"REMOTE_ADDR": "10.21.0.2"}


def _register(agent, **fields):
    page = agent.get("/asking/households/new")
    assert page.status_code == 200 and "登记农户" in page.get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(page.get_data(as_text=True)),
        "village": "t1-v3",
        "group": "t1-v3-g2",
        "head_name": "孔页面",
        "phone": "13512340000",
        "address": "孔家村3组",
        "members": "孔妻 配偶\n孔子",
        "tags": ["disabled", "poor"],
        **fields,
    }
    return agent.post("/asking/households/new", data=data)


def test_an_agent_registers_a_household_and_records_a_visit_with_three_needs_on_the_page(login):
    agent = login(AGENT)
    bad = _register(agent, head_name="", phone="1")
    assert bad.status_code == 422 and "农户无法登记" in bad.get_data(as_text=True)
    assert "请填写电话号码" in bad.get_data(as_text=True)
    done = _register(agent)
    assert done.status_code == 302
    page = agent.get(done.headers["Location"]).get_data(as_text=True)
    assert "孔页面" in page and "13512340000" in page and "残疾人" in page and "孔妻(配偶)" in page
    assert agent.get("/asking/households?q=孔页面").get_data(as_text=True).count("135****0000") == 1

    form = {
        "csrf_token": csrf_token(page),
        "idempotency_key": "page-visit-1",
        "channel": "home_visit",
        "at": "",
        "need_text_0": "问医保报销比例",
        "need_outcome_0": "answered",
        "need_answer_0": "住院报销七成",
        "need_text_1": "申请残疾人护理补贴",
        "need_outcome_1": "case",
        "need_catalog_1": "disability-care-subsidy",
        "need_text_2": "与邻居排水沟纠纷",
        "need_outcome_2": "referred",
        "need_reason_2": "转调解员",
    }
    household_url = done.headers["Location"]
    recorded = agent.post(household_url + "/visits", data=form)
    assert recorded.status_code == 302
    diary = agent.get(household_url).get_data(as_text=True)
    assert "已记录走访" in diary or "走访已记录" in diary
    assert "住院报销七成" in diary and "受理为代办事项" in diary and "转交调解" in diary
    case_link = re.search(r'href="/cases/(\d+)"', diary)
    assert case_link
    again = agent.post(household_url + "/visits", data=form)  # a double tap sends the same form twice
    assert again.status_code == 302
    assert agent.get(household_url).get_data(as_text=True).count('class="card visit"') == 1

    missing = agent.post(
        household_url + "/visits", data={**form, "idempotency_key": "page-visit-2", "need_answer_0": ""}
    )
    assert missing.status_code == 422 and "请填写给群众的答复" in missing.get_data(as_text=True)


def test_the_desk_lists_overdue_visits_and_a_residents_request_answered_by_call_back(login, client, session, user):
    late = households.register_household(
        session,
        user(AGENT),
        {"village": "t1-v3", "head_name": "曹逾期", "phone": "13500000009", "tags": ["petitioner"]},
        now=utcnow() - timedelta(days=20),
    )
    ask = client.get("/public/ask/")
    assert ask.status_code == 200 and "告诉村代办员您要办的事" in ask.get_data(as_text=True)
    sent = client.post(
        "/public/ask/",
        data={
            "csrf_token": csrf_token(ask.get_data(as_text=True)),
            "name": "褚大爷",
            "phone": "13500001111",
            "village": "t1-v3",
            "text": "想咨询高龄补贴",
        },
        environ_base=PUBLIC,
    )
    reference = re.search(r'id="reference">([A-Z0-9]+)<', sent.get_data(as_text=True)).group(1)

    agent = login(AGENT)
    desk = agent.get("/asking/").get_data(as_text=True)
    assert "褚大爷" in desk and f'data-household="{late.id}"' in desk
    badge = re.search(r'title="待回访的诉求和应走访的重点户">(\d+)<', desk)
    assert badge and int(badge.group(1)) >= 2  # the request and the overdue visit, in the navigation
    row = desk.split(f'data-household="{late.id}"')[0].rsplit("<tr", 1)[1]
    assert "row-error" in row  # the overdue visit is marked

    request_url = re.search(r'href="(/asking/requests/\d+)">褚大爷', desk).group(1)
    page = agent.get(request_url).get_data(as_text=True)
    answered = agent.post(
        request_url,
        data={"csrf_token": csrf_token(page), "outcome": "answered", "answer": "80岁以上每月100元", "contacted_at": ""},
    )
    assert answered.status_code == 302
    assert "已回复" in agent.get(request_url).get_data(as_text=True)
    assert "褚大爷" not in agent.get("/asking/").get_data(as_text=True)

    status = client.get("/public/ask/status")
    looked = client.post(
        "/public/ask/status",
        data={"csrf_token": csrf_token(status.get_data(as_text=True)), "reference": reference, "phone_last4": "1111"},
        environ_base=PUBLIC,
    ).get_data(as_text=True)
    assert "已回复" in looked and "80岁以上每月100元" in looked

    household_page = agent.get(f"/asking/households/{late.id}").get_data(as_text=True)
    visited = agent.post(
        f"/asking/households/{late.id}/visits",
        data={"csrf_token": csrf_token(household_page), "channel": "phone", "idempotency_key": f"late-{late.id}"},
    )
    assert visited.status_code == 302
    assert f'data-household="{late.id}"' not in agent.get("/asking/").get_data(as_text=True)  # no longer due


def test_the_contact_card_prints_a_qr_code_that_reads_back_as_the_portal_url(login):
    agent = login(AGENT)
    saved = agent.post(
        "/asking/card-phone",
        data={"csrf_token": csrf_token(agent.get("/asking/").get_data(as_text=True)), "phone": "13800138000"},
    )
    assert saved.status_code == 302
    card = agent.get("/asking/villages/t1-v3/card").get_data(as_text=True)
    assert "13800138000" in card and "联系卡" in card
    src = re.search(r'<img src="([^"]+)"[^>]*data-qr="ask"', card).group(1)
    image = agent.get(src)
    assert image.mimetype == "image/png"
    decoded = [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(image.data)))]
    assert decoded == ["http://localhost/public/ask/"]
    assert agent.get("/asking/villages/t2-v1/card").status_code == 404


def test_an_item_opened_from_a_need_shows_where_it_came_from_on_its_case_page(api, login):
    household = api.call(
        "POST",
        "/api/v1/households",
        AGENT,
        {"village": "t1-v3", "head_name": "蒋来源", "phone": "13500002222", "tags": []},
        expect=201,
    )
    visit = api.call(
        "POST",
        "/api/v1/visits",
        AGENT,
        {
            "household_id": household["id"],
            "needs": [{"text": "办残疾证", "outcome": "case", "catalog_code": "disability-certificate"}],
        },
        expect=201,
    )
    page = login(AGENT).get(f"/cases/{visit['needs'][0]['case_id']}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "事项来源" in html
    assert "蒋来源" in html and "办残疾证" in html and "入户走访" in html
    assert f"/asking/households/{household['id']}" in html


def test_the_supervisor_reads_the_asking_figures_and_an_agent_may_not(login):
    page = login("supervisor@qx").get("/asking/report?unit=t1")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "重点户走访覆盖率" in html and "代办员走访次数" in html and "当场解答" in html
    assert login(AGENT).get("/asking/report").status_code == 403


def test_an_agent_previews_and_imports_a_ledger_on_the_page_and_exports_the_register(login):
    agent = login(AGENT)
    page = agent.get("/asking/households/import")
    assert page.status_code == 200 and "导入农户台账" in page.get_data(as_text=True)
    ledger = "户主,联系电话,村,重点户类别\n韩页导,13300000011,t1-v3,老党员\n".encode()
    preview = agent.post(
        "/asking/households/import",
        data={"csrf_token": csrf_token(page.get_data(as_text=True)), "file": (io.BytesIO(ledger), "ledger.csv")},
        content_type="multipart/form-data",
    )
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "共 1 行，全部无误" in html and "导入全部 1 行" in html
    carried = re.search(r'name="sheet" value="([^"]+)"', html).group(1)
    done = agent.post(
        "/asking/households/import",
        data={"csrf_token": csrf_token(html), "sheet": html_lib.unescape(carried), "confirm": "1"},
    )
    assert done.status_code == 302
    assert "韩页导" in agent.get("/asking/households?q=韩页导").get_data(as_text=True)
    export = agent.get("/asking/households/export.xlsx?q=韩页导")
    assert export.status_code == 200 and export.mimetype.endswith("spreadsheetml.sheet")


def test_an_agent_changes_a_households_tags_on_the_page(login):
    agent = login(AGENT)
    done = _register(agent, head_name="魏改标", phone="13512349999", tags=["poor"])
    edit_url = done.headers["Location"] + "/edit"
    form = agent.get(edit_url).get_data(as_text=True)
    assert "修改农户信息" in form and "魏改标" in form and 'value="poor" checked' in form
    saved = agent.post(
        edit_url,
        data={
            "csrf_token": csrf_token(form),
            "head_name": "魏改标",
            "phone": "13512349999",
            "tags": ["poor", "petitioner"],
        },
    )
    assert saved.status_code == 302
    page = agent.get(done.headers["Location"]).get_data(as_text=True)
    assert "上访户" in page and "每15天走访一次" in page
    assert login("village_agent@t1-v1").get(edit_url).status_code == 404
