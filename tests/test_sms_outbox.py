"""Texts to residents through the outbox and a real local gateway: written with the change that
causes them, sent exactly once through 500s, two workers or a worker killed between the gateway's
answer and marking the text sent (the Idempotency-Key). Own database per backend."""

import os
import signal
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from engine.cases import commands
from engine.cases.sms_delivery import deliver_due, outbox, resend
from engine.kernel.errors import Conflict, Forbidden
from engine.store.db import make_engine, make_sessionmaker
from engine.store.models import Event
from engine.store.notice_tables import SmsMessage

from .conftest import csrf_token
from .isolated_db import app, demo_db, own_database_url  # noqa: F401
from .sms_gateway import Gateway

ROOT = Path(__file__).resolve().parent.parent
RESIDENT = {"name": "周桂英", "phone": "13900006666", "village": "t1-v1"}


def _accepted(session, user, phone="13900006666"):
    case = commands.open_case(
        session, user("village_agent@t1-v1"), "house-building", {**RESIDENT, "phone": phone}, "建房", ["户口簿"]
    )
    [message] = session.scalars(select(SmsMessage).where(SmsMessage.case_id == case.id)).all()
    return case, message


def _sms_events(session, case):
    return [e.type for e in session.scalars(select(Event).where(Event.case_id == case.id).order_by(Event.id))][1:]


def test_acceptance_texts_the_resident_once_through_two_gateway_errors(session, user):
    case, message = _accepted(session, user)
    assert (message.template, message.status, message.to) == ("accepted", "pending", "13900006666")
    assert case.receipt_code in message.text and "农村村民建房申请" in message.text
    assert "周桂英" not in message.text and f"/progress?receipt={case.receipt_code}" in message.text
    with Gateway() as gateway:
        gateway.scripts[case.receipt_code] = [500, 500]
        assert deliver_due(session, None, now=message.next_try_at) == {}  # no gateway: it waits
        moment = message.next_try_at
        deliver_due(session, gateway.url, now=moment)
        session.refresh(message)
        assert (message.status, message.attempts, message.last_error) == ("pending", 1, "HTTP 500")
        assert message.next_try_at == moment + timedelta(seconds=30)
        deliver_due(session, gateway.url, now=moment + timedelta(seconds=29))  # not due yet
        assert len(gateway.keys(case.receipt_code)) == 1
        deliver_due(session, gateway.url, now=moment + timedelta(seconds=30))
        session.refresh(message)
        assert message.next_try_at == moment + timedelta(seconds=90)  # the wait doubled
        deliver_due(session, gateway.url, now=moment + timedelta(seconds=90))
        session.refresh(message)
        assert message.status == "sent" and message.attempts == 3
        deliver_due(session, gateway.url, now=moment + timedelta(days=1))
        [delivered] = gateway.deliveries(case.receipt_code)
        assert delivered == {
            "to": "13900006666",
            "text": message.text,
            "template": "accepted",
            "receipt_code": case.receipt_code,
        }
        assert gateway.keys(case.receipt_code) == [message.key] * 3  # one key on every try
    assert [t for t in _sms_events(session, case) if t.startswith("sms")] == ["sms_retry", "sms_retry", "sms_sent"]


def test_after_the_last_try_a_text_is_failed_and_the_administrator_resends_it(session, user):
    case, message = _accepted(session, user, "13900006667")
    with Gateway() as gateway:
        gateway.scripts[case.receipt_code] = [503] * 6
        moment = message.next_try_at
        for _ in range(6):
            session.refresh(message)
            deliver_due(session, gateway.url, now=max(moment, message.next_try_at))
        session.refresh(message)
        assert message.status == "failed" and message.attempts == 6 and gateway.deliveries(case.receipt_code) == []
        admin = user("admin")
        assert message.id in [m.id for m in outbox(session, admin, "failed").items]
        try:
            outbox(session, user("village_agent@t1-v1"))
            raise AssertionError("only administrators see the outbox")
        except Forbidden:
            pass
        resend(session, admin, message.id, now=moment + timedelta(days=1))
        try:
            resend(session, admin, message.id)
            raise AssertionError("a pending text is not resent")
        except Conflict:
            pass
        deliver_due(session, gateway.url, now=moment + timedelta(days=1))
        session.refresh(message)
        assert message.status == "sent" and len(gateway.deliveries(case.receipt_code)) == 1


