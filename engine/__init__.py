"""Daiban's domain and runtime. Never imports Flask: usable from scripts, tests and workers."""

# The models first: other modules import each other at the bottom of engine/models.py, so any
# `import engine.x` must find the tables defined before they run.
from . import models  # noqa: F401
