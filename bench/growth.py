"""Growth: does a step cost more as an item grows? (SpiffWorkflow's users report slow multi-instance
and O(n²) per-step serialization in big workflows.)

Through Daiban's commands in one process, the cost per step (read the case, read the task,
complete or return it) of the joint county item over 3 departments (the demo's) is compared with
the same item over 30 departments and with the item whose first department's part is returned
20 times (each return is sent on again to the same department). A ratio of 1 is flat cost.
"""

from __future__ import annotations

import time

from sqlalchemy import select

from engine.cases import commands
from engine.cases.actions import return_task
from engine.kernel.clock import utcnow
from engine.kernel.vocabulary import Role, UnitKind
from engine.library.catalog import current_item
from engine.org.org import add_unit, unit_by_code
from engine.read.shapes import case_dict, task_detail
from engine.store.models import RoleAssignment, User

from .common import demo_sessions
from .driver import sample_data
from .inproc import RESIDENT

DEPARTMENT_TASK, RESORT_TASK = "handle_in_department", "resort_department"


def growth(url: str, cases: int, departments: int = 30, returns: int = 20) -> dict:
    engine, sessions = demo_sessions(url)
    with sessions() as s:
        users = {u.username: u for u in s.scalars(select(User))}
        functions = _more_departments(s, departments, users)
        item = current_item(s, "house-building")
        assert item is not None
        demo = list(item.departments)
        _per_step(s, users, 1)  # warm the spec cache and the connection pool
        base = _per_step(s, users, cases)
        returned = _per_step(s, users, cases, returns=returns)
        item.departments = functions
        s.commit()
        wide = _per_step(s, users, cases)
        item.departments = demo
        s.commit()
    engine.dispose()
    return {
        "step_ms_3_departments": base * 1000,
        f"step_ms_{departments}_departments": wide * 1000,
        f"step_ms_{returns}_returns": returned * 1000,
        f"growth_{departments}_departments": wide / base,
        f"growth_{returns}_returns": returned / base,
    }


def _more_departments(s, count: int, users: dict) -> list[str]:
    """The demo county's departments plus new ones up to `count`, each with its handler; returns
    the functions of all of them (the catalog routes items to functions)."""
    county = unit_by_code(s, "qx")
    item = current_item(s, "house-building")
    assert county is not None and item is not None
    functions = list(item.departments)
    for n in range(len(functions), count):
        code, function = f"qx-bench{n}", f"bench_{n}"
        unit = add_unit(s, code, f"县第{n}局", UnitKind.DEPARTMENT, county, f"Bureau {n}", function)
        user = User(
            username=f"department_handler@{code}",
            display_name=f"第{n}局经办",
            password_hash="-",
            active=True,
            created_at=utcnow(),
        )
        s.add(user)
        s.flush()
        s.add(RoleAssignment(user_id=user.id, role=Role.DEPARTMENT_HANDLER, org_unit_id=unit.id))
        users[user.username] = user
        functions.append(function)
    s.commit()
    return functions


def _per_step(session, users, cases: int, returns: int = 0) -> float:
    """Seconds per step over `cases` cases run to the end."""
    steps, started = 0, time.perf_counter()
    for _ in range(cases):
        materials = list(current_item(session, "house-building").materials)
        case = commands.open_case(session, users["village_agent@t1-v1"], "house-building", RESIDENT, "bench", materials)
        steps += 1
        left, returned_unit = returns, None
        while True:
            view = case_dict(session, case)
            if not view["open_tasks"]:
                break
            task = view["open_tasks"][0]
            user = users[f"{task['role']}@{task['org_unit']}"]
            detail = task_detail(session, user, task["id"])
            if left and task["task"] == DEPARTMENT_TASK and returned_unit in (None, task["org_unit"]):
                returned_unit = task["org_unit"]  # one department's part goes back and forth
                case = return_task(session, user, task["id"], "材料不全,退回重新分送")
                left -= 1
            elif task["task"] == RESORT_TASK and returned_unit:
                case = commands.complete_task(session, user, task["id"], {"department": returned_unit})
            else:
                case = commands.complete_task(session, user, task["id"], sample_data(detail["form"]))
            steps += 1
        assert case.status == "archived", case.status
    return (time.perf_counter() - started) / steps
