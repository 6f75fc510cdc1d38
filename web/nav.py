"""Who may open each page the top bar links to: one predicate per endpoint, asked by the top bar (a link shows
only when its page would answer) and by the page itself (`@guarded` answers 403 otherwise), so the navigation
and the route guards cannot disagree. tests/test_nav_by_permission.py opens every link as every demo role."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort, request
from flask_login import current_user

from engine.kernel.vocabulary import (
    BATCH_ROLES,
    CATALOG_APPROVER_ROLES,
    EDITOR_ROLES,
    SUPERVISION_ROLES,
    Role,
)
from engine.org.access import opening_villages
from engine.store.models import User

from .extensions import db


def _holds(*roles) -> Callable[[User], bool]:
    codes = {code for r in roles for code in ([r] if isinstance(r, str) else r)}
    return lambda user: any(a.role in codes for a in user.roles)


def _opens_items(user: User) -> bool:
    """新建代办: only those with a village where they may open an item (agents, the window)."""
    return bool(opening_villages(db.session, user))


MAY_VISIT: dict[str, Callable[[User], bool]] = {
    "cases.new": _opens_items,
    "window.incoming": _holds(Role.COUNTY_WINDOW),
    "window.batch_list": _holds(BATCH_ROLES),
    "modeler.index": _holds(EDITOR_ROLES),
    "admin.index": _holds(CATALOG_APPROVER_ROLES),
    "admin.catalog": _holds(CATALOG_APPROVER_ROLES),
    "supervision.dashboard": _holds(SUPERVISION_ROLES),
}


def may_visit(endpoint: str, user: User | None = None) -> bool:
    """Whether the signed-in user (or `user`) may open the page of `endpoint`; pages not listed are open to
    every signed-in person."""
    if user is None:
        if not current_user.is_authenticated:
            return False
        user = current_user.user
    rule = MAY_VISIT.get(endpoint)
    return rule is None or rule(user)


def guarded(view):
    """A 403 for whoever the top bar does not show this page to (the rule of `MAY_VISIT`)."""

    @wraps(view)
    def checked(*args, **kwargs):
        if not may_visit(request.endpoint or ""):
            abort(403)
        return view(*args, **kwargs)

    return checked
