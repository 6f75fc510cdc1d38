"""容缺受理 follow-up: when the date the resident promised the missing materials by passes with them still
missing, the worker's sweep flags the item, tells the first-ask agent and supervision lists it; supplying
the materials (a scan of each attached to the item) clears it. On SQLite and PostgreSQL."""

from datetime import UTC, datetime, timedelta

from engine.cases.attachments import add_attachment
from engine.cases.promises import flag_broken_promises
from engine.store.calendar import TZ
from engine.store.models import Case, User

AID = ["身份证", "户口簿", "临时救助申请书", "困难情况证明材料"]
PDF = b"%PDF-1.4\n% scanned\n"


def _accept_with_materials_to_follow(api, village: str) -> tuple[dict, str]:
    case = api.open_case(f"village_agent@{village}", "temporary-aid", village, materials=AID[:2])
    accept = next(t for t in case["open_tasks"] if t["task"] == "accept_item")
    by = (datetime.now(TZ).date() + timedelta(days=2)).isoformat()
    data = {
        "materials_complete": False,
        "commission_signed": True,
        "tolerated": True,
        "tolerated_materials": AID[2:],
        "promised_by": by,
    }
    case = api.call("POST", f"/api/v1/tasks/{accept['id']}/complete", f"village_agent@{village}", {"data": data})
    return case, by


def test_late_promised_materials_are_flagged_told_and_listed_until_supplied(api, session, tmp_path):
    case, by = _accept_with_materials_to_follow(api, "t1-v2")
    assert case["materials_promised_by"] == by and case["materials_promise_broken"] is False

    # Not yet late: the promised day itself is still in time.
    on_the_day = datetime.fromisoformat(by).replace(hour=20, tzinfo=TZ).astimezone(UTC)
    flag_broken_promises(session, on_the_day)
    assert api.call("GET", f"/api/v1/cases/{case['id']}", "village_agent@t1-v2")["materials_promise_broken"] is False

    later = on_the_day + timedelta(days=1)
    assert flag_broken_promises(session, later) >= 1
    flag_broken_promises(session, later + timedelta(hours=1))  # a second sweep flags nothing again
    seen = api.call("GET", f"/api/v1/cases/{case['id']}", "village_agent@t1-v2")
    assert seen["materials_promise_broken"] is True
    assert [e["type"] for e in seen["events"]].count("materials_promise_broken") == 1  # flagged once
    told = [
        n
        for n in api.call("GET", "/api/v1/notifications?per_page=100", "village_agent@t1-v2")["items"]
        if n["case_id"] == case["id"] and n["kind"] == "materials_overdue"
    ]
    assert len(told) == 1 and case["receipt_code"] in told[0]["text"] and by in told[0]["text"]
    late = api.call("GET", "/api/v1/supervision/late?which=materials_late&unit=t1&per_page=100", "supervisor@qx")
    [row] = [r for r in late["items"] if r["id"] == case["id"]]
    assert row["materials_missing"] == AID[2:] and row["materials_promised_by"] == by
    api.call("GET", "/api/v1/supervision/late?which=nonsense", "supervisor@qx", expect=422)

    # The township holds the open step; scans of the promised materials put them on file.
    holder = session.query(User).filter_by(username="township_reception@t1").one()
    add_attachment(session, holder, case["id"], AID[2], "a.pdf", PDF, tmp_path)
    still = api.call("GET", f"/api/v1/cases/{case['id']}", "village_agent@t1-v2")
    assert still["materials_promise_broken"] is True and AID[2] in still["materials_provided"]
    add_attachment(session, holder, case["id"], AID[3], "b.pdf", PDF, tmp_path)
    done = api.call("GET", f"/api/v1/cases/{case['id']}", "village_agent@t1-v2")
    assert done["materials_promise_broken"] is False and done["materials_promised_by"] is None
    assert done["materials_provided"] == AID
    late = api.call("GET", "/api/v1/supervision/late?which=materials_late&unit=t1&per_page=100", "supervisor@qx")
    assert case["id"] not in [r["id"] for r in late["items"]]
    session.expire_all()
    assert session.get(Case, case["id"]).materials_promise_broken_at is None
