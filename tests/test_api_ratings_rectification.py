"""API: ratings on the national 好差评 scale (the agent's and the resident's kept side by side, the
resident's counting when given) and the rectification (整改) a 差评 opens for the responsible unit,
due in 15 working days and closed only with the call-back's result. On SQLite and PostgreSQL."""

from datetime import datetime, timedelta

from engine.org.org import unit_by_code
from engine.read.rectifications import open_rectifications_for, overdue_rectifications
from engine.store.calendar import TZ, default_calendar
from engine.store.models import User

FULL = ["身份证", "户口簿", "临时救助申请书", "困难情况证明材料"]


def _mine(api, user: str, case_id: int, status: str = "") -> list[dict]:
    page = api.call("GET", f"/api/v1/rectifications?status={status}&per_page=100", user)
    return [r for r in page["items"] if r["case_id"] == case_id]


def _inbox_rectifications(api, user: str, scope: str) -> list[tuple[int, str]]:
    page = api.call("GET", f"/api/v1/tasks?scope={scope}&per_page=100", user)
    return [(e["record_id"], e["due_at"]) for e in page["items"] if e["kind"] == "rectification"]


def _working_days(start: datetime, end: datetime, session) -> int:
    calendar = default_calendar(session)
    return calendar.working_days_between(start.astimezone(TZ).date(), end.astimezone(TZ).date())


def test_the_residents_rating_sits_beside_the_agents_and_a_bad_one_sets_the_station_a_rectification(api, session):
    agent = "village_agent@t3-v1"
    case = api.open_case(agent, "temporary-aid", "t3-v1", phone="13800004321", materials=FULL)
    case, steps = api.run_to_end(
        case,
        answers={
            "handle_at_station": {"approved": True, "answer": "已发放临时救助金 800 元"},
            "reply_resident": {"rating": "satisfied"},
        },
    )
    assert case["status"] == "archived"
    assert (case["rating"], case["agent_rating"], case["resident_rating"]) == ("satisfied", "satisfied", None)
    assert _mine(api, "supervisor@qx", case["id"]) == []  # a good rating opens nothing

    rating = {"receipt": case["receipt_code"], "phone_last4": "4321"}
    bad = api.call("POST", "/api/v1/public/rating", None, {**rating, "rating": "excellent"}, expect=422)
    assert bad["errors"]["rating"]
    done = api.call(
        "POST", "/api/v1/public/rating", None, {**rating, "rating": "very_dissatisfied", "comment": "钱晚到了十天"}
    )
    assert (done["rating"], done["agent_rating"]) == ("very_dissatisfied", "satisfied")
    again = api.call("POST", "/api/v1/public/rating", None, {**rating, "rating": "satisfied"}, expect=409)
    assert again["title"]  # a clear message, nothing changed
    seen = api.call("GET", f"/api/v1/cases/{case['id']}", agent)
    # Both kept; the resident's is the one that counts.
    assert (seen["rating"], seen["agent_rating"], seen["resident_rating"]) == (
        "very_dissatisfied",
        "satisfied",
        "very_dissatisfied",
    )
    progress = api.call("GET", f"/api/v1/public/progress?receipt={case['receipt_code']}&phone_last4=4321", None)
    assert progress["rated"] is True and progress["resident_rating"] == "very_dissatisfied"

    # The supervisor of the county and the township's discipline committee see it; so does the station
    # that answered (the responsible unit); a village agent elsewhere does not.
    [record] = _mine(api, "supervisor@qx", case["id"], "open")
    assert [r["id"] for r in _mine(api, "discipline_inspector@t3", case["id"])] == [record["id"]]
    assert record["unit"] == "t3-mzs" and record["unit_name"] and record["unit_name"] != record["unit"]
    assert (record["rating"], record["source"], record["comment"]) == ("very_dissatisfied", "resident", "钱晚到了十天")
    assert record["status"] == "open" and record["overdue"] is False and record["may_close"] is True
    opened, due = datetime.fromisoformat(record["opened_at"]), datetime.fromisoformat(record["due_at"])
    assert 15 <= _working_days(opened, due, session) <= 16  # 15 working days (16 when opened after hours)
    assert due.astimezone(TZ).strftime("%H:%M") == "17:30"
    assert _mine(api, "station_handler@t3-mzs", case["id"])[0]["id"] == record["id"]
    assert _mine(api, "village_agent@t1-v1", case["id"]) == []
    api.call("GET", f"/api/v1/rectifications/{record['id']}", "village_agent@t1-v1", expect=404)
    assert api.call("GET", f"/api/v1/rectifications/{record['id']}", "station_handler@t3-mzs")["id"] == record["id"]

    # The inbox can list what each person has to see to: due date, unit and item.
    station = session.query(User).filter_by(username="station_handler@t3-mzs").one()
    todo = [r for r in open_rectifications_for(session, station) if r["case_id"] == case["id"]]
    assert [(r["due_at"], r["unit"], r["receipt_code"]) for r in todo] == [
        (record["due_at"], "t3-mzs", case["receipt_code"])
    ]

    # It is work in the inbox of the station and of the township's discipline committee, with its deadline.
    listed = (record["id"], record["due_at"])
    for user in ("station_handler@t3-mzs", "discipline_inspector@t3"):
        assert listed in _inbox_rectifications(api, user, "available")
    assert listed not in _inbox_rectifications(api, "village_agent@t1-v1", "available")

    # Closing needs the call-back's result; outsiders cannot close it; it closes once.
    path = f"/api/v1/rectifications/{record['id']}/close"
    refused = api.call("POST", path, "discipline_inspector@t3", {"callback_result": "  "}, expect=422)
    assert refused["errors"]["callback_result"]
    api.call("POST", path, "village_agent@t1-v1", {"callback_result": "已回访"}, expect=404)
    api.call("POST", path, "village_agent@t3-v1", {"callback_result": "已回访"}, expect=404)
    closed = api.call("POST", path, "discipline_inspector@t3", {"callback_result": "已回访,群众表示理解,补发到位"})
    assert closed["status"] == "closed" and closed["callback_result"] == "已回访,群众表示理解,补发到位"
    assert closed["closed_by"] == "discipline_inspector@t3" and closed["may_close"] is False
    api.call("POST", path, "supervisor@qx", {"callback_result": "再次回访"}, expect=409)
    assert [r for r in open_rectifications_for(session, station) if r["case_id"] == case["id"]] == []
    assert listed not in _inbox_rectifications(api, "station_handler@t3-mzs", "available")
    assert listed in _inbox_rectifications(api, "discipline_inspector@t3", "done")
    events = [e["type"] for e in api.call("GET", f"/api/v1/cases/{case['id']}", agent)["events"]]
    assert events[-2:] == ["resident_rated", "rectification_closed"]


