"""Drives an item through any process over the JSON API, acting at each step as the
demo user the open task names (`{role}@{org_unit}`, password `demo`).

The transport is a callable (method, path, token, body) -> (status, json), so the
same driver runs against Flask's test client and a real server over HTTP.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable

Transport = Callable[[str, str, str | None, dict | None], tuple[int, dict]]

# Answers a resident-facing step would give, by field; anything else gets sample text.
PREFERRED = {"rating": "satisfied", "approved": True, "status_notice": "已报县级部门办理,办结后由代办员送达结果"}


def sample_data(form: dict) -> dict:
    """Valid data for a task form: every required field and the preferred ones."""
    data = {}
    for name, prop in form.get("properties", {}).items():
        if name not in form.get("required", []) and name not in PREFERRED:
            continue
        if "const" in prop:  # a fixed answer (e.g. a vote that did not pass cannot be approved)
            data[name] = prop["const"]
        elif name in PREFERRED and (
            prop.get("type") != "string" or PREFERRED[name] in prop.get("enum", [PREFERRED[name]])
        ):
            data[name] = PREFERRED[name]
        elif "enum" in prop:
            data[name] = prop["enum"][0]
        elif prop.get("type") == "boolean":
            data[name] = True
        elif prop.get("type") in ("integer", "number"):
            data[name] = 1
        elif prop.get("type") == "array":
            data[name] = []
        else:
            data[name] = "同意办理"
    return data


class Driver:
    def __init__(self, transport: Transport, password: str = "demo"):
        self.transport = transport
        self.password = password
        self.tokens: dict[str, str] = {}
        self.requests = 0
        self.catalog: dict[str, list] = {}

    def call(self, method: str, path: str, user: str | None, body: dict | None = None, expect: int = 200) -> dict:
        token = self.token(user) if user else None
        status, payload = self.transport(method, path, token, body)
        self.requests += 1
        if status != expect:
            raise AssertionError(f"{method} {path} as {user}: {status} {payload}")
        return payload

    def token(self, user: str) -> str:
        if user not in self.tokens:
            status, payload = self.transport(
                "POST", "/api/v1/auth/token", None, {"username": user, "password": self.password}
            )
            if status != 200:
                raise AssertionError(f"login {user}: {status} {payload}")
            self.tokens[user] = payload["token"]
        return self.tokens[user]

    def open_case(
        self,
        agent: str,
        catalog_code: str,
        village: str,
        phone: str = "13800001234",
        materials: list | None = None,
        name: str = "张三",
    ) -> dict:
        return self.call(
            "POST",
            "/api/v1/cases",
            agent,
            {
                "catalog_code": catalog_code,
                "summary": "代办测试",
                "materials_provided": self.materials_of(catalog_code) if materials is None else materials,
                "resident": {"name": name, "phone": phone, "village": village},
            },
            expect=201,
        )

    def materials_of(self, catalog_code: str) -> list:
        """Everything the catalog asks for: by default a resident brings complete materials."""
        if not self.catalog:
            status, items = self.transport("GET", "/api/v1/catalog", None, None)
            self.catalog = {i["code"]: i["materials"] for i in items} if status == 200 else {}
        return list(self.catalog.get(catalog_code, []))

    def step(self, case: dict, answers: dict | None = None) -> tuple[dict, tuple[str, str]]:
        """Complete the first open task as `{role}@{org_unit}`; `answers` by task name choose the path
        (merged over the form's sample data)."""
        task = case["open_tasks"][0]
        user = f"{task['role']}@{task['org_unit']}"
        detail = self.call("GET", f"/api/v1/tasks/{task['id']}", user)
        data = {**sample_data(detail["form"]), **(answers or {}).get(task["task"], {})}
        case = self.call("POST", f"/api/v1/tasks/{task['id']}/complete", user, {"data": data})
        return case, (task["task"], user)

    def run_to_end(
        self, case: dict, max_steps: int = 50, answers: dict | None = None, until: str | None = None
    ) -> tuple[dict, list[tuple[str, str]]]:
        """Complete open tasks until none is left (or task `until` is open); returns the case and
        (task, user) steps."""
        steps = []
        for _ in range(max_steps):
            if not case["open_tasks"] or (until and case["open_tasks"][0]["task"] == until):
                return case, steps
            case, done = self.step(case, answers)
            steps.append(done)
        raise AssertionError(f"case {case['id']} did not finish in {max_steps} steps")


def http_transport(base_url: str) -> Transport:
    def send(method, path, token, body):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(base_url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"{}")

    return send
