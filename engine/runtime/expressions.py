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

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from .sandbox_budget import Evaluation
from .sandbox_guard import compile_restricted
from .sandbox_helpers import SAFE_FUNCTIONS
from .sandbox_limits import MAX_MEASURE, MAX_PRINTED, PRINT_LOG, ExpressionError

# The public API of the sandbox, whichever module holds each part.
__all__ = [
    "PRINT_LOG",
    "SAFE_FUNCTIONS",
    "ExpressionError",
    "RestrictedScriptEngine",
    "compile_restricted",
    "evaluate",
    "execute",
    "script_engine",
]


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
    evaluation = Evaluation()
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
    evaluation = Evaluation()
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
