"""Hostile-input generators for every operation of the OpenAPI document (issue #18: the schema-driven
fuzzer never sent these, and each found a 500):

- JSON nested hundreds and hundreds of thousands of levels deep, as the whole body;
- dates at the ends of the calendar (0001-01-01, 9999-12-31, month 9999-12) in every field and query
  parameter;
- non-finite numbers: the strings "NaN", "Infinity", "1e999" and the bare JSON tokens NaN and Infinity;
- arrays and objects where scalars belong ([[1]], [{}]) and integers beyond 64 bits;
- control and direction-override characters (NUL, ESC, DEL, U+0085, U+202E) in text, headings and sheets.

Every operation gets every generator as each user; any 5xx is a finding. `run(send, spec, tokens)` takes a
transport `send(method, path, headers, body: bytes | None, content_type) -> (status, text)`, so the same
generators run in-process in the test suite (tests/test_hostile_generators.py) and over HTTP against a live
server (bench/fuzz.sh): `python -m bench.hostile` (its own demo server) or
`python -m bench.hostile http://127.0.0.1:8000 user1 user2 …` (password `demo`).
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .servers import demo_server

Send = Callable[[str, str, dict, bytes | None, str | None], tuple[int, str]]

DEEP = (400, 5000, 200_000)
DATES = ("0001-01-01", "9999-12-31", "9999-12", "0000-00-00")
NON_FINITE = ("NaN", "Infinity", "-Infinity", "1e999")
RAW_NON_FINITE = ("NaN", "Infinity", "-Infinity")  # bare JSON tokens Python's parser accepts
WRONG_SHAPES: tuple = ([[1]], [{"a": 1}], {"a": [1]}, 2**64, -(2**64), [2**70], [None], True)
CONTROL = ("nul\x00byte", "esc\x1b[31m", "del\x7f", "c1\x85", "rlo\u202eexe.txt", "isolate\u2066x")
VALUES: tuple = (*DATES, *NON_FINITE, *WRONG_SHAPES, *CONTROL)
# Logins are throttled: hostile values there would slow the run's own logins (deep JSON still goes).
BODY_SKIP = ("/api/v1/auth/token",)


@dataclass
class Finding:
    user: str
    method: str
    path: str
    what: str
    status: int
    excerpt: str


def _fill(template: str, value) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return re.sub(r"\{[^}]+\}", lambda _m: urllib.parse.quote(text, safe=""), template)


def _properties(operation: dict, spec: dict) -> list[str]:
    content = (operation.get("requestBody") or {}).get("content") or {}
    schema = (content.get("application/json") or content.get("multipart/form-data") or {}).get("schema") or {}
    if "$ref" in schema:
        schema = spec["components"]["schemas"].get(schema["$ref"].rsplit("/", 1)[-1], {})
    return list((schema.get("properties") or {}).keys()) or ["data", "name", "month", "from", "to"]


def _query(operation: dict) -> list[str]:
    return [p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"]


def cases(spec: dict, values: tuple = VALUES, deep: tuple = DEEP) -> Iterator[tuple[str, str, str, bytes | None, str]]:
    """(method, path, what, body, content type) for every operation and generator."""
    for template, item in sorted(spec["paths"].items()):
        for method, operation in sorted(item.items()):
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            upper = method.upper()
            concrete = _fill(template, "1")
            content = (operation.get("requestBody") or {}).get("content") or {}
            if upper != "GET":
                for depth in deep:
                    yield upper, concrete, f"JSON nested {depth} deep", b"[" * depth + b"]" * depth, "application/json"
            if upper != "GET" and template in BODY_SKIP:
                continue
            for value in values:
                label = repr(value)[:40]
                if "{" in template:
                    yield upper, _fill(template, value), f"path {label}", None, "application/json"
                params = _query(operation)
                if params:
                    query = urllib.parse.urlencode(
                        {p: v if isinstance(v, str) else json.dumps(v) for p, v in ((p, value) for p in params)}
                    )
                    yield upper, f"{concrete}?{query}", f"query {label}", None, "application/json"
                if upper == "GET":
                    continue
                if "multipart/form-data" in content:
                    cell = value if isinstance(value, str) else json.dumps(value)
                    sheet = (
                        f"用户名,姓名,角色,单位,事项,村,受理日期\n{cell},{cell},{cell},{cell},{cell},{cell},{cell}\n"
                    )
                    boundary = "hostileboundary"
                    body = (
                        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.csv"\r\n'
                        f"Content-Type: text/csv\r\n\r\n{sheet}\r\n--{boundary}--\r\n"
                    ).encode()
                    yield upper, concrete, f"sheet {label}", body, f"multipart/form-data; boundary={boundary}"
                    continue
                body = {name: value for name in _properties(operation, spec)}
                yield upper, concrete, f"body {label}", json.dumps(body).encode(), "application/json"
            if upper != "GET" and "multipart/form-data" not in content:
                for token in RAW_NON_FINITE:
                    fields = ", ".join(f'"{name}": {token}' for name in _properties(operation, spec))
                    yield upper, concrete, f"bare {token}", ("{" + fields + "}").encode(), "application/json"


def run(
    send: Send, spec: dict, tokens: dict[str, str], values: tuple = VALUES, deep: tuple = DEEP
) -> tuple[int, list[Finding]]:
    """Every case as every user (and anonymously); returns (calls made, the 5xx answers)."""
    calls, findings = 0, []
    users: list[tuple[str, dict]] = [("anonymous", {})] + [
        (user, {"Authorization": f"Bearer {token}"}) for user, token in tokens.items()
    ]
    for method, path, what, body, content_type in cases(spec, values, deep):
        for user, headers in users:
            status, text = send(method, path, headers, body, content_type)
            calls += 1
            if status >= 500:
                findings.append(Finding(user, method, path[:120], what, status, text[:300]))
    return calls, findings


def http_send(base: str) -> Send:
    def send(method, path, headers, body, content_type):
        request = urllib.request.Request(base + path, data=body, method=method, headers=dict(headers))
        if content_type:
            request.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as err:
            return err.code, err.read(4000).decode("utf-8", "replace")

    return send


USERS = ["village_agent@t1-v1", "county_window@qx-window", "analyst@qx", "supervisor@qx", "admin"]


def main(argv: list[str]) -> int:
    """`python -m bench.hostile` starts the demo county behind gunicorn (bench/servers.py) and runs every
    generator against it; `python -m bench.hostile URL [users…]` runs against a server already up."""
    if not argv or not argv[0].startswith("http"):
        with tempfile.TemporaryDirectory() as var, demo_server(Path(var)) as base:
            return against(base, argv or USERS)
    return against(argv[0].rstrip("/"), argv[1:] or USERS)


def against(base: str, users: list[str]) -> int:
    send = http_send(base)
    tokens = {}
    for user in users:
        status, text = send(
            "POST",
            "/api/v1/auth/token",
            {},
            json.dumps({"username": user, "password": "demo"}).encode(),
            "application/json",
        )
        if status != 200:
            print(f"login {user}: {status} {text}")
            return 2
        tokens[user] = json.loads(text)["token"]
    _status, text = send("GET", "/api/v1/openapi.json", {}, None, None)
    calls, findings = run(send, json.loads(text), tokens)
    for f in findings:
        print(f"{f.status} {f.method} {f.path} as {f.user}: {f.what}: {f.excerpt}")
    print(f"hostile inputs: {calls} calls, {len(findings)} server errors")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
