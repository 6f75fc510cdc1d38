"""Browser: an analyst test-runs a diagram from another modeler whose user task has no form and
whose manual task has no form either: the task page offers a generic form (complete, optional JSON
data), the test run's page a Done button for the manual step, and the run finishes with the data.
Screenshots in test-artifacts/."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

from .browser import logged_in_page, shot

pytestmark = pytest.mark.browser

XML = (Path(__file__).parent / "data" / "foreign_modeler.bpmn").read_text(encoding="utf-8")


def _save(base: str) -> int:
    login = urllib.request.Request(
        base + "/api/v1/auth/token",
        method="POST",
        headers={"Content-Type": "application/json"},
        data=json.dumps({"username": "analyst@qx", "password": "demo"}).encode(),
    )
    with urllib.request.urlopen(login, timeout=10) as response:
        token = json.loads(response.read())["token"]
    request = urllib.request.Request(
        base + "/api/v1/processes",
        method="POST",
        headers={"Content-Type": "application/xml", "Authorization": "Bearer " + token},
        data=XML.encode(),
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["version"]


def test_a_step_without_a_form_and_a_manual_step_are_done_from_the_pages(server, browser):
    version = _save(server)
    page = logged_in_page(browser, server, "analyst@qx", 1280, 900)
    page.goto(server + "/modeler")
    page.locator(f"#process-Permit form[action$='/Permit/{version}/test-run'] button").click()
    page.wait_for_selector("#run-status")
    run_page = page.url
    shot(page, "test-run-01-started")

    page.click("text=Review request")  # the open step, without a form
    page.wait_for_selector("#json-data")
    page.fill("#json-data", "[1, 2]")  # not an object: refused on the page, nothing done
    page.click("form.taskform button[type=submit]")
    page.wait_for_selector("p.error")
    assert "JSON" in page.text_content("p.error")
    page.fill("#json-data", '{"remark": "看过了"}')
    shot(page, "test-run-02-generic-form")
    page.click("form.taskform button[type=submit]")
    page.wait_for_load_state()

    page.goto(run_page)
    manual = page.locator("tr.wait-manual[data-element='File']")
    manual.wait_for()
    shot(page, "test-run-03-manual-step")
    manual.locator("button", has_text="完成").click()
    page.wait_for_selector("#run-finished")
    assert "看过了" in page.text_content("#run-data")
    shot(page, "test-run-04-finished")
    page.close()
