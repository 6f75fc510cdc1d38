"""Performance harness and the API driver shared by scripts, the benchmark and tests."""
