"""Browser: an administrator imports people from a sheet — a bad sheet shows its row errors and
writes nothing; the corrected sheet is previewed, imported, and the new agent can log in."""

from __future__ import annotations

import pytest

from .browser import logged_in_page, shot

pytestmark = pytest.mark.browser

BAD = (
    "用户名,姓名,角色,单位\nzhou.min,周敏,村级代办员,t2-v3\nadmin,重名的人,村级代办员,t2-v3\nwu.lei,吴磊,驾驶员,t2-v3\n"
)
GOOD = "用户名,姓名,角色,单位,密码\nzhou.min,周敏,村级代办员,t2-v3,zhou-min-2026\nwu.lei,吴磊,组级代办员,t2-v3-g1,\n"


def _sheet(text: str) -> dict:
    return {"name": "people.csv", "mimeType": "text/csv", "buffer": text.encode("utf-8")}


def test_admin_imports_people_from_a_sheet_after_a_preview(server, browser):
    page = logged_in_page(browser, server, "admin", 1280, 900)
    page.click("text=系统管理")
    page.click("text=人员")
    page.click("text=从表格导入")

    page.set_input_files("input[name=file]", _sheet(BAD))
    page.click("button:has-text('预览')")
    page.wait_for_selector("table.preview-rows")
    assert page.locator("tr.row-error").count() == 2
    assert "已被占用" in page.text_content("table.preview-rows")
    assert page.locator("button:has-text('导入全部')").count() == 0  # nothing can be written
    shot(page, "10-people-import-errors")

    page.set_input_files("input[name=file]", _sheet(GOOD))
    page.click("form.upload button")
    page.wait_for_selector("button:has-text('导入全部 2 行')")
    assert page.locator("tr.row-error").count() == 0
    shot(page, "11-people-import-preview")
    page.click("button:has-text('导入全部 2 行')")
    page.wait_for_selector("table.imported")
    rows = page.locator("table.imported tr", has_text="wu.lei")
    generated = rows.locator("code").text_content().strip()
    assert len(generated) >= 8
    shot(page, "12-people-imported")

    page.click("text=返回人员列表")
    page.fill("input[name=q]", "zhou")
    page.click("form.search button")
    assert page.locator("table.list tr", has_text="zhou.min").count() == 1

    agent = browser.new_page(viewport={"width": 412, "height": 915})
    agent.goto(server + "/login")
    agent.fill("input[name=username]", "wu.lei")
    agent.fill("input[name=password]", generated)
    agent.click("button[type=submit]")
    agent.wait_for_url(server + "/inbox")
    assert agent.locator("text=系统管理").count() == 0
    agent.close()
    page.close()
