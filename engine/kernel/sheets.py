"""Reading uploaded sheets (Excel .xlsx or CSV) into headings and rows of text, for the imports."""

from __future__ import annotations

import csv
import io
import tomllib
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from .errors import Invalid
from .i18n import N_
from .settings import CONFIG_DIR

MAX_ROWS = 5000


@dataclass
class Sheet:
    headers: list[str]
    rows: list[tuple[int, list[str]]]  # (row number as the spreadsheet shows it, cells)

    def columns(self, mapping: dict[str, str]) -> dict[str, int]:
        """Field → column index for a {field: heading} mapping (unknown headings are left out)."""
        index = {h: n for n, h in enumerate(self.headers) if h}
        return {f: index[h] for f, h in mapping.items() if isinstance(h, str) and h in index}

    def records(self, mapping: dict[str, str]) -> list[tuple[int, dict[str, str]]]:
        cols = self.columns(mapping)
        return [(n, {f: (cells[i] if i < len(cells) else "") for f, i in cols.items()}) for n, cells in self.rows]


@lru_cache(maxsize=1)
def import_columns() -> dict:
    return tomllib.loads((CONFIG_DIR / "import_columns.toml").read_text(encoding="utf-8"))


def guess_mapping(headers: list[str], kind: str) -> dict[str, str]:
    """{field: heading} from the known headings of config/import_columns.toml."""
    known = {a.strip().lower(): field for field, aliases in import_columns()[kind].items() for a in aliases}
    mapping: dict[str, str] = {}
    for h in headers:
        field = known.get(h.strip().lower())
        if field and field not in mapping:
            mapping[field] = h
    return mapping


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # phone numbers typed into Excel come back as floats
    return str(value).strip()


def read_sheet(filename: str, data: bytes) -> Sheet:
    """The first worksheet of an .xlsx, or a CSV (UTF-8, or GB18030 as Chinese Excel saves it)."""
    name = (filename or "").lower()
    try:
        if name.endswith(".xlsx") or data[:2] == b"PK":
            raw = _xlsx_rows(data)
        else:
            raw = _csv_rows(data)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, csv.Error):
        raise Invalid(
            N_("not a readable .xlsx or .csv sheet"), {"file": N_("not a readable .xlsx or .csv sheet")}
        ) from None
    rows: list[tuple[int, list[str]]] = []
    headers: list[str] | None = None
    for number, values in raw:
        cells = [_text(v) for v in values]
        if not any(cells):
            continue
        if headers is None:
            headers = cells
            continue
        rows.append((number, cells))
        if len(rows) > MAX_ROWS:
            raise Invalid(N_("the sheet is too long"), {"file": N_("at most 5000 rows")})
    if not headers:
        raise Invalid(N_("the sheet is empty"), {"file": N_("the first row must hold the column headings")})
    return Sheet(headers, rows)


def _xlsx_rows(data: bytes):
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        return [(n, row) for n, row in enumerate(sheet.iter_rows(values_only=True), start=1)]
    finally:
        book.close()


def _csv_rows(data: bytes):
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValueError("unknown encoding")
    return list(enumerate(csv.reader(io.StringIO(text)), start=1))
