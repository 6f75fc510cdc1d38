"""The outbox's settings (config/sms.toml): templates, quiet hours, the daily cap, tries. Shared by the
texts to residents (engine/cases/sms.py), to staff (engine/store/staff_texts.py) and the worker."""

from __future__ import annotations

import tomllib
from datetime import datetime, time, timedelta
from functools import lru_cache

from ..kernel.settings import CONFIG_DIR
from .calendar import TZ
from .models import Case


@lru_cache(maxsize=1)
def config() -> dict:
    return tomllib.loads((CONFIG_DIR / "sms.toml").read_text(encoding="utf-8"))


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def quiet_until(county: str, moment: datetime) -> datetime:
    """`moment`, or when it falls in the county's quiet hours, the end of them (local time)."""
    hours = config().get("quiet_hours", {})
    start, end = (_clock(v) for v in hours.get(county) or hours.get("default") or ["00:00", "00:00"])
    if start == end:
        return moment
    local = moment.astimezone(TZ)
    now = local.time()
    quiet = (now >= start or now < end) if start > end else (start <= now < end)
    if not quiet:
        return moment
    day = local.date() if now < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=TZ)


def county_of_path(path: str) -> str:
    return path.strip("/").split("/")[0]


def county_of(case: Case) -> str:
    return county_of_path(case.village.path)
