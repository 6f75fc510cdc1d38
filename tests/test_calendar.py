"""Working-day calendar: statutory holidays, make-up days, and its laws (hypothesis)."""

from datetime import date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from engine.kernel.settings import CONFIG_DIR
from engine.store.calendar import TZ, WorkingCalendar

CAL = WorkingCalendar.from_toml(CONFIG_DIR / "calendar.toml")
days = st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31))


def test_national_day_week_is_not_worked_but_makeup_saturday_is():
    assert not CAL.is_working_day(date(2025, 10, 3))  # Friday of Golden Week
    assert CAL.is_working_day(date(2025, 10, 11))  # Saturday make-up day
    assert CAL.is_working_day(date(2025, 9, 28))  # Sunday make-up day


def test_three_working_days_over_spring_festival_2026():
    # Friday 2026-02-13, then Sat 14th is a make-up working day, 15th-23rd holiday.
    assert CAL.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert CAL.add_working_days(date(2026, 2, 13), 2) == date(2026, 2, 24)
    assert CAL.add_working_days(date(2026, 2, 13), 3) == date(2026, 2, 25)


def test_deadline_is_end_of_working_day_in_shanghai():
    opened = datetime(2026, 11, 20, 9, 0, tzinfo=TZ)  # Friday
    due = CAL.deadline(opened, 2)
    assert due.date() == date(2026, 11, 24) and (due.hour, due.minute) == (17, 30)


@given(days, st.integers(min_value=0, max_value=40))
def test_add_working_days_lands_on_a_working_day_and_counts_back(start, n):
    due = CAL.add_working_days(start, n)
    assert CAL.is_working_day(due)
    assert due >= start
    first = CAL.next_working_day(start)
    assert CAL.working_days_between(first, due) == n


@given(days, st.integers(min_value=0, max_value=30), st.integers(min_value=0, max_value=30))
def test_adding_is_monotonic_and_composes(start, a, b):
    assert CAL.add_working_days(start, a) <= CAL.add_working_days(start, a + b)
    assert CAL.add_working_days(CAL.add_working_days(start, a), b) == CAL.add_working_days(start, a + b)


@given(days)
def test_weekdays_are_working_unless_holiday(day):
    expected = (day in CAL.workdays) or (day.weekday() < 5 and day not in CAL.holidays)
    assert CAL.is_working_day(day) == expected
    assert CAL.next_working_day(day) - day < timedelta(days=12)


def test_an_item_accepted_after_closing_time_counts_from_the_next_working_day():
    evening = datetime(2026, 11, 20, 19, 0, tzinfo=TZ)  # Friday evening
    assert CAL.deadline(evening, 0) == datetime(2026, 11, 23, 17, 30, tzinfo=TZ)  # Monday
    assert CAL.deadline(datetime(2026, 11, 20, 17, 29, tzinfo=TZ), 0).date() == date(2026, 11, 20)


@given(st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 1)), st.integers(0, 20))
def test_a_deadline_is_never_in_the_past_when_set(opened, n):
    opened = opened.replace(tzinfo=TZ)
    due = CAL.deadline(opened, n)
    assert due > opened and CAL.is_working_day(due.date())
