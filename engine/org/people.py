"""Administering people: accounts, role assignments per unit, deactivation, passwords, who is online.

Accounts are never deleted: events and cases keep naming their users.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, not_, or_, select, update
from sqlalchemy.orm import Session

from ..kernel.clock import utcnow
from ..kernel.errors import Conflict, Invalid, NotFound
from ..kernel.i18n import N_
from ..kernel.passwords import hash_password
from ..kernel.vocabulary import EventType, Role
from ..store.db import rowcount
from ..store.models import OrgUnit, RoleAssignment, User
from ..store.paging import Page, clamp_page, iso
from ..store.throttle import DEVICE_PREFIX, lockouts
from ..store.unit_of_work import Work, execute
from .admin_scope import clean_text, in_scope, require_admin, scope_condition
from .roles import roles

USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{2,120}$")
MIN_PASSWORD = 8
ONLINE = timedelta(minutes=5)
SEEN_EVERY = timedelta(minutes=1)


def new_password() -> str:
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"  # easy to read out and type on a phone
    return "".join(secrets.choice(alphabet) for _ in range(10))


def user_dict(user: User, now: datetime | None = None) -> dict:
    now = now or utcnow()
    return {
        "username": user.username,
        "display_name": user.display_name,
        "active": user.active,
        "roles": [{"role": a.role, "org_unit": a.org_unit.code} for a in user.roles],
        "created_at": iso(user.created_at),
        "last_seen_at": iso(user.last_seen_at),
        "online": is_online(user, now),
    }


def is_online(user: User, now: datetime) -> bool:
    return user.active and user.last_seen_at is not None and now - user.last_seen_at < ONLINE


def _visible_users(paths: list[str]):
    """Users every one of whose role assignments lies inside the administered subtrees (or who hold none).

    A township administrator must not reach a county account that merely also holds a township role:
    resetting its password would hand the township the whole county."""
    outside = select(RoleAssignment.user_id).join(OrgUnit).where(not_(scope_condition(paths)))
    return User.id.not_in(outside)


def list_users(
    session: Session,
    actor: User,
    q: str | None = None,
    online: bool = False,
    page=1,
    per_page=50,
    now: datetime | None = None,
) -> Page:
    paths = require_admin(actor)
    page, per_page = clamp_page(page, per_page, default=50)
    query = select(User).where(_visible_users(paths))
    if q:
        like = f"%{q.strip()[:60]}%"
        query = query.where(or_(User.username.ilike(like), User.display_name.ilike(like)))
    if online:
        query = query.where(User.active.is_(True), User.last_seen_at >= (now or utcnow()) - ONLINE)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = list(session.scalars(query.order_by(User.username).limit(per_page).offset((page - 1) * per_page)))
    return Page(items, total, page, per_page)


def get_user(session: Session, actor: User, username) -> User:
    paths = require_admin(actor)
    user = (
        session.scalar(select(User).where(User.username == username, _visible_users(paths)))
        if isinstance(username, str)
        else None
    )
    if user is None:
        raise NotFound(N_("no such user"))
    return user


def check_role_and_unit(session: Session, paths: list[str], role, unit_code, errors: dict, prefix: str = ""):
    if not isinstance(role, str) or role not in roles():
        errors[prefix + "role"] = N_("unknown role")
    unit = session.scalar(select(OrgUnit).where(OrgUnit.code == unit_code)) if isinstance(unit_code, str) else None
    if unit is None or not in_scope(paths, unit):
        errors[prefix + "unit"] = N_("unknown unit")
    elif not unit.active:
        errors[prefix + "unit"] = N_("the unit is retired")
    return unit


def check_new_user(session: Session, paths: list[str], body: dict, errors: dict, prefix: str = "") -> list:
    """Validate one new account (API body or import row); returns its [(role, unit)]."""
    username = body.get("username")
    if not isinstance(username, str) or not USERNAME.match(username):
        errors[prefix + "username"] = N_("2 to 120 letters, digits or . _ @ -")
    elif session.scalar(select(User.id).where(User.username == username)) is not None:
        errors[prefix + "username"] = N_("already taken")
    if clean_text(body.get("display_name"), 200) is None:
        errors[prefix + "display_name"] = N_("required, at most 200 characters")
    password = body.get("password")
    if password not in (None, "") and (not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= 200):
        errors[prefix + "password"] = N_("at least 8 characters")
    pairs = []
    wanted = body.get("roles", [])
    if not isinstance(wanted, list):
        errors[prefix + "roles"] = N_("a list of roles")
        wanted = []
    for n, item in enumerate(wanted):
        item = item if isinstance(item, dict) else {}
        unit = check_role_and_unit(session, paths, item.get("role"), item.get("unit"), errors, f"{prefix}roles.{n}.")
        pairs.append((item.get("role"), unit))
    return pairs


def add_user(session: Session, body: dict, pairs: list, now: datetime) -> tuple[User, str]:
    """Create a checked account; returns it and its initial password (generated when none was given)."""
    password = body.get("password") or new_password()
    user = User(
        username=body["username"],
        display_name=body["display_name"].strip(),
        password_hash=hash_password(password),
        active=True,
        created_at=now,
    )
    session.add(user)
    session.flush()
    for role, unit in dict.fromkeys((r, u) for r, u in pairs):
        session.add(RoleAssignment(user_id=user.id, role=role, org_unit_id=unit.id))
    return user, password


def create_user(session: Session, actor: User, body: dict, now: datetime | None = None) -> tuple[User, str]:
    def act(work: Work) -> tuple[User, str]:
        paths = require_admin(actor)
        errors: dict[str, str] = {}
        pairs = check_new_user(session, paths, body, errors)
        if errors:
            raise Invalid(N_("the user cannot be created"), errors)
        user, password = add_user(session, body, pairs, work.now)
        work.event(EventType.USER_CREATED, None, user=user.username, roles=[f"{r}@{u.code}" for r, u in pairs])
        return user, password

    user, password = execute(session, actor, act, now)
    session.refresh(user)  # read back with its roles
    return user, password


def assign_role(session: Session, actor: User, username, role, unit_code, now: datetime | None = None) -> User:
    def act(work: Work) -> User:
        paths = require_admin(actor)
        user = get_user(session, actor, username)
        errors: dict[str, str] = {}
        unit = check_role_and_unit(session, paths, role, unit_code, errors)
        if errors:
            raise Invalid(N_("the role cannot be assigned"), errors)
        if any(a.role == role and a.org_unit_id == unit.id for a in user.roles):
            raise Conflict(N_("the user already has this role there"))
        session.add(RoleAssignment(user_id=user.id, role=role, org_unit_id=unit.id))
        work.event(EventType.ROLE_ASSIGNED, None, user=user.username, role=role, unit=unit.code)
        return user

    user = execute(session, actor, act, now)
    session.refresh(user)  # read back with its roles
    return user


def remove_role(session: Session, actor: User, username, role, unit_code, now: datetime | None = None) -> User:
    def act(work: Work) -> User:
        paths = require_admin(actor)
        user = get_user(session, actor, username)
        found = next(
            (a for a in user.roles if a.role == role and a.org_unit.code == unit_code and in_scope(paths, a.org_unit)),
            None,
        )
        if found is None:
            raise NotFound(N_("the user has no such role"))
        if user.id == actor.id and role == Role.ADMIN:
            raise Conflict(N_("you cannot remove your own administrator role"))
        session.delete(found)
        work.event(EventType.ROLE_REMOVED, None, user=user.username, role=role, unit=unit_code)
        return user

    user = execute(session, actor, act, now)
    session.refresh(user)  # read back without the role
    return user


def set_active(session: Session, actor: User, username, active: bool, now: datetime | None = None) -> User:
    def act(work: Work) -> User:
        user = get_user(session, actor, username)
        if user.id == actor.id:
            raise Conflict(N_("you cannot deactivate yourself"))
        if user.active == active:
            return user  # already so: nothing changes, no event
        user.active = active
        work.event(EventType.USER_ACTIVATED if active else EventType.USER_DEACTIVATED, None, user=user.username)
        return user

    return execute(session, actor, act, now)


def reset_password(session: Session, actor: User, username, password=None, now: datetime | None = None) -> str:
    """Set a new password (generated unless given); old sessions' API tokens stop working."""

    def act(work: Work) -> str:
        user = get_user(session, actor, username)
        if password not in (None, "") and (not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= 200):
            raise Invalid(N_("the password cannot be set"), {"password": N_("at least 8 characters")})
        chosen = password or new_password()
        user.password_hash = hash_password(chosen)
        user.session_epoch += 1  # whoever was signed in as the user is signed out everywhere
        work.event(EventType.PASSWORD_RESET, None, user=user.username)
        return chosen

    return execute(session, actor, act, now)


