"""Inbox tabs, filters and due colours by the working-day calendar; attachments with type and
size limits, random names outside the web root, visible only with the case (SQLite and PostgreSQL)."""

from datetime import UTC, datetime, timedelta

import pytest

from engine.cases import commands
from engine.cases.attachments import add_attachment, attachment_file, case_attachments, missing_materials
from engine.cases.timer_sweep import fire_due_timers
from engine.kernel.errors import Invalid, NotFound
from engine.read.inbox import Filters, due_colour, inbox_page, tab_counts

PDF = b"%PDF-1.4\n% scanned ID card\n"


def _case(session, user, village="t3-v2", item="temporary-aid", materials=("身份证",)):
    return commands.open_case(
        session,
        user(f"village_agent@{village}"),
        item,
        {"name": "吴婶", "phone": "13600003333", "village": village},
        "申请救助",
        list(materials),
    )


def test_due_colours_follow_the_working_day_calendar(session):
    friday_noon = datetime(2026, 11, 27, 4, tzinfo=UTC)  # 12:00 in Shanghai
    next_monday_end = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)  # 17:30 Monday
    assert due_colour(session, next_monday_end, friday_noon) == "due_soon"  # the weekend does not count
    assert due_colour(session, next_monday_end + timedelta(days=1), friday_noon) == "normal"
    assert due_colour(session, friday_noon - timedelta(minutes=1), friday_noon) == "overdue"


def test_inbox_tabs_count_and_filter_a_users_work(session, user):
    case = _case(session, user, materials=("身份证", "户口簿", "临时救助申请书", "困难情况证明材料"))
    agent = user("village_agent@t3-v2")
    counts = tab_counts(session, agent)
    assert counts["available"] >= 1 and counts["mine"] == 0
    step = [
        t
        for t in inbox_page(
            session, agent, "available", Filters(village="t3-v2", category="civil_affairs"), per_page=100
        ).items
        if t.case_id == case.id
    ]
    assert len(step) == 1
    housing = inbox_page(
        session, agent, "available", Filters(village="t3-v2", category="housing_forestry"), per_page=100
    ).items
    assert case.id not in [t.case_id for t in housing]
    fire_due_timers(session, case.due_at + timedelta(days=1), 10_000)  # overdue is the timers' verdict
    assert case.id in [t.case_id for t in inbox_page(session, agent, "overdue", Filters(village="t3-v2")).items]
    late = {"materials_complete": True, "commission_signed": True, "delay_explanation": "群众外出,已说明"}
    commands.complete_task(session, agent, step[0].id, late)
    done = inbox_page(session, agent, "done", Filters(kind="promised")).items
    assert case.id in [t.case_id for t in done]  # newest first
    assert case.id not in [t.case_id for t in inbox_page(session, agent, "done", Filters(kind="joint")).items]
    assert inbox_page(session, user("village_agent@t3-v1"), "done", Filters(village="t3-v2")).total == 0


def test_attachments_are_checked_stored_under_random_names_and_shown_only_with_the_case(session, user, tmp_path):
    case = _case(session, user)
    agent = user("village_agent@t3-v2")
    with pytest.raises(Invalid):
        add_attachment(session, agent, case.id, "身份证", "id.pdf", b"MZ\x90 not a pdf", tmp_path)
    with pytest.raises(Invalid):
        add_attachment(session, agent, case.id, "身份证", "id.exe", PDF, tmp_path)
    with pytest.raises(Invalid):
        add_attachment(session, agent, case.id, "身份证", "big.pdf", PDF + b"0" * (3 * 1024 * 1024), tmp_path)
    with pytest.raises(NotFound):
        add_attachment(session, user("village_agent@t1-v1"), case.id, "身份证", "id.pdf", PDF, tmp_path)
    assert missing_materials(case, []) == ["户口簿", "临时救助申请书", "困难情况证明材料"]
    saved = add_attachment(session, agent, case.id, "户口簿", "../../etc/户口簿.pdf", PDF, tmp_path)
    assert saved.file_name == "户口簿.pdf" and [p.name for p in tmp_path.iterdir()] == [saved.stored_name]
    assert missing_materials(case, case_attachments(session, case)) == ["临时救助申请书", "困难情况证明材料"]
    found, path = attachment_file(session, user("township_reception@t3"), case.id, saved.id, tmp_path)
    assert path.read_bytes() == PDF
    with pytest.raises(NotFound):
        attachment_file(session, user("village_agent@t3-v1"), case.id, saved.id, tmp_path)
    with pytest.raises(NotFound):
        attachment_file(session, agent, case.id, "../1", tmp_path)


def test_the_diagram_marks_a_step_past_its_own_due_date_overdue(session, user):
    from engine.read.progress import diagram_states
    from engine.read.shapes import open_tasks

    case = _case(session, user)
    rows = open_tasks(session, case)
    assert diagram_states(case, rows, case.opened_at)["accept_item"] == "active"
    assert diagram_states(case, rows, rows[0].due_at + timedelta(minutes=1))["accept_item"] == "overdue"
    assert diagram_states(case, rows, rows[0].due_at + timedelta(minutes=1))["start"] == "completed"
