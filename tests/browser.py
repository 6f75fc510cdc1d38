"""Browser-test support: a real gunicorn server with the demo county and Debian's Chromium, one of
each per test module (registered as a pytest plugin by conftest.py), and helpers for pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.servers import demo_server
from engine.kernel.settings import ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
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


def shot(page, name: str) -> None:
    """A full-page screenshot in test-artifacts/ for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