def login_lockouts(session: Session, actor: User, now: datetime | None = None) -> list[dict]:
    """Logins that must wait right now (engine/store/throttle.py), for the administrators: a township
    administrator sees its own people's; an administrator of the whole county also sees unknown usernames
    and addresses trying many usernames (password spraying)."""
    paths = require_admin(actor)
    found = lockouts(session, now)
    county_wide = any(path.count("/") == 2 for path in paths)  # "/qx/": the root of the tree
    named = {lock.username for lock in found if lock.username}
    managed = set(session.scalars(select(User.username).where(User.username.in_(named), _visible_users(paths))))
    return [
        {
            "username": lock.username,
            "address": None if lock.source == "*" or lock.source.startswith(DEVICE_PREFIX) else lock.source,
            "known_browser": lock.source.startswith(DEVICE_PREFIX),
            "any_address": lock.source == "*",
            "failures": lock.failures,
            "last_failure_at": lock.last_at,
            "until": lock.until,
        }
        for lock in found
        if county_wide or lock.username in managed
    ]


def end_sessions(session: Session, actor: User, now: datetime | None = None) -> None:
    """Logout: the actor's web sessions and API tokens, on every device, stop working (one event)."""

    def act(work: Work) -> None:
        actor.session_epoch += 1
        work.event(EventType.SIGNED_OUT, None, user=actor.username)

    execute(session, actor, act, now)


def touch_last_seen(session: Session, user: User, now: datetime | None = None) -> bool:
    """Note that the user is active, at most once a minute (one conditional UPDATE, no event).

    Not a command but presence bookkeeping, like the rate counters (engine/oversight/ratelimit.py) and login
    failures (engine/store/throttle.py): it runs before every signed-in request, must persist whatever the
    request does next, and records no event; so it commits itself instead of going through the pipeline
    (tests/test_pipeline_only.py allows this one function)."""
    now = now or utcnow()
    if user.last_seen_at is not None and now - user.last_seen_at < SEEN_EVERY:
        return False
    done = rowcount(
        session.execute(
            update(User)
            .where(User.id == user.id, or_(User.last_seen_at.is_(None), User.last_seen_at < now - SEEN_EVERY))
            .values(last_seen_at=now)
            .execution_options(synchronize_session=False)
        )
    )
    session.commit()
    return bool(done)
