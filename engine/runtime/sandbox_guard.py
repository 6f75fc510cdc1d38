"""The AST guard: the whitelist of syntax, names and methods a diagram's source may use, and the
rewrite that routes every operation, call, loop step and built value through the budget
(engine/runtime/sandbox_budget.py)."""

from __future__ import annotations

import ast
from functools import lru_cache

from .sandbox_helpers import SAFE_FUNCTIONS
from .sandbox_limits import MAX_DEPTH, MAX_SOURCE, ExpressionError

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
SAFE_METHODS = {
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
WALKING_METHODS = {"count", "index", "join", "replace", "split", "remove", "copy", "extend", "update"}


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
        if isinstance(node, ast.Attribute) and (node.attr.startswith("_") or node.attr not in SAFE_METHODS):
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
        tree = Guard().visit(tree)
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


class Guard(ast.NodeTransformer):
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