def test_a_very_dissatisfied_rating_recorded_by_the_agent_opens_a_rectification_and_the_review(api):
    agent = "village_agent@t3-v3"
    case = api.open_case(agent, "temporary-aid", "t3-v3", materials=FULL)
    case, steps = api.run_to_end(
        case,
        answers={
            "handle_at_station": {"approved": False, "answer": "收入超过标准"},
            "reply_resident": {"rating": "very_dissatisfied", "comment": "标准没讲清楚"},
        },
    )
    assert ("supervisor_review", "supervisor@qx") in steps and case["status"] == "archived"
    assert (case["agent_rating"], case["resident_rating"]) == ("very_dissatisfied", None)
    [record] = _mine(api, "station_handler@t3-mzs", case["id"])
    assert (record["source"], record["rating"], record["comment"]) == ("agent", "very_dissatisfied", "标准没讲清楚")
    # The resident may still give their own rating; a second 差评 while one is open adds none.
    api.call(
        "POST",
        "/api/v1/public/rating",
        None,
        {"receipt": case["receipt_code"], "phone_last4": "1234", "rating": "dissatisfied"},
    )
    assert len(_mine(api, "supervisor@qx", case["id"])) == 1
    # The responsible unit itself may close it after calling back.
    closed = api.call(
        "POST",
        f"/api/v1/rectifications/{record['id']}/close",
        "station_handler@t3-mzs",
        {"callback_result": "上门解释了收入标准"},
    )
    assert closed["status"] == "closed"


def test_open_rectifications_past_their_due_date_count_in_supervision(api, session):
    case = api.open_case("village_agent@t2-v1", "temporary-aid", "t2-v1", phone="13800007777", materials=FULL)
    case, _ = api.run_to_end(case, answers={"reply_resident": {"rating": "dissatisfied"}})
    [record] = _mine(api, "supervisor@qx", case["id"])
    due = datetime.fromisoformat(record["due_at"])
    county, township = unit_by_code(session, "qx"), unit_by_code(session, "t2")
    before = overdue_rectifications(session, township, now=due - timedelta(minutes=1))
    after = overdue_rectifications(session, township, now=due + timedelta(minutes=1))
    assert after == before + 1
    assert overdue_rectifications(session, county, now=due + timedelta(minutes=1)) >= after
    assert overdue_rectifications(session, unit_by_code(session, "t1"), now=due + timedelta(minutes=1)) == (
        overdue_rectifications(session, unit_by_code(session, "t1"), now=due - timedelta(minutes=1))
    )
    figures = api.call("GET", "/api/v1/supervision/figures?unit=t2", "supervisor@qx")
    assert figures["rectifications_overdue"] == overdue_rectifications(session, township)  # counted as of now
