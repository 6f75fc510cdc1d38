"""Sheet imports cannot stall a web worker (red team finding 2): the role is checked before the upload is
read, and sheets are streamed with row, column and size caps, refused beyond them with a clear 422."""

import io
import time
import zipfile

from openpyxl import Workbook

from .isolated_db import app, demo_db, own_database_url  # noqa: F401  (a fresh database per module)

IMPORTS = ("/api/v1/admin/users/import?lang=en", "/api/v1/admin/ledger/import?lang=en")


def xlsx_with_rows(rows_xml: str) -> bytes:
    """A real workbook whose first sheet holds `rows_xml` (written straight into the sheet's XML)."""
    book = Workbook()
    book.active.append(["用户名", "姓名", "角色", "单位"])
    plain = io.BytesIO()
    book.save(plain)
    source = zipfile.ZipFile(io.BytesIO(plain.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                head, tail = text.split("<sheetData>")[0], text.split("</sheetData>")[1]
                data = (head + "<sheetData>" + rows_xml + "</sheetData>" + tail).encode()
            target.writestr(info.filename, data)
    return out.getvalue()


def upload(client, api, path, data: bytes, filename: str, user="admin"):
    return client.post(
        path,
        data={"file": (io.BytesIO(data), filename)},
        headers={"Authorization": f"Bearer {api.token(user)}"},
        content_type="multipart/form-data",
    )


def test_a_village_agent_upload_is_refused_before_the_sheet_is_read(client, api):
    for path in IMPORTS:
        refused = upload(client, api, path, b"PK\x03\x04 not a workbook", "people.xlsx", "village_agent@t1-v1")
        assert refused.status_code == 403, refused.json  # not 422 "not a readable sheet": nothing was opened


def test_a_small_workbook_of_a_million_blank_rows_is_refused_quickly(client, api):
    rows = "".join(f'<row r="{n}"/>' for n in range(2, 400_000))
    data = xlsx_with_rows('<row r="1"><c r="A1" t="inlineStr"><is><t>用户名</t></is></c></row>' + rows)
    assert len(data) < 1_000_000
    for path in IMPORTS:
        started = time.monotonic()
        refused = upload(client, api, path, data, "people.xlsx")
        assert refused.status_code == 422 and refused.json["errors"]["file"] == "at most 5000 rows"
        assert time.monotonic() - started < 5


def test_a_workbook_that_unpacks_beyond_the_cap_is_refused_without_parsing(client, api):
    data = xlsx_with_rows("<row><c><v>1</v></c></row>" * 600_000)  # 15 MB of XML in a small file
    assert len(data) < 1_000_000
    refused = upload(client, api, IMPORTS[0], data, "people.xlsx")
    assert refused.status_code == 422 and refused.json["errors"]["file"] == "the workbook unpacks to more than 10 MB"


def test_too_many_rows_too_many_columns_or_too_many_bytes_are_each_a_clear_422(client, api):
    long_csv = ("用户名,姓名,角色,单位\n" + "a.b,名,village_agent,t1-v1\n" * 5001).encode()
    assert upload(client, api, IMPORTS[0], long_csv, "p.csv").json["errors"]["file"] == "at most 5000 rows"
    blank_csv = ("用户名,姓名,角色,单位\n" + "\n" * 20_000).encode()
    assert upload(client, api, IMPORTS[0], blank_csv, "p.csv").json["errors"]["file"] == "at most 5000 rows"
    wide_csv = ("用户名,姓名,角色,单位" + ",x" * 60 + "\n").encode()
    assert upload(client, api, IMPORTS[0], wide_csv, "p.csv").json["errors"]["file"] == "at most 50 columns"
    huge = b"a,b\n" + b"x" * (3 * 1024 * 1024)
    assert upload(client, api, IMPORTS[1], huge, "p.csv").json["errors"]["file"] == "at most 2 MB"


def test_an_ordinary_sheet_still_previews(client, api):
    def row(n, cells):
        inline = "".join(
            f'<c r="{c}{n}" t="inlineStr"><is><t>{v}</t></is></c>' for c, v in zip("ABCD", cells, strict=True)
        )
        return f'<row r="{n}">{inline}</row>'

    data = xlsx_with_rows(
        row(1, ["用户名", "姓名", "角色", "单位"]) + row(2, ["sheet.one", "表一", "village_agent", "t1-v1"])
    )
    preview = upload(client, api, IMPORTS[0].replace("?", "?dry_run=1&"), data, "people.xlsx")
    assert preview.status_code == 200 and preview.json["valid"] is True, preview.json
