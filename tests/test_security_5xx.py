"""Every hostile request the red team found answering 5xx is now a 400/422 with a field-level message
(finding 11): deeply nested JSON, dates at the ends of the calendar, non-finite numbers, arrays where
scalars belong, numbers beyond any column."""

import pytest

from .isolated_db import app, demo_db, own_database_url  # noqa: F401  (a fresh database per module)

EXTREME_DATES = ("0001-01-01", "9999-12-31", "0000-01-01", "99999-01-01")


def auth(api, user):
    return {"Authorization": f"Bearer {api.token(user)}"}


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [400, 5000, 200_000])
def test_deeply_nested_json_is_a_400_for_anyone_logged_in_or_not(client, api, depth):
    for path, headers in (
        ("/api/v1/auth/token", {}),
        ("/api/v1/cases", auth(api, "village_agent@t1-v1")),
        ("/api/v1/admin/users", auth(api, "admin")),
    ):
        response = client.post(path, data=nested(depth), content_type="application/json", headers=headers)
        assert response.status_code in (400, 422), (path, response.status_code)
        assert response.mimetype == "application/problem+json" and len(response.data) < 2000


@pytest.mark.parametrize("day", EXTREME_DATES)
def test_dates_at_the_ends_of_the_calendar_are_field_errors(client, api, day):
    headers = auth(api, "supervisor@qx")
    month = day[:-3]
    for path in (
        f"/api/v1/supervision/figures?unit=qx&from={day}&to={day}",
        f"/api/v1/supervision/figures?unit=qx&from=2026-01-01&to={day}",
        f"/api/v1/supervision/monthly?unit=qx&month={month}",
        f"/api/v1/supervision/monthly.xlsx?unit=qx&month={month}",
        f"/api/v1/supervision/assessment?unit=qx&month={month}",
        f"/api/v1/reports/summary?from={day}&to={day}",
        f"/api/v1/reports/summary?from=2026-01-01&to={day}",
    ):
        response = client.get(path, headers=headers)
        assert response.status_code in (200, 422), (path, response.status_code)
        if response.status_code == 422:
            assert response.json["errors"], path


@pytest.mark.parametrize("fee", ["NaN", "nan", "Infinity", "-inf", "1e999"])
def test_a_fee_that_is_not_a_finite_number_is_refused_and_the_catalog_stays_valid_json(client, api, fee):
    refused = api.call("POST", "/api/v1/admin/catalog/items/house-building", "admin", {"fee": fee}, expect=422)
    assert "fee" in refused["errors"]
    listed = client.get("/api/v1/catalog")
    assert listed.status_code == 200 and b"NaN" not in listed.data and b"Infinity" not in listed.data


def test_nested_arrays_where_task_ids_belong_are_a_422(api):
    for ids in ([[1]], [{"a": 1}], "1", [2**70], [None]):
        refused = api.call("POST", "/api/v1/window/dispatch", "county_window@qx-window", {"task_ids": ids}, expect=422)
        assert refused["errors"]


@pytest.mark.parametrize("village", [2**64, -(2**64), [1], {"a": 1}, 1.5, True])
def test_test_run_data_beyond_any_column_is_a_422(api, village):
    refused = api.call(
        "POST",
        "/api/v1/processes/proxy_case/versions/1/test-runs",
        "analyst@qx",
        {"data": {"catalog_code": "temporary-aid", "village": village}},
        expect=422,
    )
    assert refused["errors"]
