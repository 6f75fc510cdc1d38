"""问事 over the API: an agent registers a household, records a home visit whose needs are answered, opened as
an item and referred; a priority household past its visit period is an overdue visit; a resident's online
request reaches the village agent, who calls back and answers it; the resident looks it up by reference."""

from datetime import timedelta

from engine.asking import households
from engine.kernel.clock import utcnow

AGENT = "village_agent@t1-v1"
PUBLIC = {"REMOTE_ADDR": "10.21.0.1"}


def _household(api, agent=AGENT, village="t1-v1", **extra):
    body = {
        "village": village,
        "group": f"{village}-g1",
        "head_name": "王德顺",
        "phone": "13912345678",
        "members": [{"name": "李秀英", "relation": "配偶"}, "王小明"],
        "address": "王家湾12号",
        "tags": ["elderly_alone", "old_party_member"],
        **extra,
    }
    return api.call("POST", "/api/v1/households", agent, body, expect=201)


def test_an_agent_registers_a_household_that_only_its_village_township_and_supervisors_see(api):
    household = _household(api, head_name="赵登记")
    assert household["phone"] == "13912345678" and household["agent"] == AGENT
    assert household["visit_period_days"] == 15  # the shortest period of its tags
    assert household["members"][1] == {"name": "王小明", "relation": ""}

    listed = api.call("GET", "/api/v1/households?village=t1-v1&q=赵登记", AGENT)
    assert [h["id"] for h in listed["items"]] == [household["id"]] and listed["total"] == 1
    assert listed["items"][0]["phone"] == "139****5678"  # masked in lists
    assert api.call("GET", "/api/v1/households?tag=elderly_alone&q=赵登记", "township_reception@t1")["total"] == 1
    assert api.call("GET", "/api/v1/households?q=赵登记", "supervisor@qx")["total"] == 1
    assert api.call("GET", "/api/v1/households?q=赵登记", "village_agent@t1-v2")["total"] == 0
    assert api.call("GET", "/api/v1/households?q=赵登记", "department_handler@qx-mzj")["total"] == 0
    api.call("GET", f"/api/v1/households/{household['id']}", "village_agent@t1-v2", expect=404)
    one = api.call("GET", f"/api/v1/households/{household['id']}", "group_agent@t1-v1-g2")
    assert one["phone"] == "13912345678" and one["visits"] == []


def test_a_household_with_bad_fields_is_refused_naming_each_field(api):
    bad = api.call(
        "POST",
        "/api/v1/households",
        AGENT,
        {"village": "t1-v1", "group": "t1-v2-g1", "head_name": "", "phone": "12", "tags": ["rich"]},
        expect=422,
    )
    assert set(bad["errors"]) == {"group", "head_name", "phone", "tags"}
    assert bad["errors"]["tags"] == "未知的重点户类别"
    api.call("POST", "/api/v1/households", "village_agent@t1-v2", {"village": "t1-v1"}, expect=403)
    api.call("POST", "/api/v1/households", "department_handler@qx-mzj", {"village": "t1-v1"}, expect=403)


def test_a_home_visit_with_three_needs_answers_one_opens_an_item_and_refers_a_dispute(api):
    household = _household(api, head_name="钱三需")
    visit = api.call(
        "POST",
        "/api/v1/visits",
        AGENT,
        {
            "household_id": household["id"],
            "channel": "home_visit",
            "needs": [
                {"text": "问新农合缴费标准", "outcome": "answered", "answer": "今年每人380元,村里代收"},
                {"text": "想办低保", "outcome": "case", "catalog_code": "minimum-living-allowance"},
                {"text": "和邻居宅基地界线纠纷", "outcome": "referred", "reason": "转村调解员张主任调解"},
            ],
        },
        expect=201,
    )
    answered, opened, referred = visit["needs"]
    assert answered["case_id"] is None and answered["answer"] == "今年每人380元,村里代收"
    assert referred["reason"] == "转村调解员张主任调解" and referred["catalog_code"] == "civil-dispute-mediation"
    mediation = api.call("GET", f"/api/v1/cases/{referred['case_id']}", AGENT)
    steps = []
    # The dispute came without papers: the agent accepts it with them to follow (容缺受理).
    catalog = api.call("GET", "/api/v1/catalog", AGENT)
    needed = next(
        c
        for c in (catalog["items"] if isinstance(catalog, dict) else catalog)
        if c["code"] == "civil-dispute-mediation"
    )["materials"]
    tolerated = {
        "materials_complete": True,
        "tolerated": True,
        "tolerated_materials": needed,
        "promised_by": "2099-12-31",
    }
    while mediation["open_tasks"] and not any(t["org_unit"] == "t1-sfs" for t in mediation["open_tasks"]):
        mediation, step = api.step(mediation, {"accept_item": tolerated})
        steps.append(step)
    # the dispute reaches the township's mediation officer (the justice station) as a task of theirs
    officer = next(t for t in mediation["open_tasks"] if t["org_unit"] == "t1-sfs")
    assert officer["role"] == "station_handler" and len(steps) <= 3
    case = api.call("GET", f"/api/v1/cases/{opened['case_id']}", AGENT)
    assert case["catalog_code"] == "minimum-living-allowance" and case["status"] == "open"
    origin = api.call("GET", f"/api/v1/cases/{opened['case_id']}/origin", AGENT)["origin"]
    assert origin["source"] == "visit" and origin["household_id"] == household["id"]
    assert origin["head_name"] == "钱三需" and origin["need"] == "想办低保"

    after = api.call("GET", f"/api/v1/households/{household['id']}", AGENT)
    assert after["last_visited_at"] is not None and [v["id"] for v in after["visits"]] == [visit["id"]]
    diary = api.call("GET", "/api/v1/visits?village=t1-v1", AGENT)["items"]
    assert visit["id"] in [v["id"] for v in diary]
    assert api.call("GET", "/api/v1/visits?village=t1-v1", "village_agent@t1-v2")["total"] == 0


