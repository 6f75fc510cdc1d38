"""Daiban's domain and runtime. Never imports Flask: usable from scripts, tests and workers."""
