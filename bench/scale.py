"""Scale on PostgreSQL: the inbox page, case search and the timer sweep over N generated cases.

The generator writes cases, their task rows and timers straight into a throwaway demo county
database with `INSERT ... SELECT FROM generate_series` (server side, no per-row round trip), in
chunks, with the secondary indexes dropped while it writes and built again after (building a
GIN or B-tree index once is far cheaper than keeping it up to date row by row), then VACUUM
ANALYZE. A county's work is mostly closed: the newest min(N, 1M) cases are open (two completed
steps and one READY inbox row with its two timers), the older ones archived (three completed
steps, no timers). Open work is spread over the places a county's work sits: village agents,
the county window and the departments.

`python -m bench --only scale --scale-cases 5000000` is the issue's 5M run (see bench/__main__.py
for how long it takes on the 2-core machine).
"""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import select, text

from engine.cases.timer_sweep import fire_due_timers
from engine.kernel.clock import utcnow
from engine.oversight.worklist import counts, work_page
from engine.read.inbox import inbox, inbox_page, tab_counts
from engine.read.shapes import visible_cases
from engine.store.calendar import TZ
from engine.store.models import User

from .common import fresh_database, percentiles

# (role, unit code) holding the READY row of case n, by n modulo len(PLACES).
PLACES = (
    [("village_agent", v) for v in ("t1-v1", "t1-v2", "t1-v3", "t2-v1", "t2-v2", "t2-v3", "t3-v1", "t3-v2", "t3-v3")]
    + [("county_window", "qx-window")] * 3
    + [("department_handler", d) for d in ("qx-zrzy", "qx-nync", "qx-zjj")]
)
INBOX_USERS = ["village_agent@t1-v1", "county_window@qx-window", "supervisor@qx"]
# Who searches: the county window (sees every case of the county) and a village agent.
SEARCH_USERS = ["county_window@qx-window", "village_agent@t1-v1"]
OPEN_CASES = 1_000_000
CHUNK = 500_000
SAMPLES = 30
TABLES = ("cases", "tasks", "timers")


def scale_rows(tmp: str, cases: int, figures: dict, samples: int = SAMPLES) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    with fresh_database("postgres", tmp) as url:
        from .common import demo_sessions

        engine, sessions = demo_sessions(url)
        with sessions() as s:
            _prepare(s)
            started = time.perf_counter()
            indexes = _drop_indexes(s)
            for first in range(0, cases, CHUNK):
                _generate(s, first, min(cases, first + CHUNK), cases)
            _build_indexes(s, indexes)
            # What autovacuum does on a live database: statistics, and a visibility map so that
            # counts can be answered from the indexes alone.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM (ANALYZE) cases, tasks, timers"))
            built = time.perf_counter() - started
            size = s.scalar(text("SELECT pg_database_size(current_database())")) / 2**30
            open_items = s.scalar(text("SELECT count(*) FROM tasks WHERE state = 'ready'"))
            rows.append(
                (
                    f"scale {cases:>9,} cases: generated",
                    f"{built:.0f} s, database {size:.2f} GiB, {open_items:,} open items",
                )
            )
            inbox_rows, figures["inbox_p95_ms"] = _measure_inbox(s, cases, samples)
            search_rows, figures["search_p95_ms"] = _measure_search(s, cases, samples)
            sweep_rows, figures["sweep_ms"] = _measure_sweep(s, cases, open_items, samples)
            rows += inbox_rows + search_rows + sweep_rows + _measure_figures(s, cases)
            figures["scale_cases"] = cases
            figures["scale_db_gib"] = round(size, 2)
            figures["scale_generate_s"] = round(built, 1)
        rows += _measure_api(url, cases, samples)
        engine.dispose()
    return rows


def _prepare(s) -> None:
    """A lookup table of places and the ids the generator needs."""
    s.execute(
        text(
            "CREATE TEMP TABLE bench_places (slot int, role text, unit_id int, village_id int, "
            "township_id int) ON COMMIT PRESERVE ROWS"
        )
    )
    villages = [v for r, v in PLACES if r == "village_agent"]
    for slot, (role, code) in enumerate(PLACES):
        village = villages[slot % len(villages)]
        s.execute(
            text(
                "INSERT INTO bench_places SELECT :slot, :role, u.id, v.id, v.parent_id FROM org_units u, "
                "org_units v WHERE u.code = :code AND v.code = :village"
            ),
            {"slot": slot, "role": role, "code": code, "village": village},
        )
    s.commit()


