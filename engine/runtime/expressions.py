"""Restricted evaluator for expressions and scripts that analysts write in diagrams.

Analysts are not developers and diagrams can be uploaded, so an expression
must never reach the host: only a whitelist of syntax and functions, no
names starting with an underscore, no attribute access to private members,
no loops that can run forever, and bounded sizes. Errors name the problem in
plain words; the engine adds the element that holds the expression.
"""

from __future__ import annotations

import ast
import time
from functools import lru_cache

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

MAX_SOURCE = 5_000
MAX_POWER = 64
MAX_SEQUENCE = 10_000
MAX_INT_BITS = 4_096
MAX_STEPS = 100_000  # loop iterations of one evaluation, nested comprehensions included
MAX_SECONDS = 1.0

SAFE_FUNCTIONS = {
    "len": len,
    "min": min,
    "max": max,
    "sum": sum,
    "any": any,
    "all": all,
    "abs": abs,
    "round": round,
    "sorted": sorted,
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
}

_ALLOWED = (
    ast.Expression,
    ast.Module,
    ast.Expr,
    ast.Assign,
    ast.AugAssign,
    ast.If,
    ast.For,
    ast.Pass,
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
}
# No `while` and no `range`; every loop and comprehension still counts its
# steps against MAX_STEPS and a wall-clock budget, because nested loops over
# data, or a list extended while it is iterated, could otherwise run for hours.


class ExpressionError(ValueError):
    """An expression or script that is not allowed or failed; the message is for analysts."""


@lru_cache(maxsize=2048)
def compile_restricted(source: str, mode: str):
    """Check `source` against the whitelist and compile it; cached per source text."""
    if len(source) > MAX_SOURCE:
        raise ExpressionError(f"expression longer than {MAX_SOURCE} characters")
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError as err:
        raise ExpressionError(f"syntax error: {err.msg} (line {err.lineno})") from None
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            raise ExpressionError(f"{type(node).__name__} is not allowed in diagram expressions")
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            raise ExpressionError(f"name {node.id!r} is not allowed")
        if isinstance(node, ast.Attribute) and (node.attr.startswith("_") or node.attr not in _SAFE_METHODS):
            raise ExpressionError(f"attribute {node.attr!r} is not allowed")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id not in SAFE_FUNCTIONS:
            raise ExpressionError(f"function {node.func.id!r} is not allowed")
        if isinstance(node, ast.FormattedValue) and node.format_spec is not None:
            raise ExpressionError("format specifications are not allowed")  # f"{x:>999999999}"
    # Bound operands at run time: 9**9**9 and [0]*10**9 must not exhaust the host.
    tree = _GuardArithmetic().visit(tree)
    ast.fix_missing_locations(tree)
    return compile(tree, "<diagram>", mode)


def _call(name: str, *args):
    return ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=list(args), keywords=[])


class _GuardArithmetic(ast.NodeTransformer):
    """Rewrites `a ** b`, `a * b`, method calls and loop iterables into calls of bounded helpers."""

    def visit_BinOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, (ast.Pow, ast.Mult)):
            return _call("_pow" if isinstance(node.op, ast.Pow) else "_mul", node.left, node.right)
        return node

    def visit_AugAssign(self, node):
        self.generic_visit(node)  # x *= n must be bounded like x = x * n
        if isinstance(node.op, (ast.Pow, ast.Mult)) and isinstance(node.target, ast.Name):
            load = ast.Name(id=node.target.id, ctx=ast.Load())
            value = _call("_pow" if isinstance(node.op, ast.Pow) else "_mul", load, node.value)
            return ast.Assign(targets=[node.target], value=value)
        return node

    def visit_comprehension(self, node):
        self.generic_visit(node)
        node.iter = _call("_steps", node.iter)
        return node

    def visit_For(self, node):
        self.generic_visit(node)
        node.iter = _call("_steps", node.iter)
        return node

    def visit_Call(self, node):
        self.generic_visit(node)
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("join", "replace"):
            # "".join(...) and s.replace("", big) can build huge strings in one step: size them first.
            node.args = [_call("_sized", arg) for arg in node.args]
            return _call("_sized", node)
        return node


def _too_big(value) -> bool:
    if isinstance(value, int) and not isinstance(value, bool):
        return value.bit_length() > MAX_INT_BITS
    return isinstance(value, (str, list, tuple, dict, set)) and len(value) > MAX_SEQUENCE


def _sized(value):
    if _too_big(value):
        raise ExpressionError(f"value larger than {MAX_SEQUENCE} items")
    return value


def _pow(a, b):
    if isinstance(b, (int, float)) and abs(b) > MAX_POWER:
        raise ExpressionError(f"exponent larger than {MAX_POWER}")
    if isinstance(a, int) and isinstance(b, int) and a.bit_length() * max(b, 0) > MAX_INT_BITS:
        raise ExpressionError("number too large")
    return a**b


def _mul(a, b):
    for seq, n in ((a, b), (b, a)):
        if isinstance(seq, (str, list, tuple)) and isinstance(n, int) and len(seq) * n > MAX_SEQUENCE:
            raise ExpressionError(f"result longer than {MAX_SEQUENCE} items")
    if isinstance(a, int) and isinstance(b, int) and a.bit_length() + b.bit_length() > MAX_INT_BITS:
        raise ExpressionError("number too large")
    return a * b


class _Budget:
    """Counts loop steps of one evaluation and stops it at MAX_STEPS or MAX_SECONDS."""

    def __init__(self) -> None:
        self.left = MAX_STEPS
        self.deadline = time.monotonic() + MAX_SECONDS

    def steps(self, iterable):
        for item in iterable:
            self.left -= 1
            if self.left < 0 or (self.left % 1024 == 0 and time.monotonic() > self.deadline):
                raise ExpressionError(f"the expression ran too long (more than {MAX_STEPS} steps)")
            yield item


def _scope(data: dict) -> dict:
    """One namespace for the data and the helpers: comprehensions then see the data at every
    nesting level, and the underscore helpers (unreachable by name) cannot be shadowed by it."""
    return {
        **SAFE_FUNCTIONS,
        **data,
        "__builtins__": {},
        "_pow": _pow,
        "_mul": _mul,
        "_sized": _sized,
        "_steps": _Budget().steps,
    }


def evaluate(expression: str, data: dict):
    code = compile_restricted(expression.strip(), "eval")
    try:
        return eval(code, _scope(data))
    except ExpressionError:
        raise
    except NameError as err:
        raise ExpressionError(f"unknown variable: {err.name}") from None
    except Exception as err:  # the analyst's expression failed on this data
        raise ExpressionError(f"{type(err).__name__}: {err}") from None


def execute(script: str, data: dict) -> None:
    """Run a script against task data; assignments update `data`."""
    code = compile_restricted(script, "exec")
    scope = _scope(data)
    try:
        exec(code, scope)
    except ExpressionError:
        raise
    except Exception as err:
        raise ExpressionError(f"{type(err).__name__}: {err}") from None
    data.clear()
    data.update({k: v for k, v in scope.items() if not k.startswith("_") and not callable(v)})


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """SpiffWorkflow script environment backed by the restricted evaluator."""

    def evaluate(self, expression, context, external_context=None):
        return evaluate(expression, {**(external_context or {}), **context})

    def execute(self, script, context, external_context=None):
        execute(script, context)
        return True


def script_engine() -> PythonScriptEngine:
    return PythonScriptEngine(environment=RestrictedEnvironment())
