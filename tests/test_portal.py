"""The resident portal without login: the open catalog and agents, progress lookup that reveals
nothing on a wrong phone suffix, rating after the reply, complaints reaching the township's
discipline committee, and rate limits shared through the database."""

import itertools
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from engine.oversight.ratelimit import TooMany, check_portal
from engine.store.oversight_tables import RateCounter

from .conftest import csrf_token
from .oversight_data import add_case, at, make_township

_ips = itertools.count(1)


@pytest.fixture
def resident(app):
    """A browser of its own address, so rate limits of other tests do not count."""
    return _client(app, f"10.7.{next(_ips) % 250}.{next(_ips) % 250}")


def _client(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _lookup(client, receipt, last4):
    form = client.get("/public/progress").get_data(as_text=True)
    return client.post(
        "/public/progress", data={"csrf_token": csrf_token(form), "receipt": receipt, "phone_last4": last4}
    )


def _without_tokens(html: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]+"', "", html)


def test_catalog_shows_materials_time_limits_fees_and_each_villages_agent(resident):
    html = resident.get("/public/").get_data(as_text=True)
    assert "农村村民建房申请" in html and "农村宅基地和建房(规划许可)申请表" in html
    assert "20 个工作日" in html and "免费" in html
    assert "上坪村" in html and "上坪村村级代办员" in html and "village_agent" not in html
    data = resident.get("/api/v1/public/catalog").json
    assert any(v["code"] == "t1-v1" and v["agents"] for v in data["villages"])
    assert sum(len(c["items"]) for c in data["categories"]) >= 30


def test_lookup_with_a_wrong_suffix_reveals_nothing(api, resident):
    case = api.open_case("village_agent@t1-v3", "temporary-aid", "t1-v3", phone="13612348765")
    ok = _lookup(resident, case["receipt_code"], "8765")
    html = ok.get_data(as_text=True)
    assert ok.status_code == 200 and "正在办理" in html and "受理登记" in html
    assert "张三" not in html and "13612348765" not in html and "代办测试" not in html  # no personal data
    wrong = _lookup(resident, case["receipt_code"], "8766")
    unknown = _lookup(resident, "DB000000ZZZZZZ", "8765")
    assert wrong.status_code == unknown.status_code == 404
    assert _without_tokens(wrong.get_data(as_text=True)).replace("8766", "") == _without_tokens(
        unknown.get_data(as_text=True)
    ).replace("DB000000ZZZZZZ", case["receipt_code"]).replace("8765", "")
    assert "正在办理" not in wrong.get_data(as_text=True)


def test_rating_after_the_reply_needs_receipt_and_phone_suffix(api, resident, session):
    town = make_township(session, villages=1)
    case = add_case(
        session,
        town,
        1,
        "a1",
        "temporary-aid",
        "2026-11-02 10:00",
        "2026-11-09 17:30",
        "2026-11-05 10:00",
        "satisfied",
        phone="13800005555",
    )
    open_case = add_case(
        session,
        town,
        1,
        "a1",
        "temporary-aid",
        "2026-11-02 10:00",
        "2026-11-09 17:30",
        status="closed",
        phone="13800005555",
    )
    body = {"receipt": case.receipt_code, "phone_last4": "5556", "rating": "dissatisfied"}
    assert resident.post("/api/v1/public/rating", json=body).status_code == 404
    body["phone_last4"] = "5555"
    assert resident.post("/api/v1/public/rating", json={**body, "rating": "meh"}).status_code == 422
    done = resident.post("/api/v1/public/rating", json={**body, "comment": "跑了三趟"})
    assert done.status_code == 200 and done.json["rating"] == "dissatisfied"
    assert done.json["agent_rating"] == "satisfied"  # kept beside the resident's, not overwritten
    assert resident.post("/api/v1/public/rating", json=body).status_code == 409  # once only
    session.expire_all()
    rated = session.get(type(case), case.id)
    assert (rated.rating, rated.resident_rating) == ("satisfied", "dissatisfied")
    page = _lookup(resident, case.receipt_code, "5555").get_data(as_text=True)
    assert "您已评价此事项" in page and 'name="rating"' not in page
    # The page form: a closed item offers the rating.
    form = _lookup(resident, open_case.receipt_code, "5555").get_data(as_text=True)
    assert 'name="rating"' in form
    thanks = resident.post(
        "/public/rating",
        data={
            "csrf_token": csrf_token(form),
            "receipt": open_case.receipt_code,
            "phone_last4": "5555",
            "rating": "satisfied",
        },
    )
    assert thanks.status_code == 200 and "感谢您" in thanks.get_data(as_text=True)


def test_a_complaint_reaches_the_discipline_inspector_of_that_township_only(resident, session, login):
    town = make_township(session, villages=1)
    case = add_case(
        session, town, 1, "a1", "temporary-aid", "2026-11-02 10:00", "2026-11-09 17:30", phone="13800007777"
    )
    form = resident.get("/public/complaint").get_data(as_text=True)
    assert town.unit.name in form
    bad = resident.post("/public/complaint", data={"csrf_token": csrf_token(form), "township": town.unit.code})
    assert bad.status_code == 422
    sent = resident.post(
        "/public/complaint",
        data={
            "csrf_token": csrf_token(form),
            "township": town.unit.code,
            "text": "代办员索要好处费",
            "name": "李四",
            "phone": "13912345678",
            "receipt": case.receipt_code,
            "phone_last4": "7777",
        },
    )
    assert sent.status_code == 200 and "乡镇纪委" in sent.get_data(as_text=True)
    inspector = login(town.users["inspector"].username)
    listing = inspector.get("/supervision/complaints").get_data(as_text=True)
    assert "代办员索要好处费" in listing and case.receipt_code in listing
    assert "139****5678" in listing and "13912345678" not in listing
    other = login("discipline_inspector@t1").get("/supervision/complaints?status=open").get_data(as_text=True)
    assert "代办员索要好处费" not in other
    complaint_id = re.search(r"/supervision/complaints/(\d+)", listing).group(1)
    detail = inspector.get(f"/supervision/complaints/{complaint_id}").get_data(as_text=True)
    assert "13912345678" in detail  # the committee may call the complainant back
    closed = inspector.post(
        f"/supervision/complaints/{complaint_id}/close",
        data={"csrf_token": csrf_token(detail), "resolution": "已核实并批评教育"},
    )
    assert closed.status_code == 302
    assert "已核实并批评教育" in inspector.get(f"/supervision/complaints/{complaint_id}").get_data(as_text=True)


def test_lookups_are_rate_limited_per_address_and_per_receipt(session):
    now = at("2026-11-23 10:00")
    for _ in range(10):
        check_portal(session, "10.99.0.1", "DB000000AAAAAA", now)
    with pytest.raises(TooMany):  # ten a window for one receipt, from anywhere
        check_portal(session, "10.99.0.2", "db000000aaaaaa", now)
    for n in range(20):
        check_portal(session, "10.99.0.1", f"DB0000{n:02d}BBBBBB", now)
    with pytest.raises(TooMany):  # thirty a window from one address
        check_portal(session, "10.99.0.1", "DB000000CCCCCC", now)
    check_portal(session, "10.99.0.1", "DB000000CCCCCC", now + timedelta(minutes=10))  # the next window
    # The counters live in the database, so every gunicorn worker and node sees the same ones.
    assert (
        session.scalar(
            select(RateCounter.hits).where(
                RateCounter.key == "ip:10.99.0.1", RateCounter.window == int(now.timestamp()) // 600
            )
        )
        == 31
    )


def test_an_address_over_its_limit_gets_429_from_page_and_api(app, session):
    window = int(datetime.now(UTC).timestamp()) // 600
    for w in (window, window + 1):  # this window and the next, should the clock turn during the test
        session.add(RateCounter(key="ip:10.99.1.1", window=w, hits=30))
    session.commit()
    client = _client(app, "10.99.1.1")
    response = client.get("/api/v1/public/progress?receipt=DB000000AAAAAA&phone_last4=0000")
    assert response.status_code == 429 and response.mimetype == "application/problem+json"
    form = client.get("/public/progress").get_data(as_text=True)
    page = client.post("/public/progress", data={"csrf_token": csrf_token(form), "receipt": "X", "phone_last4": "1"})
    assert page.status_code == 429 and "请求过于频繁" in page.get_data(as_text=True)


def test_finished_windows_are_swept(session):
    now = at("2026-11-23 11:00")
    check_portal(session, "10.99.2.1", None, now)
    later = now + timedelta(minutes=30)  # three windows on: the first one is finished
    check_portal(session, "10.99.2.2", None, later)
    windows = session.scalars(select(RateCounter.window).where(RateCounter.key.like("ip:10.99.2.%"))).all()
    assert windows == [int(later.timestamp()) // 600]
