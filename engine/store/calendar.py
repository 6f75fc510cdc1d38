"""Working-day calendar: weekends, public holidays and make-up working days (调休).

Every statutory time limit in the seeds counts working days, so every
deadline in Daiban is computed here.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from time import monotonic
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..kernel.settings import CONFIG_DIR
from .admin_tables import CalendarYear

TZ = ZoneInfo("Asia/Shanghai")
# Offices close at 17:30; a deadline is the end of its working day.
END_OF_DAY = time(17, 30)


@dataclass(frozen=True)
class WorkingCalendar:
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def from_toml(cls, path: Path) -> WorkingCalendar:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        holidays: set[date] = set()
        workdays: set[date] = set()
        for year in data.values():
            holidays.update(date.fromisoformat(d) for d in year.get("holidays", []))
            workdays.update(date.fromisoformat(d) for d in year.get("workdays", []))
        return cls(frozenset(holidays), frozenset(workdays))

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def next_working_day(self, day: date) -> date:
        """The first working day on or after `day`."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def add_working_days(self, start: date, days: int) -> date:
        """The working day that is `days` working days after `start`.

        Zero days means the same day if it is a working day, else the next one
        (an item accepted on a holiday is due on the next working day).
        """
        if days < 0:
            raise ValueError("days must be >= 0")
        day = self.next_working_day(start)
        for _ in range(days):
            day = self.next_working_day(day + timedelta(days=1))
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; 0 when end <= start."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count

    def deadline(self, opened: datetime, days: int) -> datetime:
        """End of the working day `days` working days after `opened`.

        An item accepted after closing time counts from the next working day, so a
        same-day item accepted in the evening is due the next evening, not already late.
        """
        local = opened.astimezone(TZ)
        start = local.date()
        if local.timetz().replace(tzinfo=None) >= END_OF_DAY:
            start += timedelta(days=1)
        due_day = self.add_working_days(start, days)
        return datetime.combine(due_day, END_OF_DAY, tzinfo=TZ)

    @classmethod
    def from_years(cls, years) -> WorkingCalendar:
        """From rows (or dicts) holding `holidays` and `workdays` lists of ISO dates."""
        holidays: set[date] = set()
        workdays: set[date] = set()
        for year in years:
            get = year.get if isinstance(year, dict) else lambda k, y=year: getattr(y, k)
            holidays.update(date.fromisoformat(d) for d in get("holidays") or [])
            workdays.update(date.fromisoformat(d) for d in get("workdays") or [])
        return cls(frozenset(holidays), frozenset(workdays))


_file: WorkingCalendar | None = None
_cached: tuple[tuple, WorkingCalendar, float] | None = None
# How long a process answers its cached calendar without asking the database whether administrators
# changed it: a command that opens a task then runs no calendar query, and an edit made through another
# process reaches this one within this many seconds (edits made here are seen at once: `forget_calendar`).
RECHECK_SECONDS = 30.0


def file_calendar() -> WorkingCalendar:
    """config/calendar.toml: the seed, and the calendar until the database holds one."""
    global _file
    if _file is None:
        _file = WorkingCalendar.from_toml(CONFIG_DIR / "calendar.toml")
    return _file


def default_calendar(session: Session, fresh: bool = False) -> WorkingCalendar:
    """The county's calendar (table calendar_years, edited by administrators).

    Cached per process. Every RECHECK_SECONDS one tiny aggregate query (the database and the sum of
    the years' revisions) tells whether another process changed it. `fresh` asks now and leaves the
    cache alone (an edit inside a transaction that is not committed yet). There is no form without a
    session: it would answer a calendar the administrators may have edited since.
    """
    global _cached
    bind = session.get_bind()
    url = str(bind.engine.url)  # a Connection or an Engine: both name their engine
    cached = _cached
    if not fresh and cached is not None and cached[0][0] == url and monotonic() - cached[2] < RECHECK_SECONDS:
        return cached[1]
    count, total = session.execute(select(func.count(), func.coalesce(func.sum(CalendarYear.revision), 0))).one()
    key = (url, count, total)
    if not count:
        calendar = file_calendar()
    elif cached is not None and cached[0] == key:
        calendar = cached[1]
    else:
        calendar = WorkingCalendar.from_years(session.scalars(select(CalendarYear)).all())
    if not fresh:
        _cached = (key, calendar, monotonic())
    return calendar


def forget_calendar() -> None:
    """This process changed the calendar: the next command reads it again."""
    global _cached
    _cached = None
