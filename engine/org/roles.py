"""Role definitions (config/roles.toml): lane names of the diagrams are role codes."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache

from ..kernel.settings import CONFIG_DIR


@dataclass(frozen=True)
class Role:
    code: str
    name: str
    name_en: str
    level: str
    unit: str  # how a task in this lane finds its org unit, e.g. "case.village"


@lru_cache(maxsize=1)
def roles() -> dict[str, Role]:
    data = tomllib.loads((CONFIG_DIR / "roles.toml").read_text(encoding="utf-8"))
    return {code: Role(code, r["name"], r["name_en"], r["level"], r["unit"]) for code, r in data.items()}
