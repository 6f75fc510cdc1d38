#!/usr/bin/env bash
# The big fuzzing run (issue #8): schemathesis with enough examples for >10,000 calls per user, then the
# hostile-input generators (issue #18: deep JSON, extreme dates, non-finite numbers, nested arrays where
# scalars belong, control characters) against every operation as five users, on a live demo server.
#   bench/fuzz.sh            prints the calls generated and any server errors
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZ_EXAMPLES=${FUZZ_EXAMPLES:-20} FUZZ_SECONDS=${FUZZ_SECONDS:-900} FUZZ_PHASES=all \
  .venv/bin/python -m pytest -q -s tests/test_fuzz_api.py
.venv/bin/python -m bench.hostile