def test_two_workers_send_each_text_once(session, user, own_database_url):  # noqa: F811
    messages = [_accepted(session, user, f"1390000700{i}")[1] for i in range(4)]
    later = max(m.next_try_at for m in messages) + timedelta(days=2)
    with Gateway(delay=0.2) as gateway:
        engines = [make_engine(own_database_url) for _ in range(2)]

        def work(engine):
            with make_sessionmaker(engine)() as s:
                deliver_due(s, gateway.url, now=later)

        threads = [threading.Thread(target=work, args=(e,)) for e in engines]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        for engine in engines:
            engine.dispose()
        for m in messages:
            assert len(gateway.deliveries(m.receipt_code)) == 1
            assert len(gateway.keys(m.receipt_code)) == 1  # never even tried twice
            session.refresh(m)
            assert m.status == "sent"


WORKER = """
import sys
from datetime import datetime
from engine.cases.sms_delivery import deliver_due
from engine.store.db import make_engine, make_sessionmaker
engine = make_engine(sys.argv[1])
with make_sessionmaker(engine)() as session:
    deliver_due(session, sys.argv[2], limit=1, now=datetime.fromisoformat(sys.argv[3]))
"""


def test_a_worker_killed_between_send_and_mark_does_not_text_twice(session, user, own_database_url):  # noqa: F811
    case, message = _accepted(session, user, "13900008888")
    # Only this text is due: the others of this database wait for later.
    moment = message.next_try_at
    for other in session.scalars(select(SmsMessage).where(SmsMessage.status == "pending", SmsMessage.id != message.id)):
        other.next_try_at = moment + timedelta(days=30)
    session.commit()
    with Gateway() as gateway:
        gateway.hold_receipt = case.receipt_code
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        worker = subprocess.Popen(
            [sys.executable, "-c", WORKER, own_database_url, gateway.url, moment.isoformat()], env=env, cwd=ROOT
        )
        assert gateway.arrived.wait(60), "the worker never reached the gateway"
        os.kill(worker.pid, signal.SIGKILL)  # the gateway took the text; the worker dies before marking it
        worker.wait(10)
        gateway.hold_receipt = None
        gateway.release.set()
        assert len(gateway.deliveries(case.receipt_code)) == 1
        session.refresh(message)
        assert message.status == "pending"  # nothing was marked: the try died with its transaction
        deliver_due(session, gateway.url, now=moment)
        session.refresh(message)
        assert message.status == "sent"
        assert gateway.keys(case.receipt_code) == [message.key, message.key]  # tried twice, one key
        assert len(gateway.deliveries(case.receipt_code)) == 1  # delivered once


def test_the_administrator_sees_a_failed_text_and_sends_it_again_from_the_page(session, user, login):
    case, message = _accepted(session, user, "13900009999")
    message.status, message.attempts, message.last_error = "failed", 6, "HTTP 503"
    session.commit()
    assert login("village_agent@t1-v1").get("/admin/sms").status_code == 403
    admin = login("admin")
    page = admin.get("/admin/sms?status=failed").get_data(as_text=True)
    assert case.receipt_code in page and "HTTP 503" in page and "重新发送" in page
    assert "139****9999" in page and "13900009999" not in page  # the phone masked
    assert "未配置短信网关" in page
    admin.post(f"/admin/sms/{message.id}/resend", data={"csrf_token": csrf_token(page)})
    session.refresh(message)
    assert message.status == "pending" and message.attempts == 0


def test_quiet_hours_hold_a_text_until_morning_and_the_daily_cap_defers_the_rest(session, user):
    from datetime import datetime

    from engine.cases.sms import quiet_until
    from engine.store.calendar import TZ

    night = datetime(2026, 12, 8, 22, 30, tzinfo=TZ)
    early = datetime(2026, 12, 9, 6, 0, tzinfo=TZ)
    noon = datetime(2026, 12, 9, 12, 0, tzinfo=TZ)
    assert quiet_until("qx", night) == datetime(2026, 12, 9, 8, 0, tzinfo=TZ)
    assert quiet_until("qx", early) == datetime(2026, 12, 9, 8, 0, tzinfo=TZ)
    assert quiet_until("qx", noon) == noon

    phone = "13900001234"
    texts = [_accepted(session, user, phone)[1] for _ in range(6)]
    later = max(m.next_try_at for m in texts) + timedelta(days=3)
    with Gateway() as gateway:
        outcome = deliver_due(session, gateway.url, now=later)
        assert outcome.get("deferred", 0) >= 1
        sent = [m for m in texts if (session.refresh(m) or m.status == "sent")]
        assert len(sent) == 5  # the daily cap per phone (config/sms.toml)
        [waiting] = [m for m in texts if m.status == "pending"]
        assert waiting.next_try_at.astimezone(TZ).hour == 8 and waiting.next_try_at > later
        deliver_due(session, gateway.url, now=waiting.next_try_at)
        session.refresh(waiting)
        assert waiting.status == "sent"
