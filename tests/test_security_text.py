"""Text that could run or hide (red team findings 9 and 10): every text cell of an export is written as
text, never as a formula, and control or direction-override characters in names are refused at input,
by the API, the pages and the sheet imports alike, naming the row and column."""

import io
from datetime import date

from openpyxl import load_workbook

from .isolated_db import app, demo_db, own_database_url  # noqa: F401  (a fresh database per module)

HYPERLINK = '=HYPERLINK("http://evil.example/","点我查看")'
DDE = "=cmd|' /C calc'!A0"


def upload(client, api, path, data: bytes, filename: str, user="admin"):
    return client.post(
        path,
        data={"file": (io.BytesIO(data), filename)},
        headers={"Authorization": f"Bearer {api.token(user)}"},
        content_type="multipart/form-data",
    )


def test_names_that_look_like_formulas_are_plain_text_in_the_monthly_workbook(client, api):
    api.call("POST", "/api/v1/admin/units/t2/rename", "admin", {"name": DDE})
    api.call(
        "POST",
        "/api/v1/admin/users",
        "admin",
        {"username": "formula.agent", "display_name": HYPERLINK, "roles": [{"role": "village_agent", "unit": "t2-v1"}]},
        expect=201,
    )
    month = date.today().strftime("%Y-%m")
    response = client.get(
        f"/api/v1/supervision/monthly.xlsx?unit=t2&month={month}",
        headers={"Authorization": f"Bearer {api.token('supervisor@qx')}"},
    )
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    texts = {cell.value for cell in cells if isinstance(cell.value, str)}
    assert DDE in texts and HYPERLINK in texts
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]  # not one formula
    assert all(cell.quotePrefix for cell in cells if cell.value in (DDE, HYPERLINK))


def test_a_nul_or_a_direction_override_in_an_imported_name_is_refused_naming_the_cell(client, api):
    for bad in ("李\x00明", "李\u202e明", "李\x1b明"):
        sheet = f"用户名,姓名,角色,单位\nctl.one,{bad},village_agent,t1-v1\n".encode()
        refused = upload(client, api, "/api/v1/admin/users/import?lang=en", sheet, "people.csv")
        assert refused.status_code == 422, refused.json
        assert refused.json["errors"] == {"2.姓名": "contains control or direction-override characters"}
    ledger = "事项,村,姓名,受理日期,办结日期\nhouse-building,t1-v1,王\x00五,2025-03-01,2025-03-05\n".encode()
    refused = upload(client, api, "/api/v1/admin/ledger/import?lang=en", ledger, "ledger.csv")
    assert refused.status_code == 422 and list(refused.json["errors"]) == ["2.姓名"]
    assert api.call("GET", "/api/v1/admin/users?q=ctl.one", "admin")["total"] == 0


def test_names_with_control_or_override_characters_are_refused_by_the_api(client, api):
    for bad in ("王\u202e五", "王\x7f五", "王\x85五"):
        refused = api.call(
            "POST",
            "/api/v1/admin/users",
            "admin",
            {"username": "ctl.two", "display_name": bad, "roles": []},
            expect=422,
        )
        assert refused["errors"]
        api.call("POST", "/api/v1/admin/units/t3/rename", "admin", {"name": bad}, expect=422)
