"""The dates a filter or a report may ask about: 2000 to 2099. Beyond them nothing was recorded, and a
database's dates (or Python's arithmetic on them) end, which would answer a 500 instead of a clear 422."""

from datetime import date

from .i18n import N_

EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)
OUT_OF_RANGE = N_("a date from 2000 to 2099")
