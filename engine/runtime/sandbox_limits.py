"""The sandbox's bounds (see engine/runtime/expressions.py for how they are enforced) and its error."""

from __future__ import annotations

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


class ExpressionError(ValueError):
    """An expression or script that is not allowed or failed; the message is for analysts."""
