"""No code is ever shown to a person: the case page and a department's task page, in zh-CN and in
English, show names and labels (units, people, roles, statuses, event types), never their codes; the
case diagram's lanes come with their role names."""

import re

from engine.kernel.vocabulary import EventType, Role

from .test_api_case_context import _complete


def _visible(html: str) -> str:
    """The words on the page: no scripts, no tags, no attribute values."""
    html = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def _codes(text: str) -> list[str]:
    found = [c for c in ("qx-", "t1-", "@", "_agent", "department_handler") if c in text]
    found += [e.value for e in EventType if "_" in e.value and e.value in text]
    return found


def test_the_case_and_task_pages_show_names_not_codes_in_both_languages(api, login):
    case = api.open_case("village_agent@t1-v2", "house-building", "t1-v2")
    case, _ = api.run_to_end(case, until="handle_in_department")
    part = next(t for t in case["open_tasks"] if t["org_unit"] == "qx-nync")
    case = api.call(
        "POST", f"/api/v1/tasks/{part['id']}/return", "department_handler@qx-nync", {"reason": "不属本局职责"}
    )
    case = _complete(api, case, "resort_department", {"department": "qx-lyj", "note": "转林业局"})
    window = login("county_window@qx-window")
    department = login("department_handler@qx-zrzy")
    zrzy = next(t for t in case["open_tasks"] if t["org_unit"] == "qx-zrzy")
    for lang in ("", "?lang=en"):
        page = _visible(window.get(f"/cases/{case['id']}{lang}").get_data(as_text=True))
        assert _codes(page) == [], lang
        task = department.get(f"/tasks/{zrzy['id']}{lang}").get_data(as_text=True)
        panel = _visible(task[task.index('id="case-panel"') :])
        assert _codes(panel) == [], lang
    diagram = window.get(f"/cases/{case['id']}/diagram?lang=zh_CN").get_json()
    assert diagram["lanes"]["department_handler"] == Role.DEPARTMENT_HANDLER.zh
    assert window.get(f"/cases/{case['id']}/diagram?lang=en").get_json()["lanes"]["county_window"] == "County window"
