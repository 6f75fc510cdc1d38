"""Copy the pinned front-end libraries from node_modules into web/static/vendor.

County networks are often cut off from the internet, so every script and
style sheet is served by Daiban itself; nothing is loaded from a CDN.
"""

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "web" / "static" / "vendor"

# package path inside node_modules -> target path inside web/static/vendor
ASSETS = {
    "htmx.org/dist/htmx.min.js": "htmx.min.js",
    "bpmn-js/dist/bpmn-navigated-viewer.production.min.js": "bpmn-js/bpmn-navigated-viewer.js",
    "bpmn-js/dist/bpmn-modeler.production.min.js": "bpmn-js/bpmn-modeler.js",
    "bpmn-js/dist/assets": "bpmn-js/assets",
    # The analyst workbench's properties panel is bundled with the Daiban group by `npm run build`
    # (web/assets/properties-panel). Its style sheet is dist/assets/ (assets/ is a stub that @imports it).
    "@bpmn-io/properties-panel/dist/assets/properties-panel.css": "bpmn-js/properties-panel.css",
    # dmn-js/dmn-modeler.js is bundled by `npm run build` (web/assets/dmn-modeler): the prebuilt
    # dist bundle carries Inferno's development build.
    "dmn-js/dist/assets": "dmn-js/assets",
    "echarts/dist/echarts.min.js": "echarts/echarts.min.js",
    # The phone app's IndexedDB (web/static/phone/store.js), in the pages and in the service worker.
    "idb/build/umd.js": "idb/umd.js",
    # The accessibility check of the browser tests (tests/test_phone_browser.py) runs it in the page.
    "axe-core/axe.min.js": "axe-core/axe.min.js",
}


def main() -> None:
    for source, target in ASSETS.items():
        src = ROOT / "node_modules" / source
        dst = VENDOR / target
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dst)


if __name__ == "__main__":
    main()