def test_a_need_without_its_answer_or_reason_records_nothing(api):
    household = _household(api, head_name="孙缺理")
    before = api.call("GET", "/api/v1/visits?village=t1-v1&per_page=1", AGENT)["total"]
    bad = api.call(
        "POST",
        "/api/v1/visits",
        AGENT,
        {
            "household_id": household["id"],
            "channel": "carrier_pigeon",
            "at": "2099-01-01T09:00:00+08:00",
            "needs": [
                {"text": "问政策", "outcome": "answered"},
                {"text": "办事", "outcome": "case", "catalog_code": "no-such-item"},
                {"text": "不合规", "outcome": "declined"},
                {"text": "", "outcome": "maybe"},
            ],
        },
        expect=422,
    )
    assert set(bad["errors"]) == {
        "channel",
        "at",
        "needs.0.answer",
        "needs.1.catalog_code",
        "needs.2.reason",
        "needs.3.text",
        "needs.3.outcome",
    }
    assert api.call("GET", "/api/v1/visits?village=t1-v1&per_page=1", AGENT)["total"] == before
    api.call("POST", "/api/v1/visits", AGENT, {"household_id": 10**9, "needs": []}, expect=404)


def test_a_retried_visit_with_the_same_idempotency_key_is_recorded_once(api, client):
    household = _household(api, head_name="周重试")
    headers = {"Authorization": f"Bearer {api.token(AGENT)}", "Idempotency-Key": f"visit-{household['id']}"}
    body = {
        "household_id": household["id"],
        "channel": "phone",
        "needs": [{"text": "补办户口本", "outcome": "case", "catalog_code": "other-inquiry"}],
    }
    first = client.post("/api/v1/visits", json=body, headers=headers)
    again = client.post("/api/v1/visits", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and first.json["needs"][0]["case_id"]
    other = client.post("/api/v1/visits", json={**body, "channel": "walk_in"}, headers=headers)
    assert other.status_code == 422 and "Idempotency-Key" in other.json["errors"]
    visits = api.call("GET", f"/api/v1/households/{household['id']}", AGENT)["visits"]
    assert [v["id"] for v in visits] == [first.json["id"]]


def test_a_priority_household_past_its_period_is_an_overdue_visit(api, session, user):
    long_ago = utcnow() - timedelta(days=40)
    late = households.register_household(
        session,
        user("village_agent@t2-v1"),
        {"village": "t2-v1", "head_name": "吴五保", "phone": "13700000001", "tags": ["five_guarantee"]},
        now=long_ago,
    )
    fresh = _household(api, "village_agent@t2-v1", "t2-v1", head_name="郑新户", tags=["five_guarantee"])
    plain = _household(api, "village_agent@t2-v1", "t2-v1", head_name="冯普通", tags=[])
    due = api.call("GET", "/api/v1/visits/due?village=t2-v1&per_page=100", "village_agent@t2-v1")["items"]
    by_id = {d["household"]["id"]: d for d in due}
    assert by_id[late.id]["overdue"] is True and by_id[late.id]["period_days"] == 30
    assert by_id[fresh["id"]]["overdue"] is False and plain["id"] not in by_id
    inbox = api.call("GET", "/api/v1/tasks?scope=overdue", "village_agent@t2-v1")["items"]
    visit_entry = next(e for e in inbox if e.get("household_id") == late.id)
    assert visit_entry["kind"] == "visit" and visit_entry["due_state"] == "overdue"
    assert fresh["id"] not in [e.get("household_id") for e in inbox]
    overdue = api.call("GET", "/api/v1/visits/due?village=t2-v1&overdue=1", "supervisor@qx")["items"]
    assert late.id in [d["household"]["id"] for d in overdue] and fresh["id"] not in [
        d["household"]["id"] for d in overdue
    ]

    for overseer, sees in (
        ("supervisor@qx", True),
        ("discipline_inspector@t2", True),
        ("discipline_inspector@t1", False),
    ):
        overdue_work = api.call("GET", "/api/v1/tasks?scope=overdue&per_page=100", overseer)["items"]
        assert (f"visit-{late.id}" in [e["id"] for e in overdue_work]) is sees, (
            overseer
        )  # a missed visit reaches supervision
    api.call("POST", "/api/v1/visits", "village_agent@t2-v1", {"household_id": late.id, "needs": []}, expect=201)
    due = api.call("GET", "/api/v1/visits/due?village=t2-v1&overdue=1", "village_agent@t2-v1")["items"]
    assert late.id not in [d["household"]["id"] for d in due]
    inbox = api.call("GET", "/api/v1/tasks?scope=overdue", "village_agent@t2-v1")["items"]
    assert late.id not in [e.get("household_id") for e in inbox]


def test_a_residents_online_request_is_called_back_and_looked_up_by_reference(api, client):
    sent = client.post(
        "/api/v1/public/requests",
        json={"name": "陈大妈", "phone": "13611112222", "village": "t1-v2", "text": "想问问残疾证怎么办"},
        environ_base=PUBLIC,
    )
    assert sent.status_code == 201
    reference = sent.json["reference"]
    inbox = api.call("GET", "/api/v1/tasks", "village_agent@t1-v2")["items"]
    entry = next(e for e in inbox if e.get("reference") == reference)
    assert entry["kind"] == "inquiry" and entry["case_id"] is None and entry["text"] == "想问问残疾证怎么办"
    assert reference in [
        e.get("reference") for e in api.call("GET", "/api/v1/tasks?scope=available", "village_agent@t1-v2")["items"]
    ]
    assert reference not in [e.get("reference") for e in api.call("GET", "/api/v1/tasks", AGENT)["items"]]
    waiting = api.call("GET", "/api/v1/requests?status=awaiting_callback&village=t1-v2", "village_agent@t1-v2")
    request = next(r for r in waiting["items"] if r["reference"] == reference)
    assert request["text"] == "想问问残疾证怎么办" and request["due_at"] > request["submitted_at"]
    assert api.call("GET", "/api/v1/requests?village=t1-v2", AGENT)["total"] == 0  # another village's agent

    lookup = client.get(f"/api/v1/public/requests/{reference}?phone_last4=2222", environ_base=PUBLIC)
    assert lookup.status_code == 200 and lookup.json["status"] == "awaiting_callback"
    assert client.get(f"/api/v1/public/requests/{reference}?phone_last4=0000", environ_base=PUBLIC).status_code == 404

    path = f"/api/v1/requests/{request['id']}/answer"
    api.call("POST", path, AGENT, {"outcome": "answered", "answer": "x"}, expect=404)
    api.call("POST", path, "village_agent@t1-v2", {"outcome": "declined"}, expect=422)
    answered = api.call(
        "POST", path, "village_agent@t1-v2", {"outcome": "case", "catalog_code": "disability-certificate"}
    )
    assert answered["status"] == "called_back" and answered["case_id"] and answered["contacted_at"]
    api.call("POST", path, "village_agent@t1-v2", {"outcome": "answered", "answer": "again"}, expect=409)
    origin = api.call("GET", f"/api/v1/cases/{answered['case_id']}/origin", "village_agent@t1-v2")["origin"]
    assert origin == {"source": "request", "request_id": request["id"], "reference": reference, "text": request["text"]}

    inbox = api.call("GET", "/api/v1/tasks", "village_agent@t1-v2")["items"]
    assert reference not in [e.get("reference") for e in inbox]  # called back: out of the inbox
    lookup = client.get(f"/api/v1/public/requests/{reference}?phone_last4=2222", environ_base=PUBLIC).json
    assert lookup["status"] == "called_back" and lookup["outcome"] == "case" and lookup["receipt_code"]


def test_a_public_request_with_missing_fields_names_them(client):
    bad = client.post("/api/v1/public/requests", json={"village": "qx-mzj", "phone": "x"}, environ_base=PUBLIC)
    assert bad.status_code == 422 and set(bad.json["errors"]) == {"name", "phone", "village", "text"}


def test_every_demo_village_has_a_household_of_every_priority_tag(api):
    from engine.asking.tags import tags

    villages = [u["code"] for u in api.call("GET", "/api/v1/org/units", "supervisor@qx") if u["kind"] == "village"]
    assert villages
    for village in villages:
        listed = api.call("GET", f"/api/v1/households?village={village}&per_page=100", "supervisor@qx")["items"]
        assert set(tags()) <= {t for h in listed for t in h["tags"]}, village


def test_supervision_counts_visits_per_agent_priority_coverage_needs_by_outcome_and_call_back_time(
    api, client, session, user
):
    agent = "village_agent@t2-v3"
    long_ago = utcnow() - timedelta(days=45)
    for name in ("卫已访", "蒋未访"):
        households.register_household(
            session,
            user(agent),
            {"village": "t2-v3", "head_name": name, "phone": "13700000002", "tags": ["poor"]},
            now=long_ago,
        )
    before = api.call("GET", "/api/v1/reports/asking?unit=t2", "supervisor@qx")
    visited = api.call("GET", "/api/v1/households?village=t2-v3&q=卫已访", agent)["items"][0]
    api.call(
        "POST",
        "/api/v1/visits",
        agent,
        {"household_id": visited["id"], "needs": [{"text": "问补贴", "outcome": "declined", "reason": "不符合条件"}]},
        expect=201,
    )
    sent = client.post(
        "/api/v1/public/requests",
        json={"name": "沈", "phone": "13600003333", "village": "t2-v3", "text": "问路灯"},
        environ_base=PUBLIC,
    ).json
    request_id = next(
        r["id"]
        for r in api.call("GET", "/api/v1/requests?village=t2-v3", agent)["items"]
        if r["reference"] == sent["reference"]
    )
    api.call("POST", f"/api/v1/requests/{request_id}/answer", agent, {"outcome": "answered", "answer": "已报修"})

    after = api.call("GET", "/api/v1/reports/asking?unit=t2", "supervisor@qx")
    row = next(a for a in after["visits_per_agent"] if a["agent"] == agent)
    old = next(a for a in before["visits_per_agent"] if a["agent"] == agent)
    assert row["visits"] == old["visits"] + 1 and row["quota"] == 8 and row["met"] is (row["visits"] >= 8)
    assert after["needs_by_outcome"]["declined"] == before["needs_by_outcome"]["declined"] + 1
    assert after["needs_by_outcome"]["answered"] == before["needs_by_outcome"]["answered"] + 1
    assert after["priority"]["households_due"] == before["priority"]["households_due"]
    assert after["priority"]["visited_in_period"] == before["priority"]["visited_in_period"] + 1
    assert after["requests"]["called_back"] == before["requests"]["called_back"] + 1
    assert after["requests"]["median_hours_to_contact"] is not None
    api.call("GET", "/api/v1/reports/asking?unit=t2", agent, expect=403)
    api.call("GET", "/api/v1/reports/asking?month=2026-13", "supervisor@qx", expect=422)
    unvisited = api.call("GET", "/api/v1/households?village=t2-v3&q=蒋未访", agent)["items"][0]
    api.call("POST", "/api/v1/visits", agent, {"household_id": unvisited["id"], "needs": []}, expect=201)
    # visited now: no overdue visit is left behind in the agent's inbox for other scenarios
    assert unvisited["id"] not in [e.get("household_id") for e in api.call("GET", "/api/v1/tasks", agent)["items"]]


def test_an_agent_corrects_a_household_and_only_a_real_change_is_recorded(api):
    household = _household(api, head_name="秦改前", tags=["poor"])
    changed = api.call(
        "PATCH",
        f"/api/v1/households/{household['id']}",
        AGENT,
        {"phone": "13912340000", "tags": ["poor", "seriously_ill"], "group": "t1-v1-g2"},
    )
    assert changed["phone"] == "13912340000" and changed["tags"] == ["poor", "seriously_ill"]
    assert changed["group"] == "t1-v1-g2" and changed["head_name"] == "秦改前" and changed["agent"] == AGENT
    api.call("PATCH", f"/api/v1/households/{household['id']}", AGENT, {"phone": "1"}, expect=422)
    api.call(
        "PATCH", f"/api/v1/households/{household['id']}", "village_agent@t1-v2", {"phone": "13900000000"}, expect=404
    )
    same = api.call("PATCH", f"/api/v1/households/{household['id']}", AGENT, {"phone": "13912340000"})
    assert same == changed
