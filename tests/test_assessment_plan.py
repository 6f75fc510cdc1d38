"""Test note: the query plans of the main figures on PostgreSQL over a generated county.

200,000 items over three years in 20 townships (bulk-inserted with
generate_series; as in life, only recent items are still open) stand in for the million-item table: the plans print
(run with -s; also written to test-artifacts/assessment-plans.txt), use the
indexes of migration 7_supervision rather than a sequential scan of cases,
and one county's month answers well under a second.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select, text

from engine.kernel.settings import ROOT
from engine.org.org import add_unit
from engine.oversight.assessment import figures, in_unit, local_bounds
from engine.oversight.overdue import overdue
from engine.store.calendar import TZ
from engine.store.db import make_engine, make_sessionmaker
from engine.store.models import Base, Case, CatalogItem, OrgUnit, ProcessVersion, User

from .conftest import PG_ADMIN_URL, _create_pg_database, _drop_pg_database

pytestmark = pytest.mark.postgres
ITEMS, TOWNSHIPS, VILLAGES = 200_000, 20, 6


@pytest.fixture(scope="module")
def big_county():
    name = _create_pg_database()
    engine = make_engine(PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name)
    Base.metadata.create_all(engine)
    Session = make_sessionmaker(engine)
    with Session() as session:
        county = add_unit(session, "big", "大县", "county")
        villages = []
        for t in range(TOWNSHIPS):
            township = add_unit(session, f"big-t{t}", f"乡{t}", "township", county)
            villages += [add_unit(session, f"big-t{t}-v{v}", f"村{v}", "village", township) for v in range(VILLAGES)]
        now = datetime.now(UTC)
        session.add_all(
            [
                User(id=1, username="agent", display_name="agent", password_hash="x", created_at=now),
                CatalogItem(
                    id=1,
                    code="aid",
                    name="救助",
                    category="civil_affairs",
                    kind="promised",
                    level="township",
                    time_limit_days=5,
                ),
                ProcessVersion(id=1, key="p", name="p", version=1, xml="", hash="", created_at=now),
            ]
        )
        session.flush()
        session.execute(text("CREATE TEMP TABLE spread (n int, village int, township int)"))
        session.execute(
            text("INSERT INTO spread VALUES (:n, :v, :t)"),
            [{"n": n, "v": v.id, "t": v.parent_id} for n, v in enumerate(villages)],
        )
        started = time.perf_counter()
        session.execute(
            text(f"""
            INSERT INTO cases (receipt_code, catalog_item_id, catalog_code, kind, status, level, village_id,
                               township_id, owner_id, resident_name, resident_phone, summary, materials_provided,
                               rating, opened_at, due_at, closed_at, process_version_id, is_test_run, state, version)
            SELECT 'P' || g, 1, 'aid', 'promised', CASE WHEN o.done THEN 'closed' ELSE 'open' END, 'village',
                   s.village, s.township, 1, 'x', '13800000000', 'x', '[]'::jsonb,
                   (ARRAY['satisfied', 'basically_satisfied', 'dissatisfied'])[1 + g % 3],
                   o.at, o.at + interval '5 days', CASE WHEN o.done THEN o.at + interval '3 days' END,
                   1, false, '', 1
            FROM generate_series(1, {ITEMS}) g
            JOIN spread s ON s.n = g % {len(villages)}
            CROSS JOIN LATERAL (SELECT timestamptz '2024-01-01 00:00+08'
                                       + ((g * 7919) % (1096 * 1440)) * interval '1 minute' AS at) t
            -- Old items are closed; a fifth of the last two months' are still open.
            CROSS JOIN LATERAL (SELECT t.at, g % 10 < 8 OR t.at < timestamptz '2026-11-01 00:00+08' AS done) o""")
        )
        session.execute(text("ANALYZE"))
        session.commit()
        print(f"\ngenerated {ITEMS} items in {time.perf_counter() - started:.1f}s")
        yield Session
    engine.dispose()
    _drop_pg_database(name)


def _plan(session, query) -> str:
    sql = str(query.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
    rows = session.execute(text("EXPLAIN (ANALYZE, BUFFERS) " + sql)).scalars().all()
    return "\n".join(rows)


def test_a_county_month_uses_the_indexes_and_answers_in_under_a_second(big_county):
    with big_county() as session:
        county = session.scalar(select(OrgUnit).where(OrgUnit.code == "big"))
        lo, hi = local_bounds(date(2025, 6, 1), date(2025, 6, 30))
        month = (
            select(Case.village_id, func.count(), func.count().filter(Case.closed_at.is_not(None)))
            .where(in_unit(session, county), Case.opened_at >= lo, Case.opened_at < hi)
            .group_by(Case.village_id)
        )
        late = (
            select(func.count())
            .select_from(Case)
            .where(in_unit(session, county), overdue(datetime(2026, 12, 20, tzinfo=TZ)))
        )
        plans = {"county month by village": _plan(session, month), "county overdue count": _plan(session, late)}
        started = time.perf_counter()
        rows = figures(session, county, date(2025, 6, 1), date(2025, 6, 30), "village")
        elapsed = time.perf_counter() - started
    note = "\n\n".join(f"-- {title}\n{plan}" for title, plan in plans.items())
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    (ROOT / "test-artifacts" / "assessment-plans.txt").write_text(
        f"{ITEMS} items; figures by village for June 2025 took {elapsed * 1000:.0f} ms\n\n{note}\n", encoding="utf-8"
    )
    print(note, f"\nfigures took {elapsed * 1000:.0f} ms")
    for title, plan in plans.items():
        assert "Seq Scan on cases" not in plan, title
        assert "Index" in plan, title
    assert sum(r.opened for r in rows) == pytest.approx(ITEMS * 30 / 1096, rel=0.1)
    assert elapsed < 1.0
