"""Restricted evaluator for expressions and scripts that analysts write in diagrams.

Analysts are not developers and diagrams can be uploaded, so an expression
must never reach the host: only a whitelist of syntax and functions, no
imports, no names starting with an underscore, no attribute walks (only the
listed methods of plain data), no I/O. Errors name the problem in plain words;
the engine adds the element that holds the expression.

How evaluation is bounded (measured against the attacks in issue #19):

* **Every operation is counted.** The compiled tree calls a guard for every
  arithmetic operation, call, comparison operand, subscript key, loop step and
  function call; each guard takes one step from the evaluation's budget
  (`MAX_STEPS`) and looks at the clock (`MAX_SECONDS`) — on every step, not every
  1,024th: `time.monotonic` costs ~50 ns, a guarded step ~1 µs.
* **Nothing big is built in one step.** Sizes are checked *before* an operation
  allocates (`'x' * n`, `a + b`, `'%0300000000d' % 1`, `2 ** n`, `range(n)`), each
  result is at most `MAX_SEQUENCE` items, and every item or character built
  counts against `MAX_CELLS` (~100 MB: a string character is a byte, a list item
  ~8 bytes plus its object), so a million small results cannot add up either.
* **Nothing is walked that was not measured.** Values handed to a builtin,
  compared, hashed as keys, formatted or left in the data are measured first
  (a walk that counts each node against the same budget), so a structure that
  shares itself (`x = [x, x]` sixty times: 2⁶⁰ nodes in a few bytes) is refused
  before `str`, `==`, `sorted` or the JSON serializer could run for ever.
* **Depth is bounded**: source nesting (`MAX_DEPTH`, checked before Python's own
  recursive compiler sees it) and calls of the modeler's functions (Python's
  recursion limit, reported as an error).

Why not subprocesses with `RLIMIT_AS`: conditions are evaluated many times
per engine step with the task data as context; a round trip through a process
pool (pickling the data both ways) costs more than the evaluation itself, and
scripts change the task data in place. The guards keep evaluation in-process
and deterministic, and a runaway ends as an `ExpressionError` naming the bound,
which the engine turns into an error naming the element.
"""

from __future__ import annotations

import ast
import math
import re
import time
from datetime import date, datetime, timedelta
from functools import lru_cache

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from ..kernel.settings import SCRIPT_MEMORY_MB, SCRIPT_SECONDS

MAX_SOURCE = 5_000
MAX_DEPTH = 100  # nesting of the source tree
MAX_POWER = 64
MAX_SEQUENCE = 10_000
MAX_INT_BITS = 4_096
MAX_STEPS = 1_000_000  # guarded operations of one evaluation
# Items and characters built by one evaluation: ~10 bytes each on average (a character is one,
# a list item a pointer and often a small object), so 100 MB allow 10 million.
MAX_CELLS = SCRIPT_MEMORY_MB * 100_000
MAX_MEASURE = 1_000_000  # nodes and characters of one value that is compared, formatted or kept
MAX_SECONDS = SCRIPT_SECONDS
MAX_PRINTED = 200  # lines of print output kept per evaluation
PRINT_LOG = "print_log"  # the data variable that receives a script's print output

_FORMAT_FIELD = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d*)(?:\.(\*|\d*))?")


class ExpressionError(ValueError):
    """An expression or script that is not allowed or failed; the message is for analysts."""


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

_ALLOWED = (
    ast.Expression,
    ast.Module,
    ast.Expr,
    ast.Assign,
    ast.AugAssign,
    ast.If,
    ast.For,
    ast.While,
    ast.Break,
    ast.Continue,
    ast.Pass,
    ast.FunctionDef,
    ast.Lambda,
    ast.arguments,
    ast.arg,
    ast.Return,
    ast.Delete,
    ast.BoolOp,
    ast.BinOp,
    ast.UnaryOp,
    ast.Compare,
    ast.IfExp,
    ast.Call,
    ast.keyword,
    ast.Constant,
    ast.Name,
    ast.Load,
    ast.Store,
    ast.Del,
    ast.Attribute,
    ast.Subscript,
    ast.Slice,
    ast.List,
    ast.Tuple,
    ast.Dict,
    ast.Set,
    ast.ListComp,
    ast.DictComp,
    ast.SetComp,
    ast.GeneratorExp,
    ast.comprehension,
    ast.JoinedStr,
    ast.FormattedValue,
    ast.And,
    ast.Or,
    ast.Not,
    ast.USub,
    ast.UAdd,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.FloorDiv,
    ast.Mod,
    ast.Pow,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.In,
    ast.NotIn,
    ast.Is,
    ast.IsNot,
)
# Methods of plain data that cannot reach the host.
_SAFE_METHODS = {
    "get",
    "keys",
    "values",
    "items",
    "lower",
    "upper",
    "strip",
    "startswith",
    "endswith",
    "split",
    "join",
    "replace",
    "count",
    "index",
    "append",
    "extend",
    "pop",
    "insert",
    "remove",
    "update",
    "setdefault",
    "copy",
}
# Methods whose receiver is walked element by element (compared or copied): it is measured first.
_WALKING_METHODS = {"count", "index", "join", "replace", "split", "remove", "copy", "extend", "update"}


