"""The monthly report as an Excel workbook (openpyxl), headings in the user's language."""

from __future__ import annotations

from io import BytesIO

from flask_babel import get_locale
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from engine.kernel.vocabulary import label as vocabulary_label

FORMULA_STARTS = ("=", "+", "-", "@")


def quota_label(status: str) -> str:
    return {"met": _("Met"), "missed": _("Missed"), "pending": _("Pending")}.get(status, status)


def period_label(per: str) -> str:
    return {"week": _("a week"), "month": _("a month")}.get(per, per)


def _figure_headers():
    return [
        _("Code"),
        _("Name"),
        _("Items opened"),
        _("Items closed"),
        _("Closed on time"),
        _("Rated"),
        _("Satisfied"),
        _("Completion rate"),
        _("On-time rate"),
        _("Satisfaction rate"),
    ]


def _figure_row(row: dict) -> list:
    return [
        row["key"],
        row["label"],
        row["opened"],
        row["closed"],
        row["on_time"],
        row["rated"],
        row["satisfied"],
        row["completion_rate"],
        row["on_time_rate"],
        row["satisfaction_rate"],
    ]


def _append(sheet, values: list) -> None:
    """One row, every text written as text: a name typed as `=HYPERLINK(...)` or `=cmd|' /C calc'!A0` is shown,
    never run as a formula (the cell is a string with Excel's quote prefix, so editing it keeps it text), and
    characters a workbook cannot hold are dropped instead of failing the whole export."""
    sheet.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in values])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"
            if cell.value[:1] in FORMULA_STARTS:
                cell.quotePrefix = True


def _sheet(book: Workbook, title: str, headers: list, rows: list[list]) -> None:
    sheet = book.create_sheet(title[:31])
    _append(sheet, headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        _append(sheet, row)
    for column in sheet.columns:
        sheet.column_dimensions[column[0].column_letter].width = max(10, *(len(str(c.value or "")) + 2 for c in column))


def monthly_workbook(report: dict) -> BytesIO:
    book = Workbook()
    summary = book.active
    summary.title = _("Summary")[:31]
    total = report["total"]
    callbacks = report["callbacks"]
    for label, value in [
        (_("Unit"), report["unit_name"]),
        (_("Month"), report["month"]),
        (_("Items opened"), total["opened"]),
        (_("Items closed"), total["closed"]),
        (_("Completion rate"), total["completion_rate"]),
        (_("On-time rate"), total["on_time_rate"]),
        (_("Satisfaction rate"), total["satisfaction_rate"]),
        (_("Overdue now"), report["overdue_open"]),
        (_("Call-backs drawn"), callbacks["drawn"]),
        (_("Call-backs pending"), callbacks["pending"]),
        (_("Reviews opened"), report["reviews_opened"]),
        (_("Complaints filed"), report["complaints_filed"]),
    ]:
        _append(summary, [label, value])
    summary.column_dimensions["A"].width = 24
    _sheet(book, _("Villages"), _figure_headers(), [_figure_row(r) for r in report["villages"]])
    _sheet(book, _("Categories"), _figure_headers(), [_figure_row(r) for r in report["categories"]])
    _sheet(book, _("Agents"), _figure_headers(), [_figure_row(r) for r in report["agents"]])
    _sheet(
        book,
        _("Quotas"),
        [_("Agent"), _("Role"), _("Unit"), _("Per"), _("Minimum"), _("Items"), _("Result")],
        [
            [
                q["display_name"],
                vocabulary_label(q["role"], get_locale(), "role"),
                q["unit_name"],
                period_label(q["per"]),
                q["min_items"],
                q["handled"],
                quota_label(q["status"]),
            ]
            for q in report["quotas"]
        ],
    )
    _sheet(
        book,
        _("Stars"),
        [_("Code"), _("Service point"), _("Completion rate"), _("Satisfaction rate"), _("Stars")],
        [[s["key"], s["label"], s["completion_rate"], s["satisfaction_rate"], s["stars"]] for s in report["stars"]],
    )
    out = BytesIO()
    book.save(out)
    out.seek(0)
    return out
