"""What every administration command shares: only administrators, only inside their own part of the tree."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..kernel.errors import Forbidden, NotFound
from ..kernel.i18n import N_
from ..kernel.text import is_clean_name
from ..kernel.vocabulary import Role
from ..store.models import OrgUnit, User


def require_admin(actor: User) -> list[str]:
    """The subtree paths the actor administers; Forbidden unless the actor is an administrator."""
    paths = [a.org_unit.path for a in actor.roles if a.role == Role.ADMIN]
    if not paths or not actor.active:
        raise Forbidden(N_("only administrators may do this"))
    return paths


def in_scope(paths: list[str], unit: OrgUnit) -> bool:
    return any(unit.path.startswith(p) for p in paths)


def scope_condition(paths: list[str]):
    """SQL: org units inside the administered subtrees."""
    return or_(*[OrgUnit.path.startswith(p) for p in paths])


def unit_in_scope(session: Session, paths: list[str], code, field: str = "unit") -> OrgUnit:
    """The unit `code` if the administrator may manage it (an unknown or foreign unit is NotFound)."""
    unit = session.scalar(select(OrgUnit).where(OrgUnit.code == code)) if isinstance(code, str) else None
    if unit is None or not in_scope(paths, unit):
        raise NotFound(N_("no such unit"), {field: N_("unknown unit")})
    return unit


def clean_text(value, limit: int) -> str | None:
    """A trimmed non-empty one-line string of at most `limit` characters without control or
    direction-override characters, else None."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value if value and len(value) <= limit and is_clean_name(value) else None
