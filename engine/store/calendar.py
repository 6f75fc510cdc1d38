"""Working-day calendar: weekends, public holidays and make-up working days (调休).

Every statutory time limit in the seeds counts working days, so every
deadline in Daiban is computed here.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
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
_cached: tuple[tuple, WorkingCalendar] | None = None


def file_calendar() -> WorkingCalendar:
    """config/calendar.toml: the seed, and the calendar until the database holds one."""
    global _file
    if _file is None:
        _file = WorkingCalendar.from_toml(CONFIG_DIR / "calendar.toml")
    return _file


def default_calendar(session: Session) -> WorkingCalendar:
    """The county's calendar (table calendar_years, edited by administrators).

    Cached per process; one tiny aggregate query (the database and the sum of the
    years' revisions) tells whether another process changed it. There is no form
    without a session: it would answer a calendar the administrators may have
    edited since.
    """
    global _cached
    count, total = session.execute(select(func.count(), func.coalesce(func.sum(CalendarYear.revision), 0))).one()
    if not count:
        return file_calendar()
    bind = session.get_bind()
    key = (str(bind.engine.url), count, total)  # a Connection or an Engine: both name their engine
    cached = _cached
    if cached is None or cached[0] != key:
        cached = (key, WorkingCalendar.from_years(session.scalars(select(CalendarYear)).all()))
        _cached = cached
    return cached[1]
