"""Supervision pages and API as a supervisor, an inspector and an agent would use them: the figures of a
hand-computed township, overdue lists, quotas, call-backs, the monthly report in Excel and print."""

from io import BytesIO

import pytest
from openpyxl import load_workbook

from .conftest import csrf_token
from .oversight_data import add_case, november_town

NOV = "from=2026-11-01&to=2026-11-30"


@pytest.fixture
def town(session):
    return november_town(session)


def test_supervisor_dashboard_shows_the_figures_in_a_chart_and_a_table(login, town):
    page = login("supervisor@qx").get(f"/supervision/?unit={town.unit.code}&{NOV}&by=village")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'id="fig-opened">5<' in html and "80.0%" in html  # five opened, four closed
    assert "data-chart" in html and "vendor/echarts/echarts.min.js" in html
    assert "测试村1" in html and "66.7%" in html  # village 1: two of three closed
    english = login("supervisor@qx").get(f"/supervision/?unit={town.unit.code}&{NOV}&by=month&lang=en")
    assert english.status_code == 200 and "Completion rate" in english.get_data(as_text=True)
    bad = login("supervisor@qx").get(f"/supervision/?unit={town.unit.code}&by=weekday")
    assert bad.status_code == 422 and "分组方式不正确" in bad.get_data(as_text=True)


def test_agents_may_not_see_supervision_and_inspectors_stay_in_their_township(login, town, session):
    assert login("village_agent@t1-v1").get("/supervision/").status_code == 403
    inspector = login(town.users["inspector"].username)
    assert inspector.get("/supervision/?unit=t1").status_code == 403
    assert inspector.get("/supervision/?unit=nowhere").status_code == 404
    stale = add_case(session, town, 2, "a2", "temporary-aid", "2026-01-05 10:00", "2026-01-12 17:30")
    own = inspector.get(f"/supervision/late?which=overdue&unit={town.unit.code}").get_data(as_text=True)
    assert stale.receipt_code in own and town.users["a2"].display_name in own and "已超期" in own


def test_figures_api_keeps_the_numbers_of_the_engine(api, town):
    data = api.call("GET", f"/api/v1/supervision/figures?unit={town.unit.code}&{NOV}&by=category", "supervisor@qx")
    assert data["total"]["opened"] == 5 and data["total"]["on_time_rate"] == 0.75
    assert {r["key"]: r["opened"] for r in data["rows"]} == {"civil_affairs": 4, "housing_forestry": 1}
    api.call("GET", f"/api/v1/supervision/figures?unit={town.unit.code}&by=weekday", "supervisor@qx", expect=422)
    api.call("GET", f"/api/v1/supervision/figures?unit={town.unit.code}", "village_agent@t1-v1", expect=403)
    late = api.call("GET", f"/api/v1/supervision/late?unit={town.unit.code}&which=due_soon&per_page=5", "supervisor@qx")
    assert late["per_page"] == 5 and set(late) == {"items", "total", "page", "per_page"}


def test_call_backs_through_the_api_and_the_review_they_open(api, town):
    inspector = town.users["inspector"].username
    drawn = api.call(
        "POST",
        "/api/v1/supervision/callbacks/draw",
        inspector,
        {"unit": town.unit.code, "month": "2026-11", "seed": 11, "share": 1.0},
        expect=201,
    )
    # Closed in November: items 1, 2, 4 and 7 (item 5 closed on 1 December).
    assert drawn["total"] == 4 and all("****" in d["phone"] for d in drawn["items"])
    first = drawn["items"][0]["id"]
    done = api.call(
        "POST",
        f"/api/v1/supervision/callbacks/{first}/outcome",
        inspector,
        {"outcome": "dissatisfied", "note": "没人回电话"},
    )
    assert done["outcome"] == "dissatisfied" and done["phone"] == "13900001111"  # the caller needs the number
    api.call("POST", f"/api/v1/supervision/callbacks/{first}/outcome", inspector, {"outcome": "satisfied"}, expect=409)
    api.call(
        "POST",
        f"/api/v1/supervision/callbacks/{first}/outcome",
        "discipline_inspector@t1",
        {"outcome": "satisfied"},
        expect=404,
    )
    reviews = api.call("GET", f"/api/v1/supervision/reviews?unit={town.unit.code}&status=open", "supervisor@qx")
    assert reviews["total"] == 1 and reviews["items"][0]["reason"] == "没人回电话"
    pending = api.call("GET", f"/api/v1/supervision/callbacks?unit={town.unit.code}&status=pending", inspector)
    assert pending["total"] == 3


def test_call_back_page_records_the_outcome(login, town, api):
    inspector = town.users["inspector"].username
    drawn = api.call(
        "POST",
        "/api/v1/supervision/callbacks/draw",
        inspector,
        {"unit": town.unit.code, "month": "2026-11", "seed": 5},
        expect=201,
    )
    client = login(inspector)
    listing = client.get(f"/supervision/callbacks?unit={town.unit.code}").get_data(as_text=True)
    assert "139****1111" in listing and "13900001111" not in listing  # lists mask the phone
    url = f"/supervision/callbacks/{drawn['items'][0]['id']}"
    form = client.get(url).get_data(as_text=True)
    assert "13900001111" in form
    response = client.post(url, data={"csrf_token": csrf_token(form), "outcome": "satisfied", "note": "满意"})
    assert response.status_code == 302
    assert "已回访" in client.get(f"/supervision/callbacks?unit={town.unit.code}&status=done").get_data(as_text=True)


def test_quota_page_and_monthly_report_in_print_and_excel(login, town):
    client = login("supervisor@qx")
    quotas = client.get(f"/supervision/assessment?unit={town.unit.code}&month=2026-10").get_data(as_text=True)
    assert "未完成" in quotas and "quota-missed" in quotas  # one item in October: below a village agent's two
    assert 'aria-label="0">☆☆☆' in quotas
    assert 'title="2026-10-01 – 2026-10-31">1</span>' in quotas  # village agent 1's one October item
    printable = client.get(f"/supervision/monthly?unit={town.unit.code}&month=2026-11").get_data(as_text=True)
    assert "月度督查报告" in printable and "data-print" in printable
    response = client.get(f"/supervision/monthly.xlsx?unit={town.unit.code}&month=2026-11")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(BytesIO(response.data))
    summary = {row[0]: row[1] for row in book.worksheets[0].iter_rows(values_only=True)}
    assert summary["受理件数"] == 5 and summary["办结率"] == 0.8
    villages = list(book.worksheets[1].iter_rows(values_only=True))
    assert villages[1][2:5] == (3, 2, 1)  # village 1: opened, closed, closed on time
