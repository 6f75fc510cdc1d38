"""Daiban's performance harness: every figure measured side by side in one run.

.venv/bin/python -m bench                        # full run (raw, engine, http, growth; scale at 200k cases)
.venv/bin/python -m bench --quick                # smaller counts, for a smoke check
.venv/bin/python -m bench --tiny --json          # one case each, 1k scale cases: the keys, not the figures
.venv/bin/python -m bench --only scale --scale-cases 5000000   # the issue's 5M cases on PostgreSQL
.venv/bin/python -m bench --only raw,engine,http,growth,scale

How long: the default run is a quarter of an hour on the shared 2-core machine, most of it the HTTP
sections; the 5M scale run took 35 minutes there under heavy load (generation 26 min for 5M cases,
15M task rows and 2M timers in chunks of 500k, building the 16 indexes 8 min, then the measures),
and its throwaway database reached 6.6 GiB.

The table comes first; the last line is one JSON object with every figure under stable keys
(FIGURES; a section not run gives null), `--json` prints only that line. The targets of issue 20
are ratios to references measured in the same run (the machine is shared, absolute figures are
noisy): see the `*_vs_*` keys.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import sys
import tempfile
from pathlib import Path

from .common import fresh_database, percentiles
from .http_load import drive, worker_rss_mb
from .inproc import engine_commands, raw_spiff
from .servers import gunicorn, prepare, server_env

FIGURES = (
    "raw_stock",  # cases/s: bare SpiffWorkflow, its stock serializer storing state after every step
    "raw_compact",  # cases/s: bare SpiffWorkflow, Daiban's state codec after every step
    "raw_engine_only",  # cases/s: bare SpiffWorkflow, one workflow object in memory (no state stored)
    "engine_sqlite",  # cases/s: Daiban's commands in one process
    "engine_postgres",
    "http_sqlite",  # cases/s: end to end over HTTP, gunicorn, several clients
    "http_postgres",
    "complete_p95_ms_sqlite",
    "complete_p95_ms_postgres",
    "sql_per_complete",  # statements of one `complete` command (the larger of the two databases)
    "commits_per_complete",
    "rss_mb_max",  # the largest gunicorn worker after the HTTP runs
    "growth_30_departments",  # cost per step, joint item over 30 departments / over 3
    "growth_20_returns",  # cost per step, a part returned 20 times / none returned
    "inbox_p95_ms",  # PostgreSQL at scale_cases: the inbox page (tab counts + list), worst user
    "search_p95_ms",  # case search (查询), worst query and user
    "sweep_ms",  # the timer sweep with ten due among the open items' timers
    "scale_cases",
)
SECTIONS = "raw,engine,http,growth,scale"


def main() -> None:
    parser = argparse.ArgumentParser(description="Daiban performance harness")
    parser.add_argument("--quick", action="store_true", help="smaller counts, for a smoke check")
    parser.add_argument("--tiny", action="store_true", help="one case per figure: checks the harness, not speed")
    parser.add_argument("--json", action="store_true", help="print only the JSON line of figures")
    parser.add_argument("--only", default=SECTIONS)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--scale-cases", type=int, default=None, help="cases generated for the scale section")
    args = parser.parse_args()
    out = sys.stderr if args.json else sys.stdout
    with contextlib.redirect_stdout(out):
        figures, rows = run(args)
        width = max((len(k) for k, _ in rows), default=0)
        print("\n" + "\n".join(f"{k:<{width}}  {v}" for k, v in rows))
    sys.stdout.write(json.dumps(figures, ensure_ascii=False) + "\n")


def run(args) -> tuple[dict, list[tuple[str, str]]]:
    sections = set(args.only.split(","))
    n = 1 if args.tiny else 10 if args.quick else 60
    scale_cases = args.scale_cases or (1_000 if args.tiny else 20_000 if args.quick else 200_000)
    rows: list[tuple[str, str]] = []
    figures: dict = dict.fromkeys(FIGURES)
    with tempfile.TemporaryDirectory() as tmp:
        if "raw" in sections:
            rows += _raw(tmp, n, figures)
        for backend in ("sqlite", "postgres"):
            if "engine" in sections:
                rows += _engine(backend, tmp, n, figures)
            if "http" in sections:
                rows += _http(backend, tmp, args, n, figures)
        if "growth" in sections:
            from .growth import growth

            with fresh_database("sqlite", tmp) as url:
                g = growth(url, 1 if args.tiny or args.quick else 3)
            figures.update({k: g[k] for k in ("growth_30_departments", "growth_20_returns")})
            rows.append(
                (
                    "growth, ms per step (SQLite, in-process)",
                    f"3 departments {g['step_ms_3_departments']:.1f}; 30 departments "
                    f"{g['step_ms_30_departments']:.1f} (×{g['growth_30_departments']:.2f}); a part returned "
                    f"20 times {g['step_ms_20_returns']:.1f} (×{g['growth_20_returns']:.2f})",
                )
            )
        if "scale" in sections:
            from .scale import scale_rows

            rows += scale_rows(tmp, scale_cases, figures, samples=5 if args.tiny else 30)
    rows += _ratios(figures)
    return figures, rows


def _raw(tmp: str, n: int, figures: dict) -> list[tuple[str, str]]:
    with fresh_database("sqlite", tmp) as url:
        compact = raw_spiff(url, n)
        stock = raw_spiff(url, max(1, n // 4), full_state=True)
        bare = raw_spiff(url, n, store_state=False)
    figures["raw_stock"] = stock["cases_per_s"]
    figures["raw_compact"] = compact["cases_per_s"]
    figures["raw_engine_only"] = bare["cases_per_s"]
    return [
        ("raw SpiffWorkflow, engine only (no state stored)", f"{bare['cases_per_s']:.1f} cases/s"),
        ("raw SpiffWorkflow, Daiban's state codec per step", f"{compact['cases_per_s']:.1f} cases/s"),
        ("raw SpiffWorkflow, stock serializer per step", f"{stock['cases_per_s']:.1f} cases/s"),
        ("stored state of a closed case", f"{compact['state_bytes'] / 1024:.1f} KiB"),
    ]


def _engine(backend: str, tmp: str, n: int, figures: dict) -> list[tuple[str, str]]:
    with fresh_database(backend, tmp) as url:
        r = engine_commands(url, n)
    figures[f"engine_{backend}"] = r["cases_per_s"]
    for key in ("sql_per_complete", "commits_per_complete"):
        figures[key] = max(figures[key] or 0, r[key])
    return [
        (
            f"engine commands in-process, {backend}",
            f"{r['cases_per_s']:.1f} cases/s, {r['sql_per_case']:.0f} SQL and {r['commits_per_case']:.0f} commits "
            f"per case; per complete {r['sql_per_complete']:.1f} SQL, {r['commits_per_complete']:.1f} commits",
        )
    ]


def _http(backend: str, tmp: str, args, n: int, figures: dict) -> list[tuple[str, str]]:
    with fresh_database(backend, tmp) as url:
        env = server_env(Path(tmp) / f"var-{backend}", url)
        stats = Path(tmp) / f"cache-{backend}"
        stats.mkdir()
        env["DAIBAN_BENCH_STATS"] = str(stats)
        prepare(env)
        with gunicorn(env, workers=args.workers, with_pid=True, config="python:bench.gunicorn_stats") as (base, pid):
            result = drive(base, args.clients, max(1, n // args.clients))
            rss = worker_rss_mb(pid)
        cache = [json.loads(f.read_text()) for f in stats.glob("*.json")]
    figures[f"http_{backend}"] = result["cases_per_s"]
    figures["rss_mb_max"] = max([figures["rss_mb_max"] or 0, *rss])
    rows = [
        (
            f"end-to-end HTTP joint case, {backend} ({args.clients} clients, {args.workers} workers)",
            f"{result['cases_per_s']:.1f} cases/s",
        )
    ]
    by_kind = collections.defaultdict(list)
    for kind, seconds in result["timings"]:
        by_kind[kind].append(seconds)
    for kind, samples in sorted(by_kind.items()):
        p = percentiles(samples)
        if kind == "complete":
            figures[f"complete_p95_ms_{backend}"] = p["p95"]
        rows.append(
            (f"  {kind} ({p['n']} requests)", f"p50 {p['p50']:.1f} ms, p95 {p['p95']:.1f} ms, p99 {p['p99']:.1f} ms")
        )
    rows.append(("  worker RSS", ", ".join(f"{mb:.0f} MB" for mb in rss)))
    hits, misses = sum(c["hits"] for c in cache), sum(c["misses"] for c in cache)
    if hits + misses:  # the warm-up included: every command a worker ran
        figures[f"workflow_cache_hit_rate_{backend}"] = hits / (hits + misses)
        rows.append(("  workflow cache hits", f"{hits / (hits + misses):.0%} of {hits + misses} commands"))
    return rows


def _ratios(figures: dict) -> list[tuple[str, str]]:
    """The issue's targets: end to end ≥ 1.5× the stock loop; in-process ≥ 50% of the engine alone."""
    rows = []
    for name, over, under in [
        ("http_sqlite_vs_raw_stock", "http_sqlite", "raw_stock"),
        ("http_postgres_vs_raw_stock", "http_postgres", "raw_stock"),
        ("engine_sqlite_vs_raw_engine_only", "engine_sqlite", "raw_engine_only"),
        ("engine_postgres_vs_raw_engine_only", "engine_postgres", "raw_engine_only"),
    ]:
        if figures.get(over) and figures.get(under):
            figures[name] = figures[over] / figures[under]
            rows.append((name.replace("_", " "), f"{figures[name]:.2f}×"))
    return rows


if __name__ == "__main__":
    main()
