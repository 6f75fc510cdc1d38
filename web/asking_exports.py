"""The household register as an Excel workbook whose headings the household import reads back
(config/import_columns.toml [households]), so an exported ledger can be edited and imported elsewhere."""

from __future__ import annotations

from io import BytesIO

from flask_babel import get_locale
from openpyxl import Workbook
from openpyxl.styles import Font

from engine.kernel.vocabulary import is_english

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADINGS_ZH = ["村", "村民小组", "户主", "联系电话", "家庭成员", "住址", "重点户类别", "责任代办员", "上次走访"]
HEADINGS_EN = ["village", "group", "head_name", "phone", "members", "address", "tags", "agent", "last_visit"]


def household_workbook(rows) -> BytesIO:
    book = Workbook()
    sheet = book.active
    sheet.title = "households" if is_english(get_locale()) else "农户台账"
    sheet.append(HEADINGS_EN if is_english(get_locale()) else HEADINGS_ZH)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    for column in sheet.columns:
        sheet.column_dimensions[column[0].column_letter].width = max(10, *(len(str(c.value or "")) + 4 for c in column))
    out = BytesIO()
    book.save(out)
    out.seek(0)
    return out
