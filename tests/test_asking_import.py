"""The household ledger comes in from Excel or CSV like the people import (a preview with each row's problems,
nothing written unless every row is valid) and goes out to Excel with headings the import reads back."""

import io

from openpyxl import load_workbook

AGENT = "village_agent@t3-v2"


def _post(client, token, data: bytes, name: str, dry_run: bool):
    return client.post(
        "/api/v1/households/import" + ("?dry_run=1" if dry_run else ""),
        data={"file": (io.BytesIO(data), name)},
        headers={"Authorization": f"Bearer {token}"},
        content_type="multipart/form-data",
    )


def test_a_ledger_with_one_bad_row_is_previewed_and_writes_nothing_then_the_fixed_one_imports(api, client):
    token = api.token(AGENT)
    bad = (
        "村,村民小组,户主,联系电话,家庭成员,住址,重点户类别\n"
        "t3-v2,2组,严导入,13300000001,严妻(配偶)、严子,严家湾1号,低保户、独居老人\n"
        "t3-v2,1,华导入,123,,华家湾2号,富裕户\n"
    ).encode()
    preview = _post(client, token, bad, "ledger.csv", True)
    assert preview.status_code == 200 and preview.json["valid"] is False
    first, second = preview.json["rows"]
    assert first["errors"] == {} and set(second["errors"]) == {"phone", "tags"}
    refused = _post(client, token, bad, "ledger.csv", False)
    assert refused.status_code == 422 and "3.phone" in refused.json["errors"]
    assert api.call("GET", "/api/v1/households?q=严导入", AGENT)["total"] == 0  # nothing written

    good = bad.replace(b",123,", b",13300000002,").replace("富裕户".encode(), "五保户".encode())
    done = _post(client, token, good, "ledger.csv", False)
    assert done.status_code == 201 and done.json["imported"] == 2
    row = api.call("GET", "/api/v1/households?q=严导入", AGENT)["items"][0]
    assert row["group"] == "t3-v2-g2" and row["tags"] == ["minimum_allowance", "elderly_alone"]
    assert row["members"] == [{"name": "严妻", "relation": "配偶"}, {"name": "严子", "relation": ""}]
    again = _post(client, token, good, "ledger.csv", False)  # the same ledger twice: already registered
    assert again.status_code == 422 and again.json["errors"]["2.head_name"] == "该农户已登记"
    assert _post(client, api.token("village_agent@t1-v1"), good, "ledger.csv", True).json["valid"] is False


def test_the_exported_register_reads_back_as_a_ledger(api, client):
    api.call(
        "POST",
        "/api/v1/households",
        AGENT,
        {
            "village": "t3-v2",
            "group": "t3-v2-g1",
            "head_name": "柏导出",
            "phone": "13300000003",
            "members": [{"name": "柏母", "relation": "母亲"}],
            "tags": ["disabled"],
        },
        expect=201,
    )
    response = client.get("/api/v1/households/export?q=柏导出", headers={"Authorization": f"Bearer {api.token(AGENT)}"})
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.values)
    assert rows[0][:4] == ("村", "村民小组", "户主", "联系电话")
    assert rows[1][2:4] == ("柏导出", "13300000003") and rows[1][6] == "残疾人" and rows[1][4] == "柏母(母亲)"
    preview = _post(client, api.token(AGENT), response.data, "households.xlsx", True).json
    # every column is understood: the only problem is that the household is already there
    assert preview["rows"][0]["errors"] == {"head_name": "this household is already registered"}
