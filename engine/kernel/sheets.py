"""Reading uploaded sheets (Excel .xlsx or CSV) into headings and rows of text, for the imports."""

from __future__ import annotations

import csv
import io
import tomllib
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from .errors import Invalid
from .i18n import N_
from .settings import CONFIG_DIR
from .text import has_unsafe_characters

MAX_ROWS = 5000  # rows with data below the headings
MAX_RAW_ROWS = 2 * MAX_ROWS  # counting blank rows too: a sheet of a million empty rows is refused early
MAX_COLUMNS = 50
MAX_BYTES = 2 * 1024 * 1024  # the uploaded file
MAX_UNPACKED = 10 * 1024 * 1024  # an .xlsx is a zip: its parts unpacked


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


def _too_big(detail: str) -> Invalid:
    return Invalid(N_("the sheet is too large"), {"file": detail})


def read_sheet(filename: str, data: bytes) -> Sheet:
    """The first worksheet of an .xlsx, or a CSV (UTF-8, or GB18030 as Chinese Excel saves it).

    Read as a stream with caps, so a small file that unpacks to millions of rows or cells is refused
    after at most MAX_ROWS rows instead of tying up a web worker: at most MAX_BYTES uploaded, MAX_UNPACKED
    unpacked from an .xlsx, MAX_ROWS rows (blank rows count towards MAX_RAW_ROWS) and MAX_COLUMNS columns."""
    if len(data) > MAX_BYTES:
        raise _too_big(N_("at most 2 MB"))
    name = (filename or "").lower()
    rows: list[tuple[int, list[str]]] = []
    headers: list[str] | None = None
    heading_row = 1
    try:
        raw = _xlsx_rows(data) if name.endswith(".xlsx") or data[:2] == b"PK" else _csv_rows(data)
        for number, values in raw:
            if number > MAX_RAW_ROWS:
                raise _too_big(N_("at most 5000 rows"))
            if len(values) > MAX_COLUMNS and any(v not in (None, "") for v in values[MAX_COLUMNS:]):
                raise _too_big(N_("at most 50 columns"))
            cells = [_text(v) for v in values[:MAX_COLUMNS]]
            if not any(cells):
                continue
            if headers is None:
                headers, heading_row = cells, number
                continue
            rows.append((number, cells))
            if len(rows) > MAX_ROWS:
                raise _too_big(N_("at most 5000 rows"))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, csv.Error, EOFError, TypeError):
        raise Invalid(
            N_("not a readable .xlsx or .csv sheet"), {"file": N_("not a readable .xlsx or .csv sheet")}
        ) from None
    if not headers:
        raise Invalid(N_("the sheet is empty"), {"file": N_("the first row must hold the column headings")})
    return checked_sheet(headers, rows, heading_row)


def checked_sheet(headers: list[str], rows: list[tuple[int, list[str]]], heading_row: int = 1) -> Sheet:
    """The sheet, unless a cell holds control or direction-override characters: then a 422 naming each such
    cell as `row.heading` (or `row.column letter` when the heading itself is bad)."""
    errors: dict[str, str] = {}
    names = [h if not has_unsafe_characters(h) else get_column_letter(n + 1) for n, h in enumerate(headers)]
    for number, cells in [(heading_row, headers), *rows]:
        for n, cell in enumerate(cells):
            if has_unsafe_characters(cell):
                column = names[n] if n < len(names) and names[n] else get_column_letter(n + 1)
                errors[f"{number}.{column}"] = N_("contains control or direction-override characters")
    if errors:
        raise Invalid(N_("the sheet contains control or direction-override characters"), errors)
    return Sheet(headers, rows)


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, tuple]]:
    """The first worksheet's rows, streamed (openpyxl's read-only mode), after checking the unpacked size."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED:
            raise _too_big(N_("the workbook unpacks to more than 10 MB"))
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # the stored size is the sender's claim: read what is there, within the caps
        yield from enumerate(sheet.iter_rows(max_col=MAX_COLUMNS + 1, values_only=True), start=1)
    finally:
        book.close()


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValueError("unknown encoding")
    yield from enumerate(csv.reader(io.StringIO(text)), start=1)


def refuse_bad_rows(rows: list[dict]) -> None:
    """An import writes all of a sheet or none of it: any bad row refuses the sheet, naming each bad
    cell as `row.field` (the preview shows the same rows with their errors)."""
    errors = {f"{r['row']}.{f}": m for r in rows for f, m in r["errors"].items()}
    if errors:
        raise Invalid(N_("the sheet has errors; nothing was imported"), errors)