def _drop_indexes(s) -> list[str]:
    """The secondary indexes of the generated tables (their definitions, to build them again)."""
    found = s.execute(
        text(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename IN ('cases', 'tasks', 'timers') "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
        )
    ).all()
    for name, _ in found:
        s.execute(text(f'DROP INDEX "{name}"'))
    s.commit()
    return [definition for _, definition in found]


def _build_indexes(s, definitions: list[str]) -> None:
    started = time.perf_counter()
    s.execute(text("SET maintenance_work_mem = '512MB'"))
    for definition in definitions:
        s.execute(text(definition))
    s.commit()
    print(f"scale: built {len(definitions)} indexes in {time.perf_counter() - started:.0f} s", flush=True)


def _generate(s, first: int, last: int, total: int) -> None:
    """Cases first+1..last of `total`; the newest OPEN_CASES of them are open."""
    started = time.perf_counter()
    s.execute(text("SET LOCAL synchronous_commit = off"))
    params = {"first": first + 1, "last": last, "places": len(PLACES), "open_from": max(1, total - OPEN_CASES + 1)}
    # Residents vary (names, phones, requests), so a search matches a realistic few cases.
    s.execute(
        text("""
        INSERT INTO cases (id, receipt_code, catalog_item_id, catalog_code, kind, status, level, org_unit_id,
            village_id, township_id, owner_id, resident_name, resident_phone, summary, materials_provided,
            opened_at, due_at, closed_at, process_version_id, is_test_run, state, version)
        SELECT g, 'BENCH' || g, c.id, c.code, c.kind, CASE WHEN g >= :open_from THEN 'open' ELSE 'archived' END,
            'village', p.unit_id, p.village_id, p.township_id,
            (SELECT min(id) FROM users), '张' || (g % 9973) || '号',
            '138' || lpad(((g * 7919) % 100000000)::text, 8, '0'),
            '代办宅基地审批 第' || (g % 1009) || '组', '[]'::jsonb,
            now() - ((CAST(:last AS bigint) - g) / 2000.0) * interval '1 hour', now() + (g % 300) * interval '1 hour',
            CASE WHEN g >= :open_from THEN NULL ELSE now() - ((CAST(:last AS bigint) - g) / 2000.0) * interval '1 hour'
                + interval '5 days' END,
            (SELECT min(id) FROM process_versions WHERE type = 'bpmn'), false, '', 1
        FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) g
        JOIN bench_places p ON p.slot = g % CAST(:places AS bigint)
        CROSS JOIN (SELECT id, code, kind FROM catalog_items WHERE code = 'house-building' LIMIT 1) c"""),
        params,
    )
    for k in range(3):
        last_state = "CASE WHEN g >= :open_from THEN 'ready' ELSE 'completed' END" if k == 2 else "'completed'"
        s.execute(
            text(f"""
            INSERT INTO tasks (id, case_id, spec_name, name, role, org_unit_id, form, state, created_at, due_at,
                completed_at)
            SELECT md5(g || '-{k}')::uuid::text, g, 'step{k}', 'Step {k}', p.role, p.unit_id, NULL, {last_state},
                now() - (g % 400) * interval '1 hour' + interval '{k} minutes',
                now() + (g % 300) * interval '1 hour' - interval '1 day',
                CASE WHEN {last_state} = 'completed' THEN now() ELSE NULL END
            FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) g
            JOIN bench_places p ON p.slot = g % CAST(:places AS bigint)"""),
            params,
        )
    # Two unfired timers per open task, all in the future (the sweep measure makes ten due).
    s.execute(
        text("""
        INSERT INTO timers (case_id, task_id, due_at, kind)
        SELECT g, md5(g || '-2')::uuid::text, now() + interval '2 days' + (g % 300) * interval '1 hour', kind
        FROM generate_series(GREATEST(CAST(:first AS bigint), CAST(:open_from AS bigint)), CAST(:last AS bigint)) g
        CROSS JOIN (VALUES ('due_soon'), ('overdue')) k(kind)"""),
        params,
    )
    s.execute(text("SELECT setval(pg_get_serial_sequence('cases', 'id'), :last)"), params)
    s.commit()
    print(f"scale: generated cases {first + 1}..{last} in {time.perf_counter() - started:.1f} s", flush=True)


def _timed(fn, samples: int = SAMPLES) -> dict:
    fn()  # warm
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return percentiles(times)


def _fmt(p: dict) -> str:
    return f"p50 {p['p50']:.1f} ms, p95 {p['p95']:.1f} ms"


