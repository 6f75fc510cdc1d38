"""Daiban's performance harness: every figure measured side by side in one run.

.venv/bin/python -m bench            # full run (a few minutes)
.venv/bin/python -m bench --quick    # smaller counts, for a smoke check
.venv/bin/python -m bench --only raw,engine,http,scale
"""

from __future__ import annotations

import argparse
import collections
import tempfile
from pathlib import Path

from .common import fresh_database, percentiles
from .http_load import drive, worker_rss_mb
from .inproc import engine_commands, raw_spiff
from .servers import gunicorn, prepare, server_env


def main() -> None:
    parser = argparse.ArgumentParser(description="Daiban performance harness")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default="raw,engine,http,scale")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    sections = set(args.only.split(","))
    n = 10 if args.quick else 60
    rows: list[tuple[str, str]] = []
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        if "raw" in sections:
            with fresh_database("sqlite", tmp) as url:
                compact = raw_spiff(url, n)
                stock = raw_spiff(url, max(3, n // 4), full_state=True)
            figures["raw"] = compact["cases_per_s"]
            rows += [
                ("raw SpiffWorkflow, compact state per step", f"{compact['cases_per_s']:.1f} cases/s"),
                ("raw SpiffWorkflow, stock serializer per step", f"{stock['cases_per_s']:.1f} cases/s"),
                ("stored state of a closed case", f"{compact['state_bytes'] / 1024:.1f} KiB"),
            ]
        for backend in ("sqlite", "postgres"):
            if "engine" in sections:
                with fresh_database(backend, tmp) as url:
                    r = engine_commands(url, n)
                rows.append(
                    (
                        f"engine commands in-process, {backend}",
                        f"{r['cases_per_s']:.1f} cases/s, {r['sql_per_case']:.0f} SQL and "
                        f"{r['commits_per_case']:.0f} commits per case",
                    )
                )
            if "http" in sections:
                rows += _http(backend, tmp, args, n, figures)
        if "scale" in sections:
            from .scale import scale_rows

            rows += scale_rows(tmp, quick=args.quick)
    width = max(len(k) for k, _ in rows)
    print("\n" + "\n".join(f"{k:<{width}}  {v}" for k, v in rows))
    for backend in ("sqlite", "postgres"):
        if "raw" in figures and f"http-{backend}" in figures:
            print(f"end-to-end {backend} / raw in-process: {figures[f'http-{backend}'] / figures['raw']:.1%}")


def _http(backend: str, tmp: str, args, n: int, figures: dict) -> list[tuple[str, str]]:
    with fresh_database(backend, tmp) as url:
        env = server_env(Path(tmp) / f"var-{backend}", url)
        prepare(env)
        with gunicorn(env, workers=args.workers, with_pid=True) as (base, pid):
            result = drive(base, args.clients, max(1, n // args.clients))
            rss = worker_rss_mb(pid)
    figures[f"http-{backend}"] = result["cases_per_s"]
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
        rows.append(
            (f"  {kind} ({p['n']} requests)", f"p50 {p['p50']:.1f} ms, p95 {p['p95']:.1f} ms, p99 {p['p99']:.1f} ms")
        )
    rows.append(("  worker RSS", ", ".join(f"{mb:.0f} MB" for mb in rss)))
    return rows


if __name__ == "__main__":
    main()
