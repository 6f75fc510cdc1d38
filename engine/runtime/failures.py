"""A diagram that fails while it runs: the error names the element, in the user's language.

A script, condition, decision or timer expression that fails (or exceeds its bounds) while
the engine runs a case is the diagram's fault, not the clerk's nor the server's: the
command answers 422 with the element's id and name and changes nothing (the pipeline
rolls back), and the analyst sees the same error on a test run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from SpiffWorkflow.exceptions import SpiffWorkflowException

from ..kernel.errors import DomainError, Invalid
from ..kernel.i18n import N_
from .expressions import ExpressionError

FAILED = N_("the process diagram failed at one of its elements; an analyst must correct the diagram")
SCRIPT_FAILED = N_("a script or expression of this element failed")
ENGINE_FAILED = N_("the process engine could not run this element")
ENDLESS = N_("the diagram repeats this element without end")
UNSTORABLE = N_("the process data holds a value that cannot be stored (use a list, a number or text)")


class DiagramFailed(Invalid):
    """Invalid (422) naming the element: `errors` holds element, element_name, message and detail."""

    def __init__(self, element: str | None, name: str | None, message: str, detail: str):
        super().__init__(
            FAILED,
            {"element": element or "", "element_name": name or element or "", "message": message, "detail": detail},
        )
        self.element = element
        self.element_name = name or element
        self.kind = message
        self.detail = detail

    def as_dict(self) -> dict:
        return {"element": self.element, "element_name": self.element_name, "message": self.kind, "detail": self.detail}


def _spec_of(task_or_spec):
    return getattr(task_or_spec, "task_spec", task_or_spec)


def failure(spec, err: BaseException) -> DiagramFailed:
    """The failure of `spec` (a task or task spec) with the evaluator's or engine's complaint."""
    if isinstance(err, DiagramFailed):
        return err
    spec = _spec_of(spec)
    element = getattr(spec, "bpmn_id", None) or getattr(spec, "name", None)
    name = getattr(spec, "bpmn_name", None)
    if isinstance(err, ExpressionError):
        return DiagramFailed(element, name, SCRIPT_FAILED, str(err))
    cause = err.__cause__ or err.__context__
    if isinstance(cause, (ExpressionError, DiagramFailed)):
        return failure(spec, cause)
    detail = str(err).splitlines()[0] if str(err) else type(err).__name__
    return DiagramFailed(element, name, ENGINE_FAILED, detail[:500])


def spiff_failure(err: SpiffWorkflowException) -> DiagramFailed:
    spec = getattr(err, "task", None) or getattr(err, "task_spec", None)
    return failure(spec, err)


@contextmanager
def running() -> Iterator[None]:
    """Run engine steps; a failure of the diagram becomes a DiagramFailed naming its element."""
    try:
        yield
    except DiagramFailed:
        raise
    except SpiffWorkflowException as err:
        raise spiff_failure(err) from None
    except ExpressionError as err:
        raise DiagramFailed(None, None, SCRIPT_FAILED, str(err)) from None
    except DomainError:
        raise
    except (RecursionError, MemoryError, TypeError, ValueError, KeyError, AttributeError, IndexError) as err:
        # SpiffWorkflow lets these out of a malformed model (a script task without a script, a flow
        # without a target): the diagram is at fault, never the server.
        raise DiagramFailed(None, None, ENGINE_FAILED, f"{type(err).__name__}: {err}"[:500]) from None
