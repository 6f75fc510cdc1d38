"""The budget of one evaluation: steps and the clock on every guarded operation, sizes checked
before anything is built, cells built, values measured before they are walked, printed lines."""

from __future__ import annotations

import re
import time

from .sandbox_guard import WALKING_METHODS
from .sandbox_helpers import SAFE_FUNCTIONS
from .sandbox_limits import (
    MAX_CELLS,
    MAX_INT_BITS,
    MAX_MEASURE,
    MAX_POWER,
    MAX_PRINTED,
    MAX_SECONDS,
    MAX_SEQUENCE,
    MAX_STEPS,
    ExpressionError,
)

_FORMAT_FIELD = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d*)(?:\.(\*|\d*))?")


def _length(value) -> int:
    return len(value) if isinstance(value, (str, bytes, list, tuple, dict, set, frozenset, range)) else 0


class Evaluation:
    """The budget and guards of one evaluation: steps, cells built, seconds, printed lines."""

    def __init__(self) -> None:
        self.steps_left = MAX_STEPS
        self.cells_left = MAX_CELLS
        self.deadline = time.monotonic() + MAX_SECONDS
        self.printed: list[str] = []

    def step(self, count: int = 1) -> None:
        self.steps_left -= count
        if self.steps_left < 0:
            raise ExpressionError(f"the expression ran too long (more than {MAX_STEPS} steps)")
        if time.monotonic() > self.deadline:
            raise ExpressionError(f"the expression ran too long (more than {MAX_SECONDS:g} s)")

    def build(self, cells: int) -> None:
        if cells > MAX_SEQUENCE:
            raise ExpressionError(f"value larger than {MAX_SEQUENCE} items")
        self.cells_left -= cells
        if self.cells_left < 0:
            raise ExpressionError("the expression used too much memory")

    def built(self, value):
        self.step()
        if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > MAX_INT_BITS:
            raise ExpressionError("number too large")
        self.build(_length(value))
        return value

    def measure(self, value, limit: int = MAX_MEASURE):
        """Walk `value` (counting each node as a step) and refuse it above `limit` nodes and characters."""
        size, stack = 0, [value]
        while stack:
            item = stack.pop()
            self.step()
            if isinstance(item, str):
                size += 1 + len(item)
            elif isinstance(item, dict):
                size += 1 + len(item)
                stack.extend(item.keys())
                stack.extend(item.values())
            elif isinstance(item, (list, tuple, set, frozenset)):
                size += 1 + len(item)
                stack.extend(item)
            else:
                size += 1
            if size > limit:
                raise ExpressionError(f"value larger than {limit} items")
        return value

    def steps(self, iterable):
        for item in iterable:
            self.step()
            self.build(1)
            yield item

    def op(self, op: str, a, b):
        """`a <op> b` with its size checked first; `+=` and `*=` change a list in place, as in Python."""
        self.step()
        if op in ("+=", "*=") and isinstance(a, list):
            grows = _length(b) if op == "+=" else len(a) * (max(b, 1) - 1 if isinstance(b, int) else 0)
            if len(a) + grows > MAX_SEQUENCE:
                raise ExpressionError(f"value larger than {MAX_SEQUENCE} items")
            self.build(grows)
            if op == "+=":
                a += b
            else:
                a *= b
            if len(a) > MAX_SEQUENCE:
                raise ExpressionError(f"value larger than {MAX_SEQUENCE} items")
            return a
        op = op.rstrip("=")
        if op == "**":
            if isinstance(b, (int, float)) and abs(b) > MAX_POWER:
                raise ExpressionError(f"exponent larger than {MAX_POWER}")
            if isinstance(a, int) and isinstance(b, int) and a.bit_length() * max(b, 0) > MAX_INT_BITS:
                raise ExpressionError("number too large")
            return self.built(a**b)
        if op == "*":
            for seq, n in ((a, b), (b, a)):
                if isinstance(seq, (str, list, tuple)) and isinstance(n, int):
                    self.build(len(seq) * max(n, 0))
            if isinstance(a, int) and isinstance(b, int) and a.bit_length() + b.bit_length() > MAX_INT_BITS:
                raise ExpressionError("number too large")
            return self.built(a * b)
        if op == "+":
            if isinstance(a, (str, list, tuple)) and isinstance(b, (str, list, tuple)):
                self.build(len(a) + len(b))
            return self.built(a + b)
        if op == "%":
            if isinstance(a, str):
                self.measure(b)
                for width, precision in _FORMAT_FIELD.findall(a):
                    for number in (width, precision):
                        if number == "*" or (number and int(number) > 1000):
                            raise ExpressionError("format widths larger than 1000 are not allowed")
            return self.built(a % b)
        if op == "-":
            return self.built(a - b)
        if op == "/":
            return a / b
        return self.built(a // b)

    def fn(self, func, keywords: dict, *args):
        self.step()
        for arg in (*args, *keywords.values()):
            if not callable(arg):
                self.measure(arg)
        if func is sum:
            return self.sum(*args, **keywords)
        if func is print:
            return self.print(*args, **keywords)
        if id(func) not in _FUNCTIONS and not _diagram_function(func):
            raise ExpressionError("only the listed functions and those the script defines may be called")
        return self.built(func(*args, **keywords))

    def method(self, receiver, name: str, keywords: dict, *args):
        self.step()
        if name in WALKING_METHODS:
            self.measure(receiver)
        for arg in (*args, *keywords.values()):
            self.measure(arg)
        if name in ("join", "replace") or (name == "extend" and isinstance(receiver, list)):
            self.build(sum(_length(a) for a in args) + (_length(receiver) if name != "extend" else 0))
        if name == "replace" and len(args) >= 2:
            self.build(_length(receiver) * max(1, _length(args[1])))
        result = getattr(receiver, name)(*args, **keywords)
        if isinstance(receiver, (list, dict, set)) and _length(receiver) > MAX_SEQUENCE:
            raise ExpressionError(f"value larger than {MAX_SEQUENCE} items")
        return self.built(result)

    def sum(self, values, start=0):
        total = start
        for value in self.steps(values):
            total = self.op("+", total, value)
        return total

    def print(self, *args, sep=" ", end=""):
        line = str(sep).join(str(self.measure(a, 10_000)) for a in args) + str(end)
        if len(self.printed) < MAX_PRINTED:
            self.printed.append(line[:2000])

    def scope(self, data: dict) -> dict:
        """One namespace for the data and the guards: comprehensions then see the data at every
        nesting level, and the underscore guards (unreachable by name) cannot be shadowed by it."""
        return {
            **SAFE_FUNCTIONS,
            **data,
            "__builtins__": {},
            "_op": self.op,
            "_fn": self.fn,
            "_method": self.method,
            "_m": self.measure,
            "_built": self.built,
            "_step": self.step_value,
            "_steps": self.steps,
        }

    def step_value(self, value):
        self.step()
        return value


_FUNCTIONS = {id(f) for f in SAFE_FUNCTIONS.values()}


def _diagram_function(func) -> bool:
    code = getattr(func, "__code__", None)
    return code is not None and code.co_filename == "<diagram>"
