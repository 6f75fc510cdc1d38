"""The test run's page: the analyst starts a run from the library, sees what it waits on, sends
the message it waits for and sees the run finish with its data; a failing diagram names its element."""

from pathlib import Path

from .analyst import save_process
from .conftest import csrf_token

DATA = Path(__file__).parent / "data"


def _upload(client, api, xml: str) -> int:
    return save_process(client, api, xml)["version"]


def test_the_analyst_drives_a_waiting_test_run_from_its_page(client, api, login):
    version = _upload(client, api, (DATA / "constructs" / "message_catch.bpmn").read_text(encoding="utf-8"))
    analyst = login("analyst@qx")
    library = analyst.get("/modeler").get_data(as_text=True)
    assert "测试运行" in library
    started = analyst.post(f"/modeler/c_message_catch/{version}/test-run", data={"csrf_token": csrf_token(library)})
    assert started.status_code == 302
    page = analyst.get(started.headers["Location"]).get_data(as_text=True)
    assert "正在等待" in page and "等待批复" in page and "消息" in page and "approved" in page
    assert "办理中" in page
    sent = analyst.post(
        started.headers["Location"] + "/events",
        data={"csrf_token": csrf_token(page), "kind": "message", "name": "approved", "payload": '{"by": "县局"}'},
    )
    assert sent.status_code == 302
    page = analyst.get(started.headers["Location"]).get_data(as_text=True)
    assert "流程已运行到结束" in page and "已归档" in page and "正在等待" not in page
    assert "&#34;outcome&#34;: &#34;approved&#34;" in page or '"outcome": "approved"' in page
    english = analyst.get(started.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert "The workflow reached its end." in english
    # Someone else's test run is not found.
    assert login("village_agent@t1-v1").get(started.headers["Location"]).status_code == 404


def test_a_failing_test_run_shows_the_element_that_failed(client, api, login):
    xml = (DATA / "failing_script.bpmn").read_text(encoding="utf-8")
    xml = xml.replace('id="subsidy_share"', 'id="subsidy_page"').replace(
        'targetRef="accept_item" />', 'targetRef="compute_share" />', 1
    )
    version = _upload(client, api, xml)
    analyst = login("analyst@qx")
    library = analyst.get("/modeler").get_data(as_text=True)
    started = analyst.post(f"/modeler/subsidy_page/{version}/test-run", data={"csrf_token": csrf_token(library)})
    page = analyst.get(started.headers["Location"]).get_data(as_text=True)
    assert "运行出错" in page and "计算补贴份额" in page and "compute_share" in page
    assert "unknown variable: materials_complete" in page
