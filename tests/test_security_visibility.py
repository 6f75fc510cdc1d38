"""Resident data stays out of caches, and the process library and its test runs stay with the analysts and
administrators who use them (red team finding 12)."""

import pytest


def test_pages_and_api_answers_with_resident_data_are_never_cached(api, login):
    case = api.open_case("village_agent@t1-v1", "house-building", "t1-v1", materials=["户口簿"])
    agent = login("village_agent@t1-v1")
    for path in ("/inbox", f"/cases/{case['id']}"):
        response = agent.get(path)
        assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"], path
    token = {"Authorization": f"Bearer {api.token('village_agent@t1-v1')}"}
    answer = agent.application.test_client().get(f"/api/v1/cases/{case['id']}", headers=token)
    assert "no-store" in answer.headers["Cache-Control"]
    static = agent.get("/static/favicon.svg")
    assert "no-store" not in static.headers.get("Cache-Control", "")


@pytest.mark.parametrize("name", ["village_agent@t1-v1", "township_reception@t1", "supervisor@qx", "leader@qx"])
def test_only_analysts_and_administrators_list_the_process_library(api, name):
    api.call("GET", "/api/v1/processes", name, expect=403)


def test_analysts_and_administrators_list_the_process_library(api):
    assert any(p["key"] == "proxy_case" for p in api.call("GET", "/api/v1/processes", "analyst@qx"))
    assert any(p["key"] == "proxy_case" for p in api.call("GET", "/api/v1/processes", "admin"))


def test_the_test_village_staff_do_not_see_an_analysts_test_run(api):
    run = api.call(
        "POST",
        "/api/v1/processes/proxy_case/versions/1/test-runs",
        "analyst@qx",
        {"data": {"catalog_code": "temporary-aid", "village": "t1-v1"}},
        expect=201,
    )
    for name in ("village_agent@t1-v1", "township_reception@t1", "supervisor@qx"):
        api.call("GET", f"/api/v1/cases/{run['id']}", name, expect=404)
    assert api.call("GET", f"/api/v1/cases/{run['id']}", "analyst@qx")["id"] == run["id"]
    assert api.call("GET", f"/api/v1/cases/{run['id']}", "admin")["id"] == run["id"]
