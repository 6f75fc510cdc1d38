"""Characters no name, heading or note typed by a person contains: control characters (NUL and the rest of
C0 but tab and line breaks, DEL, C1) and the Unicode direction overrides and isolates that make text
display differently from what it is (a name that reads backwards, a file name that hides its type).

PostgreSQL cannot store NUL in text, and a workbook cannot hold most of C0: refused at input, they never
reach the database or an export."""

from __future__ import annotations

import re

UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
LINE_BREAKS = re.compile("[\t\n\r]")


def has_unsafe_characters(value: str) -> bool:
    return UNSAFE.search(value) is not None


def is_clean_name(value: str) -> bool:
    """A one-line name: no unsafe characters, no tabs or line breaks."""
    return UNSAFE.search(value) is None and LINE_BREAKS.search(value) is None