def _depth(tree: ast.AST) -> int:
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            break
        stack.extend((child, level + 1) for child in ast.iter_child_nodes(node))
    return deepest


@lru_cache(maxsize=2048)
def compile_restricted(source: str, mode: str):
    """Check `source` against the whitelist and compile it; cached per source text."""
    source = source or ""  # a script task without a script runs nothing
    if len(source) > MAX_SOURCE:
        raise ExpressionError(f"expression longer than {MAX_SOURCE} characters")
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError as err:
        raise ExpressionError(f"syntax error: {err.msg} (line {err.lineno})") from None
    except (RecursionError, MemoryError):
        raise ExpressionError(f"expression nested more than {MAX_DEPTH} levels deep") from None
    if _depth(tree) > MAX_DEPTH:
        raise ExpressionError(f"expression nested more than {MAX_DEPTH} levels deep")
    if mode == "eval" and any(isinstance(n, ast.Lambda) for n in ast.walk(tree)):
        raise ExpressionError("Lambda is not allowed in diagram expressions (only in scripts)")
    defined = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)} | {
        t.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Assign) and isinstance(n.value, ast.Lambda)
        for t in n.targets
        if isinstance(t, ast.Name)
    }
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            raise ExpressionError(f"{type(node).__name__} is not allowed in diagram expressions")
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            raise ExpressionError(f"name {node.id!r} is not allowed")
        if isinstance(node, (ast.FunctionDef, ast.arg)):
            name = node.name if isinstance(node, ast.FunctionDef) else node.arg
            if name.startswith("_") or name in SAFE_FUNCTIONS:
                raise ExpressionError(f"name {name!r} is not allowed")
            if isinstance(node, ast.FunctionDef) and node.decorator_list:
                raise ExpressionError("decorators are not allowed")
        if isinstance(node, ast.Attribute) and (node.attr.startswith("_") or node.attr not in _SAFE_METHODS):
            raise ExpressionError(f"attribute {node.attr!r} is not allowed")
        if isinstance(node, ast.Attribute) and not isinstance(getattr(node, "ctx", None), ast.Load):
            raise ExpressionError(f"attribute {node.attr!r} is not allowed")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id not in SAFE_FUNCTIONS
            and node.func.id not in defined
        ):
            raise ExpressionError(f"function {node.func.id!r} is not allowed")
        if isinstance(node, ast.FormattedValue) and node.format_spec is not None:
            raise ExpressionError("format specifications are not allowed")  # f"{x:>999999999}"
    try:
        tree = _Guard().visit(tree)
        ast.fix_missing_locations(tree)
        return compile(tree, "<diagram>", mode)
    except (RecursionError, MemoryError):
        raise ExpressionError(f"expression nested more than {MAX_DEPTH} levels deep") from None


def _call(name: str, *args) -> ast.Call:
    return ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=list(args), keywords=[])


_OPS = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
}


class _Guard(ast.NodeTransformer):
    """Rewrites operations into calls of the evaluation's guards (see the module's docstring)."""

    def visit_BinOp(self, node):
        self.generic_visit(node)
        return _call("_op", ast.Constant(_OPS[type(node.op)]), node.left, node.right)

    def visit_AugAssign(self, node):
        self.generic_visit(node)
        target = node.target
        if isinstance(target, ast.Name):
            load: ast.expr = ast.Name(id=target.id, ctx=ast.Load())
        elif isinstance(target, ast.Subscript):
            load = ast.Subscript(value=target.value, slice=target.slice, ctx=ast.Load())
        else:
            raise ExpressionError("attribute assignment is not allowed")
        value = _call("_op", ast.Constant(_OPS[type(node.op)] + "="), load, node.value)
        return ast.Assign(targets=[target], value=value)

    def visit_Compare(self, node):
        self.generic_visit(node)
        node.left = _call("_m", node.left)
        node.comparators = [_call("_m", c) for c in node.comparators]
        return node

    def visit_Subscript(self, node):
        self.generic_visit(node)
        if not isinstance(node.slice, ast.Slice):
            node.slice = _call("_m", node.slice)  # hashed: a self-sharing tuple would hash for ever
        node.value = _call("_step", node.value)
        return node

    def visit_Dict(self, node):
        self.generic_visit(node)
        node.keys = [None if k is None else _call("_m", k) for k in node.keys]
        return _call("_built", node)

    def visit_Set(self, node):
        self.generic_visit(node)
        node.elts = [_call("_m", e) for e in node.elts]
        return _call("_built", node)

    def visit_List(self, node):
        self.generic_visit(node)
        return node if isinstance(node.ctx, ast.Store) else _call("_built", node)

    def visit_Tuple(self, node):
        self.generic_visit(node)
        return node if isinstance(node.ctx, ast.Store) else _call("_built", node)

    def visit_SetComp(self, node):
        self.generic_visit(node)
        node.elt = _call("_m", node.elt)
        return _call("_built", node)

    def visit_DictComp(self, node):
        self.generic_visit(node)
        node.key = _call("_m", node.key)
        return _call("_built", node)

    def visit_ListComp(self, node):
        self.generic_visit(node)
        return _call("_built", node)

    def visit_comprehension(self, node):
        self.generic_visit(node)
        node.iter = _call("_steps", node.iter)
        return node

    def visit_For(self, node):
        self.generic_visit(node)
        node.iter = _call("_steps", node.iter)
        return node

    def visit_While(self, node):
        self.generic_visit(node)
        node.test = ast.BoolOp(op=ast.And(), values=[_call("_step", ast.Constant(True)), node.test])
        return node

    def visit_FormattedValue(self, node):
        self.generic_visit(node)
        node.value = _call("_m", node.value)
        return node

    def visit_JoinedStr(self, node):
        self.generic_visit(node)
        return _call("_built", node)

    def visit_Call(self, node):
        self.generic_visit(node)
        if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
            raise ExpressionError("* and ** in calls are not allowed")
        keywords = ast.Dict(keys=[ast.Constant(k.arg) for k in node.keywords], values=[k.value for k in node.keywords])
        if isinstance(node.func, ast.Attribute):
            args = [node.func.value, ast.Constant(node.func.attr), keywords, *node.args]
            return _call("_method", *args)
        return _call("_fn", node.func, keywords, *node.args)


