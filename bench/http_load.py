"""End to end over HTTP: gunicorn on 127.0.0.1, several client processes driving the API
as the right demo user at each step (bench/driver.py); cases/s, latency per request kind, RSS."""

from __future__ import annotations

import http.client
import json
import multiprocessing
import re
import time
from pathlib import Path

from .driver import Driver

KIND = [
    (re.compile(r"/api/v1/tasks/[^/]+/complete$"), "complete"),
    (re.compile(r"/api/v1/tasks/[^/]+$"), "task"),
    (re.compile(r"/api/v1/cases$"), "open"),
    (re.compile(r"/api/v1/cases/\d+$"), "case"),
    (re.compile(r"/api/v1/auth/token$"), "login"),
]


def _kind(method: str, path: str) -> str:
    return next((name for pattern, name in KIND if pattern.search(path)), f"{method} {path}")


def keepalive_transport(base: str, timings: list):
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)

    def send(method, path, token, body):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        started = time.perf_counter()
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = conn.getresponse()
        payload = json.loads(response.read() or b"{}")
        timings.append((_kind(method, path), time.perf_counter() - started))
        return response.status, payload

    return send


def _client(args) -> list:
    base, cases, village = args
    timings: list = []
    driver = Driver(keepalive_transport(base, timings))
    for _n in range(cases):
        case = driver.open_case(f"village_agent@{village}", "house-building", village)
        case, _steps = driver.run_to_end(case)
        assert case["status"] == "archived"
    return [t for t in timings if t[0] != "login"]


def drive(base: str, clients: int, cases_per_client: int) -> dict:
    villages = ["t1-v1", "t1-v2", "t1-v3", "t2-v1", "t2-v2", "t2-v3", "t3-v1", "t3-v2", "t3-v3"]
    jobs = [(base, cases_per_client, villages[i % len(villages)]) for i in range(clients)]
    # Log every demo user in once before timing (tokens are per process, so warm the server only).
    with multiprocessing.get_context("fork").Pool(clients) as pool:
        pool.map(_client, [(base, 1, v) for _, _, v in jobs])
        started = time.perf_counter()
        results = pool.map(_client, jobs)
        seconds = time.perf_counter() - started
    timings = [t for chunk in results for t in chunk]
    return {"cases_per_s": clients * cases_per_client / seconds, "seconds": seconds, "timings": timings}


def worker_rss_mb(master_pid: int) -> list[float]:
    """Resident memory of each gunicorn worker (children of the master)."""
    sizes = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        if re.search(rf"^PPid:\s+{master_pid}$", text, re.M):
            rss = re.search(r"^VmRSS:\s+(\d+) kB", text, re.M)
            if rss:
                sizes.append(int(rss.group(1)) / 1024)
    return sizes
