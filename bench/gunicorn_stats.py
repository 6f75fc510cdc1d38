"""gunicorn settings for the bench's HTTP runs: each worker, as it exits, writes its workflow cache's
hits and misses (engine/runtime/spiff.py WORKFLOWS) to $DAIBAN_BENCH_STATS/<pid>.json."""

from __future__ import annotations

import json
import os
from pathlib import Path


def worker_exit(server, worker) -> None:
    folder = os.environ.get("DAIBAN_BENCH_STATS")
    if not folder:
        return
    from engine.runtime.spiff import WORKFLOWS

    Path(folder, f"{worker.pid}.json").write_text(json.dumps({"hits": WORKFLOWS.hits, "misses": WORKFLOWS.misses}))
