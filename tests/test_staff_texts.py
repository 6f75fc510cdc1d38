"""Staff choose which notifications also come to their phone (page and API, stored per person, with
defaults); the outbox writes a text only for the kinds they chose, and the worker sends it through a real
local gateway exactly once. The administrator's outbox API lists texts by status and audience and sends a
failed one again. The inbox and the task page show 已催办 ×n."""

from datetime import timedelta

from sqlalchemy import select

from engine.cases.sms_delivery import deliver_due
from engine.store.models import Event, User
from engine.store.notice_tables import SmsMessage

from .conftest import csrf_token
from .isolated_db import app, demo_db, own_database_url  # noqa: F401
from .sms_gateway import Gateway

RECEPTION = "township_reception@t1"
AGENT = "village_agent@t1-v1"


def _staff_texts(session, username):
    session.expire_all()
    person = session.scalar(select(User).where(User.username == username))
    return list(session.scalars(select(SmsMessage).where(SmsMessage.user_id == person.id).order_by(SmsMessage.id)))


def _to_reception(api, phone):
    """An item whose first step is done: the township review arrives at t1's reception."""
    case = api.open_case(AGENT, "temporary-aid", "t1-v1", phone=phone)
    case, _ = api.step(case)
    return case


def test_defaults_until_chosen_and_bad_settings_change_nothing(api, session):
    settings = api.call("GET", "/api/v1/me/phone-settings", RECEPTION)
    assert settings["phone"] is None and settings["chosen"] is False
    assert settings["kinds"] == settings["defaults"] == ["overdue_reminder", "returned_to_me", "urged"]
    assert "new_task" in settings["choices"]
    bad = api.call("PUT", "/api/v1/me/phone-settings", RECEPTION, {"phone": "12345", "kinds": []}, expect=422)
    assert "phone" in bad["errors"]
    bad = api.call("PUT", "/api/v1/me/phone-settings", RECEPTION, {"phone": None, "kinds": ["bogus"]}, expect=422)
    assert "kinds" in bad["errors"]
    api.call("PUT", "/api/v1/me/phone-settings", RECEPTION, {"kinds": "urged"}, expect=422)
    api.call("PUT", "/api/v1/me/phone-settings", RECEPTION, {"phone": 13811112222, "kinds": []}, expect=422)
    assert api.call("GET", "/api/v1/me/phone-settings", RECEPTION) == settings
    # No number: nothing is texted, whatever the kinds.
    _to_reception(api, "13900007001")
    assert _staff_texts(session, RECEPTION) == []


def test_a_chosen_kind_is_texted_once_and_an_unchosen_one_is_not(api, session):
    chosen = api.call("PUT", "/api/v1/me/phone-settings", RECEPTION, {"phone": "138 1111 2222", "kinds": ["new_task"]})
    assert chosen == {**chosen, "phone": "13811112222", "kinds": ["new_task"], "chosen": True}
    event = session.scalar(select(Event).where(Event.type == "phone_settings_changed").order_by(Event.id.desc()))
    assert event.detail == {"kinds": ["new_task"], "phone_set": True} and "13811112222" not in str(event.detail)
    events = session.scalar(select(Event.id).order_by(Event.id.desc()).limit(1))
    api.call("PUT", "/api/v1/me/phone-settings", RECEPTION, {"phone": "13811112222", "kinds": ["new_task"]})
    assert session.scalar(select(Event.id).order_by(Event.id.desc()).limit(1)) == events  # no change, no event

    case = _to_reception(api, "13900007002")
    [text] = _staff_texts(session, RECEPTION)
    assert (text.template, text.to, text.status, text.case_id) == (
        "staff_new_task",
        "13811112222",
        "pending",
        case["id"],
    )
    assert case["receipt_code"] in text.text and "张三" not in text.text and "13900007002" not in text.text
    task = case["open_tasks"][0]
    api.call("POST", f"/api/v1/tasks/{task['id']}/urge", AGENT, {"note": "群众着急"})
    assert len(_staff_texts(session, RECEPTION)) == 1  # urged was not chosen: the app only

    with Gateway() as gateway:
        moment = text.next_try_at + timedelta(seconds=1)
        deliver_due(session, gateway.url, now=moment)
        deliver_due(session, gateway.url, now=moment + timedelta(hours=1))
        [sent] = gateway.deliveries(case["receipt_code"]) and [
            d for d in gateway.deliveries(case["receipt_code"]) if d["template"] == "staff_new_task"
        ]
        assert sent["to"] == "13811112222" and sent["text"] == text.text
    assert _staff_texts(session, RECEPTION)[0].status == "sent"


