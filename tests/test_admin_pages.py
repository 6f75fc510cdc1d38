"""Administration pages: zh-CN first, CSRF on every form, only admins (leaders for approvals)."""

import html
import io
import json
import re

from sqlalchemy import select

from engine.store.models import OrgUnit, User

from .conftest import csrf_token as _csrf
from .isolated_db import app, demo_db, own_database_url  # noqa: F401  (a fresh database per module)


def post(client, page_url, action, data=None, **kwargs):
    token = _csrf(client.get(page_url).get_data(as_text=True))
    return client.post(action, data={"csrf_token": token, **(data or {})}, **kwargs)


def upload(client, url, text: str):
    """Upload a CSV sheet to an import page; returns (status, page text, the sheet carried as JSON)."""
    response = post(
        client, url, url, {"file": (io.BytesIO(text.encode()), "sheet.csv")}, content_type="multipart/form-data"
    )
    page = response.get_data(as_text=True)
    carried = re.search(r'name="sheet" value="([^"]*)"', page)
    return response.status_code, page, html.unescape(carried.group(1)) if carried else None


def test_only_admins_see_the_admin_pages(client, login):
    assert client.get("/admin/units").status_code == 302  # log in first
    agent = login("village_agent@t1-v1")
    for path in ("/admin/units", "/admin/people", "/admin/catalog", "/admin/calendar", "/admin/ledger"):
        assert agent.get(path).status_code == 403, path
    assert "系统管理" not in agent.get("/inbox").get_data(as_text=True)
    leader = login("leader@qx")
    assert leader.get("/admin/units").status_code == 403
    assert leader.get("/admin/catalog").status_code == 200
    admin = login("admin")
    assert "系统管理" in admin.get("/inbox").get_data(as_text=True)


def test_org_tree_pages_create_rename_move_and_retire(login, session):
    admin = login("admin")
    tree = admin.get("/admin/units").get_data(as_text=True)
    assert "组织机构" in tree and "清溪县" in tree and "上坪村" in tree
    created = post(
        admin, "/admin/units", "/admin/units", {"code": "t6", "name": "六合乡", "kind": "township", "parent": "qx"}
    )
    assert created.status_code == 302 and created.headers["Location"].endswith("/admin/units/t6")
    bad = post(admin, "/admin/units", "/admin/units", {"code": "t6", "name": "", "kind": "township", "parent": "qx"})
    assert bad.status_code == 422 and "已被占用" in bad.get_data(as_text=True)
    post(admin, "/admin/units", "/admin/units", {"code": "t6-v1", "name": "六合村", "kind": "village", "parent": "t6"})
    renamed = post(admin, "/admin/units/t6", "/admin/units/t6/rename", {"name": "六合镇", "name_en": "Liuhe"})
    assert renamed.status_code == 302 and "六合镇" in admin.get("/admin/units/t6").get_data(as_text=True)
    refused = post(admin, "/admin/units/t6", "/admin/units/t6/retire")
    assert refused.status_code == 409 and "t6-v1" in refused.get_data(as_text=True)
    moved = post(admin, "/admin/units/t6-v1", "/admin/units/t6-v1/move", {"parent": "t2"})
    assert moved.status_code == 302
    session.expire_all()
    assert session.scalar(select(OrgUnit.path).where(OrgUnit.code == "t6-v1")) == "/qx/t2/t6-v1/"
    assert post(admin, "/admin/units/t6", "/admin/units/t6/retire").status_code == 302
    assert "已停用" in admin.get("/admin/units/t6").get_data(as_text=True)


def test_people_pages_create_assign_reset_deactivate(login):
    admin = login("admin")
    created = post(
        admin,
        "/admin/people/new",
        "/admin/people/new",
        {"username": "chen.jing", "display_name": "陈静", "password": "", "role": "village_agent", "unit": "t2-v1"},
    )
    assert created.status_code == 302
    page = admin.get(created.headers["Location"]).get_data(as_text=True)
    password = re.search(r"初始密码：(\w+)", page).group(1)
    assert "陈静" in page and "村级代办员" in page
    assert login("chen.jing", password).get("/cases/new").status_code == 200
    url = "/admin/people/chen.jing"
    assert post(admin, url, url + "/roles", {"role": "group_agent", "unit": "t2-v1-g2"}).status_code == 302
    assert post(admin, url, url + "/roles/remove", {"role": "village_agent", "unit": "t2-v1"}).status_code == 302
    held = re.search(r'<ul class="roles">(.*?)</ul>', admin.get(url).get_data(as_text=True), re.S).group(1)
    assert "组级代办员" in held and "村级代办员" not in held
    reset = post(admin, url, url + "/password", {"password": "chen-jing-2026"})
    assert reset.status_code == 302 and "chen-jing-2026" in admin.get(url).get_data(as_text=True)
    assert post(admin, url, url + "/deactivate").status_code == 302
    listing = admin.get("/admin/people?q=chen").get_data(as_text=True)
    assert "chen.jing" in listing and "已停用" in listing
    online = admin.get("/admin/people?online=1").get_data(as_text=True)
    assert "admin" in online and "chen.jing" not in online


