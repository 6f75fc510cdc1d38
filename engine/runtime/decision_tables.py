"""Decision tables as analysts write them, made runnable by SpiffWorkflow's DMN engine.

Modelers (Camunda, bpmn.io) write FEEL where SpiffWorkflow evaluates Python. Before a table is parsed
its cells are rewritten, in a copy, to what they mean:

- an output that gives a range of whole numbers, `[1..5]` (FEEL's brackets: `(`/`]` open ends), becomes
  the list of those numbers, `[1, 2, 3, 4, 5]`: the process data is JSON, and `3 in allowed` reads the
  same in a later condition (at most MAX_RANGE numbers);
- an output that gives a set, `{1, 2}`, becomes a list of its members (a set cannot be stored);
- an input cell with a range, `[18..60)`, becomes the test `18 <= ? < 60` (any numbers);
- hit policy RULE ORDER is COLLECT (every matching rule, in order).

Hit policies SpiffWorkflow does not run (PRIORITY, OUTPUT ORDER, anything else) and COLLECT with an
aggregation (SUM, COUNT, MIN, MAX: SpiffWorkflow would ignore it and answer a list) are named by
`problems`, so validation refuses them at the table.
"""

from __future__ import annotations

import ast
import copy
import re

from ..kernel.i18n import N_

MAX_RANGE = 1000
RANGE = re.compile(r"^\s*([\[\](])\s*(-?[\d.]+)\s*\.\.\s*(-?[\d.]+)\s*([\])[])\s*$")
RUNNABLE_POLICIES = {"UNIQUE", "FIRST", "ANY", "COLLECT", "RULE ORDER"}


def _number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() and "." not in text else value


def output_value(text: str) -> str:
    """An output cell's expression as Python giving a storable value (see the module's note)."""
    found = RANGE.match(text)
    if found:
        opening, low, high, closing = found.groups()
        start, end = _number(low), _number(high)
        if not isinstance(start, int) or not isinstance(end, int):
            return text  # left as it is: validation names the cell
        start += 0 if opening == "[" else 1
        end -= 0 if closing == "]" else 1
        if end - start + 1 > MAX_RANGE:
            return text
        return repr(list(range(start, end + 1)))
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        return text
    if isinstance(tree.body, ast.Set):
        members: list[str] = []
        for element in tree.body.elts:
            source = ast.unparse(element)
            if source not in members:
                members.append(source)
        return "[" + ", ".join(members) + "]"
    return text


def input_test(text: str) -> str:
    """An input cell with a FEEL range as the test SpiffWorkflow evaluates (`?` is the input)."""
    found = RANGE.match(text)
    if not found:
        return text
    opening, low, high, closing = found.groups()
    lower = "<=" if opening == "[" else "<"
    upper = "<=" if closing == "]" else "<"
    return f"{low} {lower} ? {upper} {high}"


def runnable(root):
    """A copy of a DMN document (lxml root) with its cells and hit policies rewritten to run."""
    root = copy.deepcopy(root)
    for table in root.iter("{*}decisionTable"):
        if (table.get("hitPolicy") or "").upper() == "RULE ORDER":
            table.set("hitPolicy", "COLLECT")
    for entry in root.iter("{*}outputEntry"):
        text = entry.find("{*}text")
        if text is not None and text.text:
            text.text = output_value(text.text)
    for entry in root.iter("{*}inputEntry"):
        text = entry.find("{*}text")
        if text is not None and text.text:
            text.text = input_test(text.text)
    return root


def problems(root) -> list[tuple[str | None, str, str]]:
    """(element id, message, detail) for what the DMN engine cannot run as the table means it."""
    found = []
    for table in root.iter("{*}decisionTable"):
        policy = (table.get("hitPolicy") or "UNIQUE").upper()
        if policy not in RUNNABLE_POLICIES:
            found.append((table.get("id"), N_("the process engine does not run this hit policy"), policy))
        elif table.get("aggregation"):
            found.append(
                (
                    table.get("id"),
                    N_("the process engine does not aggregate collected outputs"),
                    table.get("aggregation"),
                )
            )
    for entry in root.iter("{*}outputEntry"):
        text = entry.findtext("{*}text") or ""
        if RANGE.match(text) and output_value(text) == text:
            found.append((entry.get("id"), N_("an output range must run between whole numbers, at most 1000"), text))
    return found
