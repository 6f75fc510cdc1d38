"""Browser, phone-sized: a village agent registers a household, records a home visit whose three needs are
answered, opened as an item and referred, and sees them in the needs diary; a resident asks online and the agent
calls back from the asking desk; the printed contact card's QR code, read from the screen, is the portal's URL."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image

from .browser import logged_in_page, shot

pytestmark = pytest.mark.browser
PHONE = {"width": 412, "height": 915}
AGENT = "village_agent@t2-v2"


def test_an_agent_works_the_asking_desk_on_a_phone(browser, server):
    page = logged_in_page(browser, server, AGENT, PHONE["width"], PHONE["height"])
    page.click("nav >> text=问事")
    page.wait_for_url("**/asking/")
    page.click("text=登记农户")
    page.fill("input[name=head_name]", "戚浏览")
    page.fill("input[name=phone]", "13400001234")
    page.fill("input[name=address]", "戚家坳7号")
    page.fill("textarea[name=members]", "戚母 母亲")
    page.check("input[name=tags][value=elderly_alone]")
    page.click("button:has-text('登记')")
    page.wait_for_selector("text=农户已登记")
    shot(page, "asking-household")

    needs = [
        ("answered", "问养老金领取时间", {"need_answer_0": "每月10日到账"}),
        ("case", "申请残疾证", {"need_catalog_1": "disability-certificate"}),
        ("referred", "与邻居宅基地纠纷", {"need_reason_2": "转司法所调解"}),
    ]
    for i, (outcome, text, extra) in enumerate(needs):
        page.fill(f"textarea[name=need_text_{i}]", text)
        page.select_option(f"select[name=need_outcome_{i}]", outcome)
        for name, value in extra.items():
            if name.startswith("need_catalog"):
                page.select_option(f"select[name={name}]", value)
            else:
                page.fill(f"textarea[name={name}]", value)
    page.click("button:has-text('保存走访记录')")
    page.wait_for_selector("text=走访已记录")
    diary = page.locator("section.visit").first
    assert "每月10日到账" in diary.inner_text() and "转司法所调解" in diary.inner_text()
    assert diary.locator("a:has-text('代办件')").count() == 2  # the item and the mediation item
    shot(page, "asking-visit")

    resident = browser.new_page(viewport=PHONE)
    resident.goto(server + "/public/ask/")
    resident.fill("input[name=name]", "卫大姐")
    resident.fill("input[name=phone]", "13400005678")
    resident.select_option("select[name=village]", "t2-v2")
    resident.fill("textarea[name=text]", "想问医保怎么续")
    resident.click("button:has-text('提交')")
    reference = resident.locator("#reference").inner_text()
    shot(resident, "asking-public-sent")

    page.goto(server + "/asking/")
    page.click("a:has-text('卫大姐')")
    page.select_option("select[name=outcome]", "answered")
    page.fill("textarea[name=answer]", "村里代缴,下月起")
    page.click("button:has-text('记录回访')")
    page.wait_for_selector("text=回访已记录")
    assert "已回复" in page.locator(".request-status").inner_text()

    resident.goto(server + "/public/ask/status")
    resident.fill("input[name=reference]", reference)
    resident.fill("input[name=phone_last4]", "5678")
    resident.click("button:has-text('查询')")
    assert "村里代缴,下月起" in resident.locator("dl.summary").inner_text()

    page.goto(server + "/asking/villages/t2-v2/card")
    qr = page.locator("img[data-qr=ask]")
    qr.wait_for()
    picture = Image.open(io.BytesIO(qr.screenshot()))
    assert [r.text for r in zxingcpp.read_barcodes(picture)] == [server + "/public/ask/"]
    shot(page, "asking-contact-card")
