"""Pages: login, intake, inbox, task form, case page; zh-CN by default, English on request; CSRF on."""

import re

from .conftest import csrf_token as _csrf


def test_login_page_is_chinese_by_default_and_english_on_request(client):
    assert "登录" in client.get("/login").get_data(as_text=True)
    assert "Log in" in client.get("/login?lang=en").get_data(as_text=True)
    assert "Log in" in client.get("/login").get_data(as_text=True)  # remembered in the session


def test_wrong_password_is_refused_with_a_message(client):
    page = client.get("/login").get_data(as_text=True)
    response = client.post("/login", data={"username": "admin", "password": "nope", "csrf_token": _csrf(page)})
    assert response.status_code == 200 and "用户名或密码错误" in response.get_data(as_text=True)


def test_forms_without_csrf_token_are_refused(client):
    assert client.post("/login", data={"username": "admin", "password": "demo"}).status_code == 400


def test_village_agent_opens_an_item_and_completes_the_first_step_in_pages(login):
    agent = login("village_agent@t1-v1")
    form = agent.get("/cases/new").get_data(as_text=True)
    assert "农村村民建房申请" in form and "上坪村" in form
    response = agent.post(
        "/cases/new",
        data={
            "csrf_token": _csrf(form),
            "catalog_code": "house-building",
            "village": "t1-v1",
            "resident_name": "赵大爷",
            "resident_phone": "13611112222",
            "summary": "翻建旧房",
            "materials": [
                "户口簿",
                "身份证",
                "农村宅基地和建房(规划许可)申请表",
                "村民小组会议记录",
                "建房设计图或通用图",
            ],
        },
    )
    assert response.status_code == 302
    case_page = agent.get(response.headers["Location"]).get_data(as_text=True)
    receipt = re.search(r"DB\d{6}[A-Z0-9]{6}", case_page).group(0)
    assert "赵大爷" in case_page and "受理登记" in case_page and "户口簿、身份证" in case_page
    assert receipt in agent.get("/cases").get_data(as_text=True)

    inbox = agent.get("/inbox?scope=available").get_data(as_text=True)
    task_url = re.search(r'href="(/tasks/[0-9a-f-]+)">受理登记</a></td>\s*<td>' + receipt, inbox).group(1)
    task_page = agent.get(task_url).get_data(as_text=True)
    bad = agent.post(task_url + "/complete", data={"csrf_token": _csrf(task_page), "materials_complete": "on"})
    assert bad.status_code == 422 and "必须确认" in bad.get_data(as_text=True)
    ok = agent.post(
        task_url + "/complete",
        data={"csrf_token": _csrf(task_page), "materials_complete": "on", "commission_signed": "on"},
    )
    assert ok.status_code == 302
    timeline = agent.get(response.headers["Location"]).get_data(as_text=True)
    assert "乡镇中心受理" in timeline and "办理步骤完成" in timeline


def test_a_foreign_case_is_404_and_intake_for_non_agents_is_403(login, api):
    case = api.open_case("village_agent@t2-v2", "temporary-aid", "t2-v2")
    other = login("village_agent@t1-v1")
    assert other.get(f"/cases/{case['id']}").status_code == 404
    assert other.get(f"/tasks/{case['open_tasks'][0]['id']}").status_code == 404
    assert login("department_handler@qx-zrzy").get("/cases/new").status_code == 403


def test_pages_need_login(client):
    assert client.get("/inbox").status_code == 302
    assert client.get("/healthz").json == {"status": "ok"}


def test_error_pages_speak_the_users_language(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404 and "未找到" in response.get_data(as_text=True)
    api = client.get("/api/v1/no-such-endpoint")
    assert api.status_code == 404 and api.mimetype == "application/problem+json"
