"""Drive one item end to end over the API of a running Daiban and print how long it took.

.venv/bin/python scripts/drive_case.py [--url http://127.0.0.1:8000] [--catalog house-building] [--village t1-v1]
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.driver import Driver, http_transport


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--catalog", default="house-building")
    parser.add_argument("--village", default="t1-v1")
    args = parser.parse_args()
    driver = Driver(http_transport(args.url))
    driver.token(f"village_agent@{args.village}")
    started = time.perf_counter()
    case = driver.open_case(f"village_agent@{args.village}", args.catalog, args.village)
    case, steps = driver.run_to_end(case)
    elapsed = time.perf_counter() - started
    for task, user in steps:
        print(f"  {task:<24} {user}")
    print(
        f"{case['receipt_code']}: {case['status']} after {len(steps)} steps, "
        f"{driver.requests} requests, {elapsed:.3f} s"
    )


if __name__ == "__main__":
    main()