def test_people_import_page_previews_errors_then_imports(login, session):
    admin = login("admin")
    sheet = "用户名,姓名,角色,单位\nhe.ping,何平,村级代办员,t3-v2\nhe.ping,何平,村级代办员,t3-v2\n"
    url = "/admin/people/import"
    status, text, _sheet = upload(admin, url, sheet)
    assert status == 422 and "row-error" in text and "导入全部" not in text
    assert session.scalar(select(User).where(User.username == "he.ping")) is None
    good = "用户名,姓名,角色,单位\nhe.ping,何平,村级代办员,t3-v2\n"
    status, text, carried = upload(admin, url, good)
    assert status == 200 and "导入全部 1 行" in text
    done = admin.post(
        url,
        data={
            "csrf_token": _csrf(text),
            "sheet": carried,
            "confirm": "1",
            "map_username": "用户名",
            "map_display_name": "姓名",
            "map_role": "角色",
            "map_unit": "单位",
        },
    )
    assert done.status_code == 200 and "he.ping" in done.get_data(as_text=True)
    session.expire_all()
    assert session.scalar(select(User).where(User.username == "he.ping")).roles[0].org_unit.code == "t3-v2"


def test_catalog_pages_propose_approve_and_change(login):
    admin = login("admin")
    proposed = post(
        admin,
        "/admin/catalog/new",
        "/admin/catalog/new",
        {
            "code": "well-drilling",
            "name": "农村打井申请",
            "category": "other",
            "kind": "promised",
            "level": "county",
            "departments": "natural_resources",
            "time_limit_days": "15",
            "materials": "身份证\n打井位置图",
            "fee": "0",
        },
    )
    assert proposed.status_code == 302
    proposal_url = proposed.headers["Location"]
    assert "等待审批" in admin.get(proposal_url).get_data(as_text=True)
    assert 'name="decision"' not in admin.get(proposal_url).get_data(as_text=True)  # not the admin's to decide
    leader = login("leader@qx")
    assert "农村打井申请" in leader.get("/admin/catalog").get_data(as_text=True)
    missing = post(leader, proposal_url, proposal_url, {"decision": "approve"})
    assert missing.status_code == 422
    approved = post(leader, proposal_url, proposal_url, {"decision": "approve", "opinion": "同意"})
    assert approved.status_code == 302 and "已准入" in leader.get(proposal_url).get_data(as_text=True)
    assert any(i["code"] == "well-drilling" for i in admin.get("/api/v1/catalog").json)

    item_url = "/admin/catalog/items/well-drilling"
    assert "打井位置图" in admin.get(item_url).get_data(as_text=True)
    page = admin.get(item_url).get_data(as_text=True)
    form = {
        "name": "农村打井申请",
        "category": "other",
        "kind": "promised",
        "level": "county",
        "departments": "natural_resources",
        "time_limit_days": "12",
        "materials": "身份证",
        "fee": "0",
    }
    changed = admin.post(item_url, data={"csrf_token": _csrf(page), **form})
    assert changed.status_code == 302 and "v2" in admin.get(item_url).get_data(as_text=True)
    bad = admin.post(item_url, data={"csrf_token": _csrf(page), **form, "time_limit_days": "soon"})
    assert bad.status_code == 422


def test_calendar_page_edits_a_year_and_shows_next_year(login):
    admin = login("admin")
    page = admin.get("/admin/calendar").get_data(as_text=True)
    assert "节假日" in page and "2026-10-01" in page and 'id="y2027"' in page
    bad = post(admin, "/admin/calendar", "/admin/calendar/2032", {"holidays": "2032-02-30", "workdays": ""})
    assert bad.status_code == 422 and "同一年" in bad.get_data(as_text=True)
    saved = post(
        admin,
        "/admin/calendar",
        "/admin/calendar/2032",
        {"holidays": "2032-01-01\n2032-10-01", "workdays": "", "provisional": "on"},
    )
    assert saved.status_code == 302
    assert "2032-10-01" in admin.get("/admin/calendar").get_data(as_text=True)


def test_ledger_page_maps_columns_previews_and_imports(login, session):
    admin = login("admin")
    ledger = "No.,Item,Who,Village,Opened,Closed\nLG-0001,other-inquiry,冯奶奶,t2-v2,2024-06-03,2024-06-04\n"
    url = "/admin/ledger"
    status, text, carried = upload(admin, url, ledger)
    assert status == 422 and "缺少必需的列" in text  # "Who" is not a known heading
    mapping = {
        "map_receipt_code": "No.",
        "map_catalog": "Item",
        "map_resident_name": "Who",
        "map_village": "Village",
        "map_opened_at": "Opened",
        "map_closed_at": "Closed",
    }
    assert json.loads(carried)["headers"][2] == "Who"
    again = admin.post(url, data={"csrf_token": _csrf(text), "sheet": carried, **mapping})
    assert again.status_code == 200 and "冯奶奶" in again.get_data(as_text=True)
    done = admin.post(url, data={"csrf_token": _csrf(text), "sheet": carried, "confirm": "1", **mapping})
    assert done.status_code == 302
    assert "1" in admin.get(url).get_data(as_text=True)
    from engine.store.models import Case

    session.expire_all()
    assert session.scalar(select(Case.status).where(Case.receipt_code == "LG-0001")) == "archived"
