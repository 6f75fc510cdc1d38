"""Browser: a village agent logs in, opens an item and sees it in the case list, against a real
gunicorn server on 127.0.0.1 (migrated and loaded with the demo county, as the README's run command does)."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine.settings import ROOT

from bench.servers import demo_server

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"]
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with demo_server(tmp_path_factory.mktemp("var")) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/test installs Debian's chromium")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def logged_in_page(browser, server: str, username: str, width: int = 1280, height: int = 900):
    """A new page logged in as `username` (password demo), on the inbox."""
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(server + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "demo")
    page.click("button[type=submit]")
    page.wait_for_url(server + "/inbox")
    return page


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_village_agent_logs_in_opens_an_item_and_sees_it_in_the_list(server, browser):
    page = browser.new_page(viewport={"width": 412, "height": 915})  # a village agent's phone
    page.goto(server + "/login")
    page.fill("input[name=username]", "village_agent@t1-v1")
    page.fill("input[name=password]", "demo")
    page.click("button[type=submit]")
    page.wait_for_url(server + "/inbox")
    _shot(page, "01-inbox-empty")

    page.click("text=新建代办")
    page.wait_for_url("**/cases/new")  # loaded, so htmx listens before the item is chosen
    page.select_option("select[name=catalog_code]", "house-building")
    page.wait_for_selector("#materials input[value='户口簿']")  # htmx loaded the checklist
    page.check("#materials input[value='户口簿']")
    page.fill("input[name=resident_name]", "孙桂兰")
    page.fill("input[name=resident_phone]", "13522223333")
    page.fill("textarea[name=summary]", "申请原址翻建住房")
    _shot(page, "02-intake")
    page.click("button:has-text('受理')")
    page.wait_for_selector("text=回执编号")
    receipt = page.text_content("dl.summary dd").strip()
    assert receipt.startswith("DB")
    page.wait_for_selector("#diagram[data-ready='1']")
    assert page.locator("#diagram .djs-element.active").count() >= 1  # the live diagram marks the open step
    _shot(page, "03-case")

    page.click("text=代办事项")
    row = page.locator("table.list tr", has_text=receipt)
    assert row.count() == 1 and "孙桂兰" in row.text_content() and "办理中" in row.text_content()
    _shot(page, "04-case-list")
    page.goto(server + "/inbox")
    assert page.locator("table.list tr", has_text=receipt).count() == 1
    page.close()
