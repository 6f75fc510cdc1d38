"""The phone app's shell (/m/): installable (a manifest with 192 and 512 px PNG icons, standalone, scoped to
/m/), a service worker that keeps every shell page and file, the new-item form with the field names the
acceptance checks use, labels on every field, zh-CN first; the sign-in page needs a login."""

import re

from engine.kernel.settings import ROOT

NEW_ITEM_FIELDS = ("catalog_code", "resident_name", "resident_phone", "resident_village", "summary")


def test_the_manifest_makes_the_app_installable(client):
    manifest = client.get("/m/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    body = manifest.get_json()
    assert body["start_url"] == "/m/" and body["scope"] == "/m/" and body["display"] == "standalone"
    assert body["name"] == "代办员手机版" and body["lang"] == "zh-CN"
    sizes = {icon["sizes"] for icon in body["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in body["icons"]:
        png = client.get(icon["src"])
        assert png.status_code == 200 and png.data.startswith(b"\x89PNG")
        width, height = int.from_bytes(png.data[16:20], "big"), int.from_bytes(png.data[20:24], "big")
        assert f"{width}x{height}" == icon["sizes"]


def test_the_service_worker_keeps_every_shell_page_and_file(client):
    script = client.get("/m/sw.js")
    assert script.mimetype == "text/javascript" and script.headers["Cache-Control"] in ("no-cache", "no-store")
    text = script.get_data(as_text=True)
    shell = re.search(r"const SHELL = (\[.*?\]);", text).group(1)
    for url in ("/m/", "/m/new", "/m/visit", "/m/households", "/m/progress", "/m/inbox", "/m/task"):
        assert f'"{url}"' in shell
        assert client.get(url).status_code == 200
    for path in re.findall(r'"(/static/[^"]+)"', shell):
        assert (ROOT / "web" / path.lstrip("/")).is_file() or client.get(path).status_code == 200, path
    assert 'addEventListener("sync"' in text


def test_the_new_item_form_has_the_stable_field_names_each_with_a_label(client):
    html = client.get("/m/new").get_data(as_text=True)
    assert '<html lang="zh-CN">' in html and "<h1>新建代办</h1>" in html
    for name in NEW_ITEM_FIELDS:
        field = re.search(rf'<(input|select|textarea)[^>]*id="{name}" name="{name}"', html)
        assert field, name
        assert f'<label for="{name}">' in html
    assert 'type="file" accept="image/*" capture="environment"' in html
    assert re.search(r'<button type="submit"', html)


def test_the_shell_speaks_english_on_request(client):
    html = client.get("/m/?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in html and "Records on this phone" in html


def test_signing_the_phone_in_needs_a_login(client, login):
    assert client.get("/m/sign-in").status_code == 302
    page = login("village_agent@t1-v1").get("/m/sign-in").get_data(as_text=True)
    assert 'data-csrf="' in page and "7 天" in page
