"""The village agent's phone app (/m/) in Debian's Chromium, phone-sized with touch: it installs its service
worker, opens with no network, queues a new item with a photo and a visit while offline and sends both
exactly once when the network returns; an answer lost on the way back makes the retry create nothing new;
a record the server refuses shows `failed` with the reason and is sent after correction; signing out asks
before it deletes what was not sent."""

from __future__ import annotations

import io
import os
import sqlite3

import pytest
from PIL import Image
from playwright.sync_api import expect

from bench.servers import demo_server

from .browser import shot

pytestmark = pytest.mark.browser
AGENT = "village_agent@t1-v1"
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True, "device_scale_factor": 2}


@pytest.fixture(scope="module")
def phone_server(tmp_path_factory):
    var = tmp_path_factory.mktemp("var")
    with demo_server(var) as base:
        yield base, var / "daiban.sqlite3"


def count(db, sql, *args) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchone()[0]


def photo() -> bytes:
    """A camera-sized picture larger than the server's 3 MB cap: the phone must compress it."""
    image = Image.frombytes("RGB", (2400, 1800), os.urandom(2400 * 1800 * 3))
    out = io.BytesIO()
    image.save(out, "PNG")
    assert out.tell() > 3 * 1024 * 1024
    return out.getvalue()


def signed_in_phone(browser, base, **options):
    context = browser.new_context(**PHONE, **options)
    page = context.new_page()
    page.goto(f"{base}/login?next=/m/sign-in")
    page.fill("input[name=username]", AGENT)
    page.fill("input[name=password]", "demo")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/m/sign-in")
    page.wait_for_selector("body[data-ready='1']")
    page.tap("#device-form button[type=submit]")
    page.wait_for_url(f"{base}/m/")
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_selector("#who:not([hidden])")
    return context, page


def fill_new_item(page, base, name, phone="13800002222", with_photo=True, every_material=False):
    page.goto(f"{base}/m/new")
    page.wait_for_selector("body[data-ready='1']")
    page.select_option("select[name=catalog_code]", "temporary-aid")
    page.fill("input[name=resident_name]", name)
    page.fill("input[name=resident_phone]", phone)
    page.select_option("select[name=resident_village]", "t1-v1")
    page.fill("textarea[name=summary]", "家中失火,申请临时救助")
    page.check("input[name=materials_provided][value=户口簿]")
    if every_material:
        for box in page.locator("input[name=materials_provided]").all():
            box.check()
    if with_photo:
        page.select_option("select[name=photo_material]", "身份证")
        page.set_input_files("#photo", files=[{"name": "id.png", "mimeType": "image/png", "buffer": photo()}])
        page.wait_for_selector("#photo-list li")


def submit(page, base):
    page.tap("#main form button[type=submit]")
    page.wait_for_url(f"{base}/m/")
    page.wait_for_selector("body[data-ready='1']")


def test_offline_item_with_photo_and_visit_are_sent_once_when_the_network_returns(browser, phone_server):
    base, db = phone_server
    context, page = signed_in_phone(browser, base)
    # The service worker is installed and controls the app, its shell kept.
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    assert page.evaluate("navigator.serviceWorker.controller !== null")
    assert page.evaluate(
        "caches.keys().then(k => Promise.all(k.map(n => caches.open(n).then(c => c.match('/m/new')))))"
    )

    context.set_offline(True)
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    assert page.locator("h1").inner_text() == "本机记录"
    assert page.locator("#net").get_attribute("data-online") == "0"

    fill_new_item(page, base, "卫离线")
    submit(page, base)
    page.goto(f"{base}/m/households")
    page.wait_for_selector("#household-list li a.button")
    household = int(page.locator("#household-list li a.button").first.get_attribute("href").split("=")[1])
    page.locator("#household-list li a.button").first.tap()
    page.wait_for_selector("body[data-ready='1']")
    page.fill("textarea[name=need_text]", "问新农合怎么续缴")
    page.fill("textarea[name=need_result]", "已告知到村委会缴纳")
    submit(page, base)
    assert page.locator("li.record[data-state=queued]").count() == 2
    # Chromium has Background Sync: the service worker will also send them when the network returns.
    assert page.evaluate("navigator.serviceWorker.ready.then(r => r.sync.getTags())") == ["daiban-outbox"]
    shot(page, "phone-queued-offline")
    visits_before = count(db, "SELECT count(*) FROM visits WHERE household_id = ?", household)
    assert count(db, "SELECT count(*) FROM cases WHERE resident_name = '卫离线'") == 0

    context.set_offline(False)
    page.wait_for_selector("li.record[data-kind=case][data-state=sent]", timeout=30000)
    page.wait_for_selector("li.record[data-kind=visit][data-state=sent]", timeout=30000)
    shot(page, "phone-sent")
    assert count(db, "SELECT count(*) FROM cases WHERE resident_name = '卫离线'") == 1
    case_id = count(db, "SELECT id FROM cases WHERE resident_name = '卫离线'")
    assert count(db, "SELECT count(*) FROM attachments WHERE case_id = ? AND material = '身份证'", case_id) == 1
    assert count(db, "SELECT max(size) FROM attachments WHERE case_id = ?", case_id) <= 3 * 1024 * 1024
    assert count(db, "SELECT count(*) FROM visits WHERE household_id = ?", household) == visits_before + 1
    # Reopening the app sends nothing again.
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    assert count(db, "SELECT count(*) FROM cases WHERE resident_name = '卫离线'") == 1
    assert count(db, "SELECT count(*) FROM visits WHERE household_id = ?", household) == visits_before + 1
    context.close()


