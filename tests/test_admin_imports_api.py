"""Sheet imports: people and the ledger (台账). A sheet with any bad row changes nothing."""

import io
import json

from openpyxl import Workbook
from sqlalchemy import func, select

from engine.store.models import Case, User

from .isolated_db import app, demo_db, own_database_url  # noqa: F401  (a fresh database per module)

PEOPLE_CSV = """用户名,姓名,角色,单位,密码
li.ming,李明,村级代办员,t1-v3,secret-li-1
li.ming,李明,group_agent,t1-v3-g1,
zhao.qiang,赵强,乡级代办员,t2,
"""


def upload(client, api, path, data: bytes, filename: str, user="admin", **form):
    return client.post(
        path,
        data={"file": (io.BytesIO(data), filename), **form},
        headers={"Authorization": f"Bearer {api.token(user)}"},
        content_type="multipart/form-data",
    )


def count(session, model, *where):
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_people_sheet_with_errors_is_previewed_and_refused_without_writing(client, api, session):
    bad = PEOPLE_CSV + "admin,重名,village_agent,t1-v3,\nnew.one,新人,pilot,nowhere,\n"
    users = count(session, User)
    preview = upload(client, api, "/api/v1/admin/users/import?dry_run=1", bad.encode(), "people.csv")
    assert preview.status_code == 200 and preview.json["valid"] is False
    rows = {r["row"]: r["errors"] for r in preview.json["rows"]}
    assert rows[2] == {} and rows[5] == {"username": "already taken"}
    assert set(rows[6]) == {"role", "unit"}
    refused = upload(client, api, "/api/v1/admin/users/import", bad.encode(), "people.csv")
    assert refused.status_code == 422 and "5.username" in refused.json["errors"]
    assert count(session, User) == users  # nothing written, not even the valid rows


def test_a_valid_people_sheet_imports_everyone_with_their_roles(client, api, session):
    imported = upload(client, api, "/api/v1/admin/users/import", PEOPLE_CSV.encode("gb18030"), "people.csv")
    assert imported.status_code == 201, imported.json
    created = {c["username"]: c for c in imported.json["created"]}
    assert created["li.ming"]["password"] is None and len(created["zhao.qiang"]["password"]) >= 8
    li = api.call("GET", "/api/v1/admin/users/li.ming", "admin")
    assert {(r["role"], r["org_unit"]) for r in li["roles"]} == {
        ("village_agent", "t1-v3"),
        ("group_agent", "t1-v3-g1"),
    }
    assert (
        client.post(
            "/api/v1/auth/token", json={"username": "zhao.qiang", "password": created["zhao.qiang"]["password"]}
        ).status_code
        == 200
    )
    again = upload(client, api, "/api/v1/admin/users/import", PEOPLE_CSV.encode(), "people.csv")
    assert again.status_code == 422  # the usernames are taken now
    assert (
        upload(
            client, api, "/api/v1/admin/users/import", PEOPLE_CSV.encode(), "people.csv", user="supervisor@qx"
        ).status_code
        == 403
    )


def test_an_excel_people_sheet_with_a_column_mapping(client, api):
    book = Workbook()
    sheet = book.active
    sheet.append(["账号 Account", "Full name", "Role", "Unit code"])
    sheet.append(["sun.hua", "孙华", "township_reception", "t3"])
    buffer = io.BytesIO()
    book.save(buffer)
    mapping = {"username": "账号 Account", "display_name": "Full name", "role": "Role", "unit": "Unit code"}
    missing = upload(client, api, "/api/v1/admin/users/import?dry_run=1", buffer.getvalue(), "people.xlsx")
    assert missing.status_code == 422 and set(missing.json["errors"]) >= {"username", "display_name"}
    done = upload(
        client, api, "/api/v1/admin/users/import", buffer.getvalue(), "people.xlsx", mapping=json.dumps(mapping)
    )
    assert done.status_code == 201 and done.json["created"][0]["username"] == "sun.hua"
    junk = upload(client, api, "/api/v1/admin/users/import", b"PK\x03\x04 not really a zip", "x.xlsx")
    assert junk.status_code == 422 and "file" in junk.json["errors"]


LEDGER = """台账编号,事项名称,申请人,联系电话,所在村,事由,受理日期,办结日期,满意度
TZ-2025-001,农村村民建房申请,周大伯,13700001111,t1-v1,翻建,2025-03-03,2025-03-20,满意
TZ-2025-002,临时救助申请,吴阿姨,,上坪村,因病救助,2025/4/1,2025/4/3,基本满意
TZ-2025-003,other-inquiry,郑师傅,13700002222,t1-v2,政策咨询,2025年5月6日,2025年5月6日,
"""


def test_a_ledger_with_errors_changes_nothing(client, api, session):
    bad = LEDGER + "TZ-2025-004,没有的事项,钱某,,t1-v1,,2025-13-01,2025-01-01,很好\n"
    cases = count(session, Case)
    preview = upload(client, api, "/api/v1/admin/ledger/import?dry_run=1", bad.encode(), "ledger.csv")
    assert preview.status_code == 200 and not preview.json["valid"]
    assert set(preview.json["rows"][-1]["errors"]) == {"catalog", "opened_at", "rating"}
    assert preview.json["mapping"]["opened_at"] == "受理日期"
    refused = upload(client, api, "/api/v1/admin/ledger/import", bad.encode(), "ledger.csv")
    assert refused.status_code == 422 and "5.catalog" in refused.json["errors"]
    assert count(session, Case) == cases


def test_an_imported_ledger_is_archived_history_that_reports_count(client, api, session):
    def year_2025():
        return api.call("GET", "/api/v1/reports/summary?unit=t1&from=2025-01-01&to=2025-12-31", "admin")

    before = year_2025()
    done = upload(client, api, "/api/v1/admin/ledger/import", LEDGER.encode(), "ledger.csv")
    assert done.status_code == 201 and done.json["imported"] == 3
    after = year_2025()
    assert after["opened"] == before["opened"] + 3 and after["closed"] == before["closed"] + 3
    assert after["satisfaction_rate"] > 0
    session.expire_all()
    case = session.scalar(select(Case).where(Case.receipt_code == "TZ-2025-002"))
    assert case.status == "archived" and not case.is_test_run and case.village.code == "t1-v1"
    assert case.catalog_code == "temporary-aid" and case.closed_at > case.opened_at
    assert count(session, Case, Case.receipt_code.like("TZ-2025-%")) == 3
    page = api.call("GET", f"/api/v1/cases/{case.id}", "admin")
    assert page["status"] == "archived" and page["open_tasks"] == []
    public = client.get("/api/v1/public/progress?receipt=TZ-2025-002&phone_last4=").status_code
    assert public == 404  # no phone on record: nothing to match
