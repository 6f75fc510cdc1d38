"""The OpenAPI document matches the code: every API route is documented and nothing else is."""

import re

from engine.kernel.settings import ROOT


def _routes(app):
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") or rule.rule in ("/healthz", "/readyz"):
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                found.add((path, method.lower()))
    return found


def test_every_api_route_is_documented_and_every_documented_path_exists(app, client):
    doc = client.get("/api/v1/openapi.json").json
    documented = {(path, method) for path, item in doc["paths"].items() for method in item}
    assert _routes(app) == documented


def _contract_section() -> str:
    """The "## Contract" section of docs/api.md: the paths the acceptance checks use."""
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    section = text.split("\n## Contract\n", 1)[1]
    return re.split(r"\n#{1,2} ", section, maxsplit=1)[0]


def test_the_contract_paths_of_api_md_are_all_there(client):
    doc = client.get("/api/v1/openapi.json").json
    contract = re.findall(r"`(GET|POST) (/[^`?\s]*)", _contract_section())
    assert len(contract) >= 15
    for method, path in contract:
        normalized = re.sub(r"\{id\}", "{task_id}" if "/tasks/" in path else "{case_id}", path)
        assert method.lower() in doc["paths"][normalized], path
