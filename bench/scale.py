"""Scale: the inbox and the timer sweep on PostgreSQL as the case count grows (10k → 100k → 1M).

The generator writes cases, their task rows (one READY inbox row each, two
completed ones before it) and timers straight into a demo county database with
`INSERT ... SELECT FROM generate_series` (server side, no per-row round trip),
then ANALYZE. Open work is spread over the places a county's work sits: village
agents, the county window and the departments.
"""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import select, text

from engine.cases.timer_sweep import fire_due_timers
from engine.kernel.clock import utcnow
from engine.oversight.worklist import counts, work_page
from engine.read.inbox import inbox, inbox_page, tab_counts
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
SAMPLES = 30


def scale_rows(tmp: str, quick: bool = False) -> list[tuple[str, str]]:
    steps = [10_000, 100_000] if quick else [10_000, 100_000, 1_000_000]
    rows: list[tuple[str, str]] = []
    with fresh_database("postgres", tmp) as url:
        from .common import demo_sessions

        engine, sessions = demo_sessions(url)
        with sessions() as s:
            _prepare(s)
            have = 0
            for n in steps:
                _generate(s, have, n)
                have = n
                s.commit()
                # What autovacuum does on a live database: statistics, and a visibility map so that
                # counts can be answered from the indexes alone.
                with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.execute(text("VACUUM (ANALYZE) cases, tasks, timers"))
                rows += _measure_inbox(s, n)
                rows += _measure_figures(s, n)
                if n == 100_000:
                    rows += _measure_sweep(s, n)
        rows += _measure_api(url, steps[-1])
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


def _generate(s, first: int, last: int) -> None:
    started = time.perf_counter()
    params = {"first": first + 1, "last": last, "places": len(PLACES)}
    s.execute(
        text("""
        INSERT INTO cases (id, receipt_code, catalog_item_id, catalog_code, kind, status, level, org_unit_id,
            village_id, township_id, owner_id, resident_name, resident_phone, summary, materials_provided,
            opened_at, due_at, process_version_id, is_test_run, state, version)
        SELECT g, 'BENCH' || g, c.id, c.code, c.kind, 'open', 'village', p.unit_id, p.village_id, p.township_id,
            (SELECT min(id) FROM users), '张三', '13800001234', '代办', '[]'::jsonb,
            now() - (g % 400) * interval '1 hour', now() + (g % 300) * interval '1 hour',
            (SELECT min(id) FROM process_versions WHERE type = 'bpmn'), false, '', 1
        FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) g
        JOIN bench_places p ON p.slot = g % CAST(:places AS bigint)
        CROSS JOIN (SELECT id, code, kind FROM catalog_items WHERE code = 'house-building' LIMIT 1) c"""),
        params,
    )
    for k, state in ((0, "completed"), (1, "completed"), (2, "ready")):
        s.execute(
            text(f"""
            INSERT INTO tasks (id, case_id, spec_name, name, role, org_unit_id, form, state, created_at, due_at,
                completed_at)
            SELECT md5(g || '-{k}')::uuid::text, g, 'step{k}', 'Step {k}', p.role, p.unit_id, NULL, '{state}',
                now() - (g % 400) * interval '1 hour' + interval '{k} minutes',
                now() + (g % 300) * interval '1 hour' - interval '1 day',
                CASE WHEN '{state}' = 'completed' THEN now() ELSE NULL END
            FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) g
            JOIN bench_places p ON p.slot = g % CAST(:places AS bigint)"""),
            params,
        )
    # Two unfired timers per open task, all in the future (the sweep test makes ten due).
    s.execute(
        text("""
        INSERT INTO timers (case_id, task_id, due_at, kind)
        SELECT g, md5(g || '-2')::uuid::text, now() + interval '2 days' + (g % 300) * interval '1 hour', kind
        FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) g
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


def _measure_inbox(s, n: int) -> list[tuple[str, str]]:
    rows = []
    for username in INBOX_USERS:
        user = s.scalar(select(User).where(User.username == username))
        api = _timed(lambda user=user: inbox(s, user, "available").items)
        page = _timed(lambda user=user: (tab_counts(s, user), inbox_page(s, user, "available").items))
        # The one inbox of all work (engine/oversight/worklist): every source unioned, as the page and the API.
        work = _timed(lambda user=user: (counts(s, user), work_page(s, user, "available").items))
        late = _timed(lambda user=user: work_page(s, user, "overdue").items)
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
    return rows


def _measure_figures(s, n: int) -> list[tuple[str, str]]:
    """Supervision figures for the county by township over this and last month (every generated case
    falls in the period: a worst case for one county's month)."""
    from engine.org.org import unit_by_code
    from engine.oversight.assessment import figures, month_end

    county = unit_by_code(s, "qx")
    first = utcnow().astimezone(TZ).date().replace(day=1) - timedelta(days=1)
    first = first.replace(day=1)
    timing = _timed(
        lambda: figures(s, county, first, month_end(utcnow().astimezone(TZ).date()), by="township"), samples=5
    )
    s.rollback()
    return [(f"scale {n:>9,} cases: supervision figures, county by township, 2 months", _fmt(timing))]


def _measure_sweep(s, n: int) -> list[tuple[str, str]]:
    now = utcnow()
    empty = _timed(lambda: (fire_due_timers(s, now), s.rollback()))
    s.execute(
        text(
            "UPDATE timers SET due_at = :due WHERE id IN (SELECT id FROM timers WHERE kind = 'overdue' "
            "ORDER BY id LIMIT 10)"
        ),
        {"due": now - timedelta(minutes=1)},
    )
    s.commit()
    started = time.perf_counter()
    fired = fire_due_timers(s, now)
    seconds = time.perf_counter() - started
    return [(f"scale {n:>9,} cases: timer sweep", f"nothing due {_fmt(empty)}; {fired} due: {seconds * 1000:.1f} ms")]


def _measure_api(url: str, n: int) -> list[tuple[str, str]]:
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

        rows.append((f"scale {n:>9,} cases: GET /api/v1/tasks {username}", _fmt(_timed(get))))
    with app.app_context():
        from web.extensions import db

        db.engine.dispose()
    return rows
