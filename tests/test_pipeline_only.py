"""Every state change goes through the pipeline (engine/cases/pipeline.py): no other engine module commits,
rolls back or writes an Event itself, and each converted command writes exactly one event when it
succeeds and none when it is refused."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.cases import commands
from engine.cases.attachments import add_attachment
from engine.cases.catalog_admin import change_item, decide, propose_item
from engine.kernel.errors import Conflict, Forbidden, Invalid, NotFound
from engine.kernel.settings import BPMN_DIR
from engine.kernel.sheets import read_sheet
from engine.kernel.vocabulary import EventType
from engine.library.ledger import import_ledger
from engine.library.process_library import deploy, save_draft
from engine.org.org_admin import create_unit, move_unit, rename_unit, retire_unit
from engine.org.people import assign_role, create_user, remove_role, reset_password, set_active
from engine.org.people_import import import_people
from engine.oversight.callbacks import close_record, draw_callbacks, record_callback
from engine.read.portal import file_complaint
from engine.read.public import rate_by_resident
from engine.store.models import Event
from engine.store.oversight_tables import Complaint, Review

from .isolated_db import app, demo_db, own_database_url  # noqa: F401  (a fresh database per module)
from .oversight_data import add_case, make_township

ENGINE = Path(__file__).resolve().parents[1] / "engine"

# Modules that own their transactions: the pipeline and the request counters that must persist even
# when the request fails.
OWN_TRANSACTIONS = {"store/unit_of_work.py", "oversight/ratelimit.py", "store/throttle.py"}
# (module, top-level function): the calls it may still make.
ALLOWED = {
    # Presence bookkeeping before every signed-in request, no event (see its docstring).
    ("org/people.py", "touch_last_seen"): {"commit"},
    # Setup, not commands: `flask daiban init/load-demo` load the seeds in one transaction that
    # web/cli.py commits under a database-wide lock, each load with its own event.
    ("org/org.py", "load_demo_county"): {"Event"},
    ("library/processes.py", "_deploy"): {"Event"},
}
# `x.commit(`, `commit(` (engine.cases.visibility's), `x.rollback(`, `record_event(`, `Event(`, `models.Event(`...
FORBIDDEN = {"commit", "rollback", "record_event", "Event"}


def _own_transactions(module: str) -> bool:
    return module in OWN_TRANSACTIONS


def _calls(path: Path) -> list[tuple[str, str, int]]:
    """(top-level function or "<module>", forbidden call, line) of each forbidden call in the module."""
    found = []

    def visit(node: ast.AST, top: str) -> None:
        for child in ast.iter_child_nodes(node):
            scope = top
            if top == "<module>" and isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                scope = child.name
            elif top == "<module>" and isinstance(child, ast.ClassDef):
                scope = child.name
            if isinstance(child, ast.Call):
                func_ = child.func
                if isinstance(func_, ast.Attribute) and func_.attr in FORBIDDEN:
                    found.append((scope, func_.attr, child.lineno))
                elif isinstance(func_, ast.Name) and func_.id in FORBIDDEN:
                    found.append((scope, func_.id, child.lineno))
            visit(child, scope)

    visit(ast.parse(path.read_text(encoding="utf-8")), "<module>")
    return found


def _engine_calls() -> dict[str, list[tuple[str, str, int]]]:
    return {p.relative_to(ENGINE).as_posix(): _calls(p) for p in sorted(ENGINE.rglob("*.py"))}


def test_no_engine_module_but_the_pipeline_commits_rolls_back_or_writes_an_event():
    offences = [
        f"engine/{module}:{line} {function}() calls {name}("
        for module, calls in _engine_calls().items()
        if not _own_transactions(module)
        for function, name, line in calls
        if name not in ALLOWED.get((module, function), set())
    ]
    assert offences == [], "a command supplies only its act step to engine.cases.pipeline.execute:\n" + "\n".join(
        offences
    )


def test_each_exception_is_still_needed():
    """An allowance whose call is gone is removed, so the list only shrinks."""
    calls = _engine_calls()
    assert _calls(ENGINE / "store" / "unit_of_work.py"), "the scan finds the unit of work's own commit"
    for (module, function), names in ALLOWED.items():
        made = {name for scope, name, _ in calls.get(module, []) if scope == function}
        assert names <= made, f"engine/{module} {function}() no longer calls {names - made}: drop it from ALLOWED"


# -- behaviour: refused → no event; done → exactly one event -----------------------------------------


def events(session) -> int:
    session.rollback()  # end the read transaction: see what the command committed
    return session.scalar(select(func.count()).select_from(Event)) or 0


def refused(session, error, command):
    before = events(session)
    with pytest.raises(error):
        command()
    assert events(session) == before, "a refused command applies nothing"


def unchanged(session, command):
    before = events(session)
    result = command()
    assert events(session) == before, "a command that changes nothing records nothing"
    return result


def one_event(session, type_: str, command):
    before = events(session)
    result = command()
    assert events(session) == before + 1, "a command records exactly one event"
    last = session.scalar(select(Event).order_by(Event.id.desc()).limit(1))
    assert last is not None and last.type == type_
    return result


def test_org_and_people_administration(session, user, tmp_path):
    admin, agent = user("admin"), user("village_agent@t1-v1")
    unit = {"code": "pq1", "name": "管道村", "kind": "village", "parent": "t1"}
    refused(session, Forbidden, lambda: create_unit(session, agent, unit))
    refused(session, Invalid, lambda: create_unit(session, admin, {**unit, "code": "PQ 1", "name": ""}))
    one_event(session, EventType.UNIT_CREATED, lambda: create_unit(session, admin, unit))
    refused(session, Invalid, lambda: rename_unit(session, admin, "pq1", {"name": ""}))
    one_event(session, EventType.UNIT_RENAMED, lambda: rename_unit(session, admin, "pq1", {"name": "新管道村"}))
    refused(session, Invalid, lambda: move_unit(session, admin, "pq1", "t1"))  # already there
    moved = one_event(session, EventType.UNIT_MOVED, lambda: move_unit(session, admin, "pq1", "t2"))
    assert moved.path == "/qx/t2/pq1/"
    refused(session, Forbidden, lambda: retire_unit(session, agent, "pq1"))
    one_event(session, EventType.UNIT_RETIRED, lambda: retire_unit(session, admin, "pq1"))

    body = {"username": "pipe.one", "display_name": "管道", "roles": [{"role": "village_agent", "unit": "t1-v1"}]}
    refused(session, Forbidden, lambda: create_user(session, agent, body))
    refused(session, Invalid, lambda: create_user(session, admin, {**body, "username": "!"}))
    created, password = one_event(session, EventType.USER_CREATED, lambda: create_user(session, admin, body))
    assert len(password) >= 8 and [a.role for a in created.roles] == ["village_agent"]
    refused(session, Invalid, lambda: assign_role(session, admin, "pipe.one", "pilot", "t1-v1"))
    one_event(
        session, EventType.ROLE_ASSIGNED, lambda: assign_role(session, admin, "pipe.one", "group_agent", "t1-v1-g1")
    )
    refused(session, NotFound, lambda: remove_role(session, admin, "pipe.one", "leader", "qx"))
    kept = one_event(
        session, EventType.ROLE_REMOVED, lambda: remove_role(session, admin, "pipe.one", "group_agent", "t1-v1-g1")
    )
    assert [a.role for a in kept.roles] == ["village_agent"]
    assert unchanged(session, lambda: set_active(session, admin, "pipe.one", True)).active
    one_event(session, EventType.USER_DEACTIVATED, lambda: set_active(session, admin, "pipe.one", False))
    refused(session, Invalid, lambda: reset_password(session, admin, "pipe.one", "short"))
    one_event(session, EventType.PASSWORD_RESET, lambda: reset_password(session, admin, "pipe.one"))

    good = read_sheet("people.csv", "用户名,姓名,角色,单位\npipe.two,管道二,村级代办员,t1-v2\n".encode())
    bad = read_sheet("people.csv", "用户名,姓名,角色,单位\npipe.one,重名,pilot,nowhere\n".encode())
    refused(session, Forbidden, lambda: import_people(session, agent, good))
    refused(session, Invalid, lambda: import_people(session, admin, bad))
    assert unchanged(session, lambda: import_people(session, admin, good, dry_run=True))["valid"]
    done = one_event(session, EventType.PEOPLE_IMPORTED, lambda: import_people(session, admin, good))
    assert [c["username"] for c in done["created"]] == ["pipe.two"]


NEW_ITEM = {
    "code": "pipe-item",
    "name": "农机购置补贴申请",
    "category": "other",
    "kind": "promised",
    "level": "county",
    "departments": ["agriculture_rural"],
    "time_limit_days": 10,
    "materials": ["身份证"],
    "fee": 0,
}
LEDGER = "台账编号,事项名称,申请人,联系电话,所在村,事由,受理日期,办结日期,满意度\n"


def test_catalog_ledger_and_process_library(session, user):
    admin, leader, agent, analyst = user("admin"), user("leader@qx"), user("village_agent@t1-v1"), user("analyst@qx")
    refused(session, Forbidden, lambda: change_item(session, agent, "other-inquiry", {"fee": 1}))
    refused(session, Invalid, lambda: change_item(session, admin, "other-inquiry", {}))  # nothing changed
    one_event(
        session,
        EventType.CATALOG_ITEM_CHANGED,
        lambda: change_item(session, admin, "other-inquiry", {"materials": ["身份证"]}),
    )
    refused(session, Invalid, lambda: propose_item(session, admin, {**NEW_ITEM, "code": "Bad Code"}))
    proposal = one_event(session, EventType.CATALOG_ITEM_PROPOSED, lambda: propose_item(session, admin, NEW_ITEM))
    refused(session, Forbidden, lambda: decide(session, admin, proposal.id, {"decision": "approve"}))
    refused(session, Invalid, lambda: decide(session, leader, proposal.id, {"decision": "maybe"}))
    # The approval workflow completes and the item goes live: still one event.
    decided = one_event(
        session,
        EventType.CATALOG_ITEM_APPROVED,
        lambda: decide(session, leader, proposal.id, {"decision": "approve", "opinion": "同意"}),
    )
    assert decided.status == "approved" and decided.catalog_item_id is not None

    good = read_sheet(
        "ledger.csv", (LEDGER + "PQ-2025-001,临时救助申请,吴阿姨,,t1-v1,救助,2025-04-01,2025-04-03,满意\n").encode()
    )
    bad = read_sheet("ledger.csv", (LEDGER + "PQ-2025-002,没有的事项,钱某,,t1-v1,,2025-13-01,2025-01-01,\n").encode())
    refused(session, Forbidden, lambda: import_ledger(session, agent, good))
    refused(session, Invalid, lambda: import_ledger(session, admin, bad))
    assert unchanged(session, lambda: import_ledger(session, admin, good, dry_run=True))["valid"]
    assert one_event(session, EventType.LEDGER_IMPORTED, lambda: import_ledger(session, admin, good))["imported"] == 1

    xml = (BPMN_DIR / "proxy_case.bpmn").read_text(encoding="utf-8").replace('"proxy_case"', '"pipe_case"')
    refused(session, Forbidden, lambda: save_draft(session, agent, xml))
    refused(session, Invalid, lambda: save_draft(session, analyst, xml.replace("<bpmn:endEvent", "<bpmn:task")))
    draft = one_event(session, EventType.PROCESS_DRAFT_SAVED, lambda: save_draft(session, analyst, xml))
    refused(session, Forbidden, lambda: deploy(session, agent, "pipe_case", draft.version))
    live = one_event(session, EventType.PROCESS_DEPLOYED, lambda: deploy(session, analyst, "pipe_case", draft.version))
    assert live.status == "live"


PDF = b"%PDF-1.4\n% scanned\n"


def test_attachments(session, user, tmp_path):
    agent = user("village_agent@t3-v2")
    case = commands.open_case(
        session, agent, "temporary-aid", {"name": "吴婶", "phone": "13600003333", "village": "t3-v2"}, "救助"
    )
    refused(session, Invalid, lambda: add_attachment(session, agent, case.id, "户口簿", "id.pdf", b"MZ", tmp_path))
    refused(session, Invalid, lambda: add_attachment(session, agent, case.id, "没有的材料", "id.pdf", PDF, tmp_path))
    outsider = user("village_agent@t1-v1")
    refused(session, NotFound, lambda: add_attachment(session, outsider, case.id, "户口簿", "id.pdf", PDF, tmp_path))
    assert list(tmp_path.iterdir()) == []  # no file without its row
    saved = one_event(
        session,
        EventType.ATTACHMENT_ADDED,
        lambda: add_attachment(session, agent, case.id, "户口簿", "id.pdf", PDF, tmp_path),
    )
    assert [p.name for p in tmp_path.iterdir()] == [saved.stored_name]


def test_call_backs_complaints_and_the_residents_rating(session, user):
    town = make_township(session, villages=1)
    closed = [
        add_case(
            session,
            town,
            1,
            "a1",
            "temporary-aid",
            "2026-11-02 10:00",
            "2026-11-20 17:30",
            f"2026-11-1{n} 10:00",
            phone="13900004444",
        )
        for n in range(3)
    ]
    still_open = add_case(
        session, town, 1, "a1", "temporary-aid", "2026-11-02 10:00", "2026-11-20 17:30", phone="13900004444"
    )
    inspector, first = town.users["inspector"], date(2026, 11, 1)
    refused(session, Invalid, lambda: draw_callbacks(session, inspector, None, first, seed=-1))
    refused(session, Forbidden, lambda: draw_callbacks(session, town.users["a1"], town.unit.code, first, seed=1))
    drawn = one_event(
        session, EventType.CALLBACKS_DRAWN, lambda: draw_callbacks(session, inspector, None, first, seed=3, share=1.0)
    )
    call = drawn[0].id
    refused(session, Invalid, lambda: record_callback(session, inspector, call, "happy"))
    # A dissatisfied call opens a review: still one event.
    one_event(
        session, EventType.CALLBACK_RECORDED, lambda: record_callback(session, inspector, call, "dissatisfied", "太慢")
    )
    review = session.scalar(select(Review).where(Review.callback_id == call))
    assert review is not None
    refused(session, Invalid, lambda: close_record(session, inspector, Review, review.id, ""))
    one_event(session, EventType.REVIEW_CLOSED, lambda: close_record(session, inspector, Review, review.id, "已约谈"))

    refused(session, Invalid, lambda: file_complaint(session, "nowhere", ""))
    complaint = one_event(
        session,
        EventType.COMPLAINT_FILED,
        lambda: file_complaint(
            session, town.unit.code, "代办员收费", receipt_code=closed[0].receipt_code, phone_last4="4444"
        ),
    )
    assert complaint.case_id == closed[0].id
    supervisor = user("supervisor@qx")
    refused(session, Forbidden, lambda: close_record(session, supervisor, Complaint, complaint.id, "查实"))
    one_event(
        session, EventType.COMPLAINT_CLOSED, lambda: close_record(session, inspector, Complaint, complaint.id, "查实")
    )

    receipt = closed[1].receipt_code
    refused(session, Invalid, lambda: rate_by_resident(session, receipt, "4444", "great"))
    refused(session, Conflict, lambda: rate_by_resident(session, still_open.receipt_code, "4444", "satisfied"))
    rated = one_event(
        session, EventType.RESIDENT_RATED, lambda: rate_by_resident(session, receipt, "4444", "satisfied")
    )
    assert rated.resident_rating == "satisfied"
    refused(session, Conflict, lambda: rate_by_resident(session, receipt, "4444", "dissatisfied"))