def test_an_answer_lost_on_the_way_back_is_retried_without_a_second_item(browser, phone_server):
    base, db = phone_server
    # No service worker here: page.route sees every request of the page.
    context, page = signed_in_phone(browser, base, service_workers="block")
    reached = []

    def lose_the_answer(route):
        route.fetch()  # the server receives the request and opens the item ...
        reached.append(route.request.headers.get("idempotency-key"))
        route.abort("connectionreset")  # ... and the phone never hears back

    page.route("**/api/v1/cases", lose_the_answer)
    fill_new_item(page, base, "蒋断网", with_photo=False)
    submit(page, base)
    page.wait_for_function("document.querySelector('li.record[data-kind=case]')?.dataset.state === 'queued'")
    assert len(reached) == 1 and reached[0]
    assert count(db, "SELECT count(*) FROM cases WHERE resident_name = '蒋断网'") == 1

    page.unroute("**/api/v1/cases")
    page.tap("#send-now")
    page.wait_for_selector("li.record[data-kind=case][data-state=sent]", timeout=30000)
    assert count(db, "SELECT count(*) FROM cases WHERE resident_name = '蒋断网'") == 1
    case_id = count(db, "SELECT id FROM cases WHERE resident_name = '蒋断网'")
    receipt = page.locator("li.record[data-kind=case] .meta").last.inner_text()
    code = sqlite3.connect(db).execute("SELECT receipt_code FROM cases WHERE id = ?", (case_id,)).fetchone()[0]
    assert code in receipt
    context.close()


def test_a_refused_record_shows_failed_with_the_reason_and_is_sent_after_correction(browser, phone_server):
    base, db = phone_server
    context, page = signed_in_phone(browser, base, service_workers="block")
    fill_new_item(page, base, "沈改号", phone="12345", with_photo=False)
    submit(page, base)
    failed = page.locator("li.record[data-state=failed]")
    failed.wait_for(timeout=30000)
    assert "电话" in failed.locator(".reason").inner_text()
    shot(page, "phone-failed")
    assert count(db, "SELECT count(*) FROM cases WHERE resident_name = '沈改号'") == 0

    failed.locator("a.button").tap()
    page.wait_for_selector("body[data-ready='1']")
    assert page.input_value("input[name=resident_name]") == "沈改号"
    page.fill("input[name=resident_phone]", "13800003333")
    submit(page, base)
    page.wait_for_selector("li.record[data-kind=case][data-state=sent]", timeout=30000)
    assert page.locator("li.record").count() == 1
    assert (
        count(db, "SELECT count(*) FROM cases WHERE resident_name = '沈改号' AND resident_phone = '13800003333'") == 1
    )
    context.close()


def test_signing_out_asks_before_deleting_records_not_yet_sent(browser, phone_server):
    base, db = phone_server
    context, page = signed_in_phone(browser, base, service_workers="block")
    page.route("**/api/v1/cases", lambda route: route.abort())  # the server cannot be reached: it stays queued
    fill_new_item(page, base, "韩未发", with_photo=False)
    submit(page, base)
    page.wait_for_selector("li.record[data-state=queued]")
    page.tap("#logout")
    expect(page.locator("#logout-warning")).to_contain_text("1")  # counted from IndexedDB, a moment later
    page.tap("#logout-cancel")
    assert page.locator("li.record[data-state=queued]").count() == 1

    page.tap("#logout")
    page.tap("#logout-confirm")
    page.wait_for_selector("#signin:not([hidden])")
    assert page.locator("li.record").count() == 0
    assert count(db, "SELECT count(*) FROM cases WHERE resident_name = '韩未发'") == 0
    assert count(db, "SELECT count(*) FROM device_tokens WHERE revoked_at IS NOT NULL") >= 1
    context.close()


def test_a_task_form_drawn_on_the_phone_completes_the_step(browser, phone_server):
    base, db = phone_server
    context, page = signed_in_phone(browser, base, service_workers="block")
    fill_new_item(page, base, "杨表单", with_photo=False, every_material=True)
    submit(page, base)
    page.wait_for_selector("li.record[data-kind=case][data-state=sent]", timeout=30000)
    case_id = count(db, "SELECT id FROM cases WHERE resident_name = '杨表单'")
    page.goto(f"{base}/m/inbox")
    page.wait_for_selector("body[data-ready='1']")
    task = page.locator("#task-list li", has_text="杨表单")
    task.locator("a.button").tap()
    page.wait_for_selector("#task-form:not([hidden])")
    task_id = page.evaluate("new URLSearchParams(location.search).get('id')")
    page.tap("#task-form button[type=submit]")  # nothing ticked: the server names what is missing
    page.wait_for_selector("#f-commission_signed-error:not([hidden])")
    assert count(db, "SELECT count(*) FROM tasks WHERE id = ? AND state = 'completed'", task_id) == 0
    page.select_option("select[name=acceptance]", "accept")
    page.check("input[name=materials_complete]")
    page.check("input[name=commission_signed]")
    page.tap("#task-form button[type=submit]")
    page.wait_for_url(f"{base}/m/inbox?done=1")
    page.wait_for_selector("#notice:not([hidden])")
    assert count(db, "SELECT count(*) FROM tasks WHERE id = ? AND state = 'completed'", task_id) == 1
    assert count(db, "SELECT count(*) FROM events WHERE case_id = ? AND type = 'task_completed'", case_id) == 1
    context.close()
