"""The priority tags of households (重点户) and how often each must be visited: data in config/households.toml."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache

from ..kernel.settings import CONFIG_DIR


@dataclass(frozen=True)
class Tag:
    code: str
    zh: str
    en: str
    visit_days: int

    def label(self, locale: object = None) -> str:
        return self.en if locale is not None and str(locale).lower().startswith("en") else self.zh


@lru_cache(maxsize=1)
def config() -> dict:
    return tomllib.loads((CONFIG_DIR / "households.toml").read_text(encoding="utf-8"))


def tags() -> dict[str, Tag]:
    """Every priority tag by its code, in the file's order."""
    return {t["code"]: Tag(t["code"], t["zh"], t["en"], int(t["visit_days"])) for t in config()["tags"]}


def visit_period(codes: list[str]) -> int | None:
    """Days between two visits a household with these tags may wait: the shortest of its tags'; None when
    it has no priority tag (no visit is due)."""
    known = tags()
    periods = [known[c].visit_days for c in codes if c in known]
    return min(periods) if periods else None


def callback_working_days() -> int:
    return int(config().get("requests", {}).get("callback_working_days", 1))


def referral_item() -> str:
    """The catalog item a dispute referred to mediation opens (config/households.toml [referral])."""
    return str(config().get("referral", {}).get("catalog_code", "civil-dispute-mediation"))