def test_the_administrators_outbox_api_filters_and_resends(api, session):
    api.call("PUT", "/api/v1/me/phone-settings", RECEPTION, {"phone": "13811113333", "kinds": ["new_task"]})
    case = _to_reception(api, "13900007003")
    staff = api.call("GET", f"/api/v1/admin/sms?audience=staff&receipt_code={case['receipt_code']}", "admin")
    [listed] = staff["items"]
    assert listed["audience"] == "staff" and listed["staff"] == RECEPTION and listed["to"] == "138****3333"
    assert listed["template"] == "staff_new_task" and staff["total"] == 1 and "gateway" in staff
    residents = api.call("GET", f"/api/v1/admin/sms?audience=resident&receipt_code={case['receipt_code']}", "admin")
    assert [m["template"] for m in residents["items"]] == ["accepted"]
    paged = api.call("GET", "/api/v1/admin/sms?per_page=1&page=2", "admin")
    assert len(paged["items"]) == 1 and paged["page"] == 2 and paged["total"] >= 2
    api.call("GET", "/api/v1/admin/sms", RECEPTION, expect=403)
    api.call("POST", f"/api/v1/admin/sms/{listed['id']}/resend", "admin", expect=409)  # pending, not failed
    api.call("POST", "/api/v1/admin/sms/999999999/resend", "admin", expect=404)

    with Gateway() as gateway:
        gateway.scripts[case["receipt_code"]] = [503] * 12
        message = session.get(SmsMessage, listed["id"])
        for _ in range(8):
            session.refresh(message)
            if message.status == "failed":
                break
            deliver_due(session, gateway.url, now=message.next_try_at + timedelta(seconds=1))
    failed = api.call("GET", "/api/v1/admin/sms?status=failed&audience=staff", "admin")["items"]
    assert listed["id"] in [m["id"] for m in failed]
    again = api.call("POST", f"/api/v1/admin/sms/{listed['id']}/resend", "admin")
    assert again["status"] == "pending" and again["attempts"] == 0


def test_the_phone_page_saves_the_choice(login, api):
    page = login("township_agent@t1")
    form = page.get("/notifications/phone").get_data(as_text=True)
    assert 'name="kind" value="urged" checked' in form and 'value="new_task" checked' not in form
    bad = page.post("/notifications/phone", data={"csrf_token": csrf_token(form), "phone": "abc", "kind": ["urged"]})
    assert bad.status_code == 422 and "11" in bad.get_data(as_text=True)
    saved = page.post(
        "/notifications/phone",
        data={"csrf_token": csrf_token(form), "phone": "13911114444", "kind": ["new_task", "copied_to_me"]},
    )
    assert saved.status_code == 302
    settings = api.call("GET", "/api/v1/me/phone-settings", "township_agent@t1")
    assert settings["phone"] == "13911114444" and settings["kinds"] == ["copied_to_me", "new_task"]


def test_the_inbox_shows_how_often_a_task_was_urged(api, login):
    case = _to_reception(api, "13900007004")
    task = case["open_tasks"][0]
    api.call("POST", f"/api/v1/tasks/{task['id']}/urge", AGENT, {})
    listed = api.call("GET", "/api/v1/tasks?scope=available&per_page=100&village=t1-v1", RECEPTION)["items"]
    assert next(e for e in listed if e["id"] == task["id"])["urges"] == 1
    html = login(RECEPTION).get("/inbox?scope=available&per_page=100&village=t1-v1").get_data(as_text=True)
    row = html[html.index(f'href="/tasks/{task["id"]}"') - 600 : html.index(f'href="/tasks/{task["id"]}"')]
    assert "已催办 ×1" in row
    assert "已催办 ×1" in login(RECEPTION).get(f"/tasks/{task['id']}").get_data(as_text=True)
