"""The functions a diagram's expressions and scripts may call: common builtins and date helpers,
each bounded where it could build something big."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

from .sandbox_limits import MAX_SEQUENCE, ExpressionError


def _today() -> str:
    return date.today().isoformat()


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


def _as_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return datetime.fromisoformat(value[:10]).date() if len(value) >= 10 else date.fromisoformat(value)
    raise ExpressionError("a date is written as YYYY-MM-DD")


def _add_days(value, days) -> str:
    if not isinstance(days, int) or abs(days) > 36_600:
        raise ExpressionError("days must be a whole number of at most 36600")
    return (_as_date(value) + timedelta(days=days)).isoformat()


def _days_between(start, end) -> int:
    return (_as_date(end) - _as_date(start)).days


def _range(*args):
    for arg in args:
        if not isinstance(arg, int):
            raise ExpressionError("range takes whole numbers")
    found = range(*args)
    if len(found) > MAX_SEQUENCE:
        raise ExpressionError(f"range longer than {MAX_SEQUENCE} items")
    return found


SAFE_FUNCTIONS = {
    "len": len,
    "min": min,
    "max": max,
    "sum": sum,  # replaced per evaluation by a counted sum (lists added to lists grow quadratically)
    "any": any,
    "all": all,
    "abs": abs,
    "round": round,
    "sorted": sorted,
    "reversed": reversed,
    "str": str,
    "int": int,
    "float": float,
    "bool": bool,
    "list": list,
    "dict": dict,
    "set": set,
    "tuple": tuple,
    "enumerate": enumerate,
    "zip": zip,
    "range": _range,
    "isinstance": None,  # refused: names types; kept out so the message is "not allowed"
    "print": print,  # replaced per evaluation by the captured print
    "today": _today,
    "now": _now,
    "add_days": _add_days,
    "days_between": _days_between,
    "floor": math.floor,
    "ceil": math.ceil,
}
del SAFE_FUNCTIONS["isinstance"]