def _length(value) -> int:
    return len(value) if isinstance(value, (str, bytes, list, tuple, dict, set, frozenset, range)) else 0


class _Evaluation:
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
        if name in _WALKING_METHODS:
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


_STORABLE = (str, int, float, bool, type(None), list, tuple, dict)


def _storable(name: str, value) -> None:
    """What a script leaves in the data is stored as JSON: a set, a range, an iterator or a date
    is refused with the variable's name (already measured, so the walk is bounded)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if not isinstance(item, _STORABLE):
            raise ExpressionError(
                f"variable {name!r} holds a {type(item).__name__}, which the process data cannot keep "
                "(use a list, a number or text)"
            )
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)


def _failed(err: Exception) -> ExpressionError:
    if isinstance(err, ExpressionError):
        return err
    if isinstance(err, NameError):
        return ExpressionError(f"unknown variable: {err.name}")
    if isinstance(err, RecursionError):
        return ExpressionError("the script's functions call themselves too deeply")
    if isinstance(err, MemoryError):
        return ExpressionError("the expression used too much memory")
    return ExpressionError(f"{type(err).__name__}: {err}")


def evaluate(expression: str, data: dict):
    code = compile_restricted(expression.strip(), "eval")
    evaluation = _Evaluation()
    try:
        value = eval(code, evaluation.scope(data))
        if callable(value):
            raise ExpressionError("an expression must give a value, not a function")
        return evaluation.measure(value)
    except Exception as err:  # the analyst's expression failed on this data
        raise _failed(err) from None


def execute(script: str, data: dict) -> list[str]:
    """Run a script against task data; assignments and `del` update `data`. Returns what it printed,
    which is also appended to the data's `print_log`."""
    code = compile_restricted(script, "exec")
    evaluation = _Evaluation()
    scope = evaluation.scope(data)
    try:
        exec(code, scope)
        result = {
            k: v
            for k, v in scope.items()
            if not k.startswith("_") and not callable(v) and not (k in SAFE_FUNCTIONS and v is SAFE_FUNCTIONS[k])
        }
        evaluation.measure(result, MAX_MEASURE * 2)  # what stays in the data must serialize quickly
        for name, value in result.items():
            _storable(name, value)
    except Exception as err:
        raise _failed(err) from None
    data.clear()
    data.update(result)
    if evaluation.printed:
        log = data.get(PRINT_LOG)
        data[PRINT_LOG] = ([*log] if isinstance(log, list) else []) + evaluation.printed
        data[PRINT_LOG] = data[PRINT_LOG][-MAX_PRINTED:]
    return evaluation.printed


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """SpiffWorkflow script environment backed by the restricted evaluator."""

    def evaluate(self, expression, context, external_context=None):
        return evaluate(expression, {**(external_context or {}), **context})

    def execute(self, script, context, external_context=None):
        execute(script, context)
        return True


class RestrictedScriptEngine(PythonScriptEngine):
    """Evaluates with the restricted environment; a failure is raised as the task's WorkflowTaskException
    with the evaluator's message first, so whoever catches it can name the element."""

    def evaluate(self, task, expression, external_context=None):
        try:
            return self.environment.evaluate(expression, task.data, external_context)
        except ExpressionError as err:
            raise WorkflowTaskException(str(err), task=task, exception=err) from err

    def execute(self, task, script, external_context=None):
        try:
            return self.environment.execute(script, task.data, external_context or {})
        except ExpressionError as err:
            raise WorkflowTaskException(str(err), task=task, exception=err) from err


def script_engine() -> PythonScriptEngine:
    return RestrictedScriptEngine(environment=RestrictedEnvironment())
