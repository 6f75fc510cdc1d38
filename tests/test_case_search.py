"""Search (GET /api/v1/cases?q=): by receipt code, resident name, phone (full or last four digits)
and words of the request, only within what the caller may see, paginated."""

import uuid
from urllib.parse import urlencode


def _find(api, user: str, q: str, **extra) -> dict:
    return api.call("GET", "/api/v1/cases?" + urlencode({"q": q, **extra}), user)


def test_an_agent_finds_a_case_by_receipt_name_phone_and_request_words(api):
    tag = uuid.uuid4().hex[:6]
    name = f"欧阳{tag}"
    case = api.open_case("village_agent@t1-v1", "temporary-aid", "t1-v1", phone="13955557321", name=name)
    agent = "village_agent@t1-v1"
    for q in (case["receipt_code"], case["receipt_code"].lower(), name, name[:4], "13955557321"):
        found = _find(api, agent, q)
        assert case["id"] in [c["id"] for c in found["items"]], q
    last4 = _find(api, agent, f"7321 {tag}")  # the phone's last four digits and a fragment of the name
    assert [c["id"] for c in last4["items"]] == [case["id"]]
    item = last4["items"][0]
    assert item["resident"] == {"name": name, "phone": "139****7321"} and item["receipt_code"] == case["receipt_code"]
    assert _find(api, agent, f"{tag} 不相干的词")["total"] == 0  # every word must match
    assert _find(api, agent, "代办测试 " + tag)["total"] == 1  # a word of the request


def test_search_never_shows_what_the_caller_may_not_see_and_pages(api):
    tag = uuid.uuid4().hex[:6]
    opened = [
        api.open_case("village_agent@t2-v1", "temporary-aid", "t2-v1", name=f"检索{tag}{i}")["id"] for i in range(3)
    ]
    assert _find(api, "village_agent@t1-v1", tag)["total"] == 0  # another village's agent
    assert _find(api, "township_reception@t1", tag)["total"] == 0  # another township
    county = _find(api, "supervisor@qx", tag)
    assert county["total"] == 3
    first = _find(api, "village_agent@t2-v1", tag, per_page=2, page=1)
    second = _find(api, "village_agent@t2-v1", tag, per_page=2, page=2)
    assert first["total"] == second["total"] == 3 and len(first["items"]) == 2 and len(second["items"]) == 1
    assert {c["id"] for c in first["items"] + second["items"]} == set(opened)
    assert _find(api, "village_agent@t2-v1", "100%_")["total"] == 0  # LIKE wildcards are literal
    api.call("GET", "/api/v1/cases?status=nonsense", "village_agent@t2-v1", expect=422)


def test_the_top_bar_search_finds_the_case_on_the_items_page(api, login):
    tag = uuid.uuid4().hex[:6]
    case = api.open_case("village_agent@t3-v1", "temporary-aid", "t3-v1", name=f"搜索{tag}")
    agent = login("village_agent@t3-v1")
    page = agent.get("/cases?find=" + tag).get_data(as_text=True)  # the top bar's search box
    assert 'name="find"' in page and case["receipt_code"] in page and f"搜索{tag}" in page
    assert "没有符合条件的事项" in agent.get("/cases?q=不存在的词" + tag).get_data(as_text=True)


def test_a_search_counts_only_as_far_as_the_cap_and_still_pages_newest_first(api, monkeypatch):
    """A word in every case of a county must not count millions: the total stops at COUNT_CAP (1000; here
    1) or the end of the page asked for, and says one more while there is more."""
    import engine.store.paging as paging

    tag = uuid.uuid4().hex[:6]
    opened = [
        api.open_case("village_agent@t2-v2", "temporary-aid", "t2-v2", name=f"封顶{tag}{i}")["id"] for i in range(3)
    ]
    monkeypatch.setattr(paging, "COUNT_CAP", 1)
    pages = [_find(api, "village_agent@t2-v2", tag, per_page=1, page=n) for n in (1, 2, 3, 4)]
    assert [p["total"] for p in pages] == [2, 3, 3, 3]
    assert [c["id"] for p in pages for c in p["items"]] == sorted(opened, reverse=True)


def test_quotes_backslashes_and_wildcards_in_a_search_are_plain_text(api):
    """The words are written into the statement (so each search gets its own plan): quoted, never SQL."""
    tag = uuid.uuid4().hex[:6]
    name = f"王'五\\%_{tag}"
    case = api.open_case("village_agent@t3-v2", "temporary-aid", "t3-v2", name=name)
    for q in (name, f"'五\\%_{tag}", f"\\%_{tag}"):
        assert [c["id"] for c in _find(api, "village_agent@t3-v2", q)["items"]] == [case["id"]], q
    for q in (f"'; DROP TABLE cases; --{tag}", f"五%{tag}", f"王_五{tag}"):
        assert _find(api, "village_agent@t3-v2", q)["total"] == 0, q
