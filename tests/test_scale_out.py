"""Scale-out: two gunicorn nodes on one PostgreSQL database. A case driven through the API
alternating nodes goes to the end (a token from one node works on the other), a page login
on one node holds on the other, and both nodes report ready."""

from __future__ import annotations

import http.cookiejar
import itertools
import json
import urllib.parse
import urllib.request

import pytest

from bench.driver import Driver, http_transport
from bench.servers import gunicorn, prepare, server_env

from .conftest import PG_ADMIN_URL, _create_pg_database, _drop_pg_database, csrf_token


@pytest.fixture(scope="module")
def two_nodes(tmp_path_factory):
    name = _create_pg_database()
    env = server_env(tmp_path_factory.mktemp("var"), PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name)
    prepare(env)
    try:
        with gunicorn(env, workers=1) as first, gunicorn(env, workers=1) as second:
            yield first, second
    finally:
        _drop_pg_database(name)


def test_both_nodes_are_ready(two_nodes):
    for base in two_nodes:
        with urllib.request.urlopen(base + "/readyz", timeout=10) as response:
            assert json.loads(response.read()) == {"status": "ready"}


def test_a_case_alternating_nodes_goes_to_the_end(two_nodes):
    nodes = itertools.cycle([http_transport(base) for base in two_nodes])
    driver = Driver(lambda *call: next(nodes)(*call))  # every request on the other node
    case = driver.open_case("village_agent@t1-v1", "house-building", "t1-v1")
    case, steps = driver.run_to_end(case)
    assert case["status"] == "archived"
    assert len(steps) >= 10
    assert len({user for _, user in steps}) >= 5  # the tokens of many users crossed nodes


def test_a_page_session_holds_across_nodes(two_nodes):
    first, second = two_nodes
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = opener.open(first + "/login", timeout=10).read().decode()
    form = urllib.parse.urlencode(
        {"username": "village_agent@t1-v1", "password": "demo", "csrf_token": csrf_token(page)}
    ).encode()
    opener.open(first + "/login", data=form, timeout=10)
    with opener.open(second + "/inbox", timeout=10) as response:
        assert "/login" not in response.url
        assert "village_agent@t1-v1" in response.read().decode()
