"""Daiban's domain and runtime. Never imports Flask: usable from scripts, tests and workers.

Layers, each importing only those below it (the import-linter contract in pyproject.toml):
oversight → read → cases → library → org → runtime → store → kernel.
"""
