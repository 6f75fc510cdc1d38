"""Accessibility: axe-core (npm, pinned, served from web/static/vendor) finds no serious or critical violation
on the phone app's pages and on the main desktop pages of a village agent and the public portal."""

from __future__ import annotations

import pytest

from .browser import logged_in_page

pytestmark = pytest.mark.browser
AXE = "/static/vendor/axe-core/axe.min.js"
AGENT = "village_agent@t1-v1"
PHONE_PAGES = ["/m/", "/m/new", "/m/visit", "/m/households", "/m/progress", "/m/inbox"]
DESKTOP_PAGES = ["/inbox", "/cases/new", "/asking/", "/devices/", "/cases/"]
PUBLIC_PAGES = ["/login", "/public/", "/public/ask/"]


def serious_violations(page) -> list[str]:
    page.add_script_tag(url=AXE)  # served by Daiban itself, like every vendored library
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    assert len(result["passes"]) > 10  # the rules really ran on a real page
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_the_phone_app_pages_have_no_serious_accessibility_violations(browser, server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    page = context.new_page()
    page.goto(f"{server}/login?next=/m/sign-in")
    page.fill("input[name=username]", AGENT)
    page.fill("input[name=password]", "demo")
    page.click("button[type=submit]")
    page.wait_for_selector("body[data-ready='1']")
    found = {"/m/sign-in": serious_violations(page)}
    page.tap("#device-form button[type=submit]")
    page.wait_for_url(f"{server}/m/")
    for path in PHONE_PAGES:
        page.goto(server + path)
        page.wait_for_selector("body[data-ready='1']")
        found[path] = serious_violations(page)
    assert {p: v for p, v in found.items() if v} == {}
    context.close()


def test_the_main_desktop_pages_have_no_serious_accessibility_violations(browser, server):
    page = logged_in_page(browser, server, AGENT)
    found = {}
    for path in DESKTOP_PAGES:
        page.goto(server + path)
        found[path] = serious_violations(page)
    anonymous = browser.new_page()
    for path in PUBLIC_PAGES:
        anonymous.goto(server + path)
        found[path] = serious_violations(anonymous)
    assert {p: v for p, v in found.items() if v} == {}
