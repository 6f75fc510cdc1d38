"""The proxy-item catalog: versioned data seeded from config/catalog.toml."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..kernel.settings import CONFIG_DIR
from ..kernel.vocabulary import ItemKind, JointMode, Level
from ..store.models import CatalogItem

KINDS = tuple(ItemKind)
LEVELS = tuple(Level)
FIELDS = (
    "name",
    "name_en",
    "category",
    "kind",
    "level",
    "departments",
    "time_limit_days",
    "materials",
    "fee",
    "fee_note",
    "joint_mode",
    "vote_share",
)


@lru_cache(maxsize=1)
def catalog_file(path: Path | None = None) -> dict:
    return tomllib.loads((path or CONFIG_DIR / "catalog.toml").read_text(encoding="utf-8"))


def categories() -> dict[str, dict]:
    return catalog_file()["categories"]


def sync_catalog(session: Session) -> int:
    """Add each entry of the file whose content differs from its latest version. Returns how many."""
    added = 0
    for entry in catalog_file()["items"]:
        if entry["kind"] not in KINDS or entry["level"] not in LEVELS:
            raise ValueError(f"catalog item {entry['code']}: bad kind or level")
        latest = current_item(session, entry["code"])
        values = {f: entry.get(f) for f in FIELDS}
        values["fee"] = float(values["fee"] or 0)
        values["joint_mode"] = values["joint_mode"] or JointMode.ALL
        if values["joint_mode"] not in JointMode.codes() or (values["joint_mode"] == JointMode.VOTE) != (
            values["vote_share"] is not None
        ):
            raise ValueError(f"catalog item {entry['code']}: bad joint_mode or vote_share")
        values["vote_share"] = float(values["vote_share"]) if values["vote_share"] is not None else None
        # Compare with the file's own last version: an administrator's later change stays in force.
        from_file = session.scalar(
            select(CatalogItem)
            .where(CatalogItem.code == entry["code"], CatalogItem.origin == "file")
            .order_by(CatalogItem.version.desc())
            .limit(1)
        )
        if from_file is not None and all(getattr(from_file, f) == values[f] for f in FIELDS):
            continue
        if latest is not None:
            latest.active = False
        number = session.scalar(select(func.max(CatalogItem.version)).where(CatalogItem.code == entry["code"]))
        session.add(CatalogItem(code=entry["code"], version=(number or 0) + 1, active=True, origin="file", **values))
        added += 1
    session.flush()
    return added


def current_item(session: Session, code: str) -> CatalogItem | None:
    return session.scalar(select(CatalogItem).where(CatalogItem.code == code, CatalogItem.active.is_(True)))


def active_items(session: Session) -> list[CatalogItem]:
    return list(
        session.scalars(
            select(CatalogItem).where(CatalogItem.active.is_(True)).order_by(CatalogItem.category, CatalogItem.code)
        )
    )