def _user(s, username: str) -> User:
    user = s.scalar(select(User).where(User.username == username))
    assert user is not None
    return user


def _measure_inbox(s, n: int, samples: int) -> tuple[list[tuple[str, str]], float]:
    rows, worst = [], 0.0
    for username in INBOX_USERS:
        user = _user(s, username)
        api = _timed(lambda user=user: inbox(s, user, "available").items, samples)
        page = _timed(lambda user=user: (tab_counts(s, user), inbox_page(s, user, "available").items), samples)
        # The one inbox of all work (engine/oversight/worklist): every source unioned, as the page and the API.
        work = _timed(lambda user=user: (counts(s, user), work_page(s, user, "available").items), samples)
        late = _timed(lambda user=user: work_page(s, user, "overdue").items, samples)
        s.rollback()
        rows.append(
            (f"scale {n:>9,} cases: inbox {username}", f"API list {_fmt(api)}; page (5 tab counts + list) {_fmt(page)}")
        )
        rows.append(
            (
                f"scale {n:>9,} cases: all work {username}",
                f"5 counts + page {_fmt(work)}; overdue page {_fmt(late)}",
            )
        )
        worst = max(worst, work["p95"])  # what the inbox page does now
    return rows, worst


def _measure_search(s, n: int, samples: int) -> tuple[list[tuple[str, str]], float]:
    """查询 as people use it: a phone's last four digits, a resident's name, a receipt code, two words (one
    rare, one in every request), and a word in every case alone (the newest matches, a capped total)."""
    queries = ["7919", "张4711号", f"BENCH{max(1, n // 2)}", "宅基地 第17组", "宅基地"]
    rows, worst = [], 0.0
    for username in SEARCH_USERS:
        user = _user(s, username)
        for q in queries:
            p = _timed(lambda user=user, q=q: visible_cases(s, user, q=q).items, max(5, samples // 3))
            worst = max(worst, p["p95"])
            rows.append((f"scale {n:>9,} cases: search {q!r} as {username}", _fmt(p)))
        s.rollback()
    return rows, worst


def _measure_figures(s, n: int) -> list[tuple[str, str]]:
    """Supervision figures for the county by township over this and last month."""
    from engine.org.org import unit_by_code
    from engine.oversight.assessment import figures, month_end

    county = unit_by_code(s, "qx")
    first = utcnow().astimezone(TZ).date().replace(day=1) - timedelta(days=1)
    first = first.replace(day=1)
    timing = _timed(
        lambda: figures(s, county, first, month_end(utcnow().astimezone(TZ).date()), by="township"), samples=3
    )
    s.rollback()
    return [(f"scale {n:>9,} cases: supervision figures, county by township, 2 months", _fmt(timing))]


def _measure_sweep(s, n: int, open_items: int, samples: int) -> tuple[list[tuple[str, str]], float]:
    """The minute's timer sweep: nothing due, then ten due among the open items' timers."""
    now = utcnow()
    empty = _timed(lambda: (fire_due_timers(s, now), s.rollback()), samples)
    s.execute(
        text(
            "UPDATE timers SET due_at = :due WHERE id IN (SELECT id FROM timers WHERE kind = 'overdue' "
            "AND fired_at IS NULL ORDER BY id LIMIT 10)"
        ),
        {"due": now - timedelta(minutes=1)},
    )
    s.commit()
    started = time.perf_counter()
    fired = fire_due_timers(s, now)
    ms = (time.perf_counter() - started) * 1000
    row = (
        f"scale {n:>9,} cases: timer sweep, {open_items:,} open items",
        f"nothing due {_fmt(empty)}; {fired} due: {ms:.1f} ms",
    )
    return [row], ms


def _measure_api(url: str, n: int, samples: int) -> list[tuple[str, str]]:
    """GET /api/v1/tasks through the Flask test client (routing, auth, JSON included)."""
    from web.app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True})
    client = app.test_client()
    rows = []
    for username in INBOX_USERS:
        token = client.post("/api/v1/auth/token", json={"username": username, "password": "demo"}).json["token"]
        headers = {"Authorization": f"Bearer {token}"}

        def get(headers=headers):
            response = client.get("/api/v1/tasks?scope=available", headers=headers)
            assert response.status_code == 200, response.json

        rows.append((f"scale {n:>9,} cases: GET /api/v1/tasks {username}", _fmt(_timed(get, samples))))
    with app.app_context():
        from web.extensions import db

        db.engine.dispose()
    return rows
