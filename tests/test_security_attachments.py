"""Only the staff working on an open step of an item write its files (red team finding 6): roles that only
watch (supervisor, leader, analyst, discipline inspector) never do,
and a finished, archived item is read-only for everyone."""

import io

import pytest

from engine.cases.attachments import add_attachment
from engine.kernel.errors import Conflict, Forbidden

from .conftest import csrf_token

PDF = b"%PDF-1.4\n% scanned ID card\n"
WATCHERS = ("supervisor@qx", "leader@qx", "analyst@qx", "discipline_inspector@t1")


def test_watching_roles_cannot_attach_files_to_an_archived_item(api, session, user, tmp_path):
    case = api.open_case("village_agent@t1-v1", "social-security-annual-review", "t1-v1")
    case, _steps = api.run_to_end(case)
    assert case["status"] == "archived"
    for name in (*WATCHERS, "village_agent@t1-v1"):
        with pytest.raises((Forbidden, Conflict)):
            add_attachment(session, user(name), case["id"], "other", "scan.pdf", PDF, tmp_path)
        session.rollback()
        assert api.call("GET", f"/api/v1/cases/{case['id']}", name)["available_actions"] == []
    assert not list(tmp_path.iterdir())  # no file was written


def test_only_the_open_steps_staff_attach_to_a_running_item(api, session, user, tmp_path):
    case = api.open_case("village_agent@t1-v2", "house-building", "t1-v2", materials=["户口簿"])
    for name in WATCHERS:
        with pytest.raises(Forbidden):
            add_attachment(session, user(name), case["id"], "other", "scan.pdf", PDF, tmp_path)
        session.rollback()
    added = add_attachment(session, user("village_agent@t1-v2"), case["id"], "other", "scan.pdf", PDF, tmp_path)
    assert added.size == len(PDF)


def test_the_case_page_offers_no_upload_to_a_supervisor_and_refuses_a_forged_one(api, login):
    case = api.open_case("village_agent@t1-v3", "house-building", "t1-v3", materials=["户口簿"])
    supervisor = login("supervisor@qx")
    page = supervisor.get(f"/cases/{case['id']}").get_data(as_text=True)
    assert f"/cases/{case['id']}/attachments" not in page
    forged = supervisor.post(
        f"/cases/{case['id']}/attachments",
        data={"csrf_token": csrf_token(page), "material": "other", "file": (io.BytesIO(PDF), "scan.pdf")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "scan.pdf" not in forged.get_data(as_text=True).split('id="attachments"')[1].split("</ul>")[0]
    agent = login("village_agent@t1-v3")
    assert f"/cases/{case['id']}/attachments" in agent.get(f"/cases/{case['id']}").get_data(as_text=True)
