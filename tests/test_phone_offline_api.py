"""What the phone keeps for a day without a signal: GET /api/v1/phone/offline answers the catalog with its
materials, the agent's villages and only their households (phones masked), the agent's open tasks with their
forms and the items the agent opened, with the labels the app shows."""

AGENT = "village_agent@t1-v1"


def test_the_offline_bundle_holds_the_catalog_the_agents_villages_households_tasks_and_items(api):
    opened = api.open_case(AGENT, "temporary-aid", "t1-v1", name="褚离线包")
    bundle = api.call("GET", "/api/v1/phone/offline", AGENT)
    assert bundle["user"]["username"] == AGENT
    aid = next(i for i in bundle["catalog"] if i["code"] == "temporary-aid")
    assert "身份证" in aid["materials"]
    assert [v["code"] for v in bundle["villages"]] == ["t1-v1"]
    assert bundle["villages"][0]["may_open"] and bundle["villages"][0]["may_keep"]
    assert bundle["households"] and {h["village"] for h in bundle["households"]} == {"t1-v1"}
    assert all("****" in h["phone"] for h in bundle["households"] if h["phone"])
    assert opened["id"] in [c["id"] for c in bundle["opened"]]
    task = next(t for t in bundle["tasks"] if t["case_id"] == opened["id"])
    assert task["resident_name"] == "褚离线包" and isinstance(task["form"], dict)
    assert bundle["labels"]["outcome"]["answered"]["zh"]
    assert bundle["labels"]["status"][opened["status"]]["en"]


def test_another_villages_agent_keeps_none_of_these_households(api):
    bundle = api.call("GET", "/api/v1/phone/offline", "village_agent@t1-v2")
    assert {h["village"] for h in bundle["households"]} <= {"t1-v2"}
    api.call("GET", "/api/v1/phone/offline", None, expect=401)
