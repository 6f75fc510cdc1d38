"""The household register (农户台账): register a household, list what a user may see, and which priority
households are due or overdue for a visit by their tags' periods."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Text, cast, false, func, or_, select
from sqlalchemy.orm import Session

from ..kernel.clock import utcnow
from ..kernel.errors import Invalid, NotFound
from ..kernel.i18n import N_
from ..kernel.vocabulary import EventType, Role, UnitKind
from ..org.org import unit_by_code
from ..store.asking_tables import Household
from ..store.models import OrgUnit, RoleAssignment, User
from ..store.paging import Page, clamp_page, paginate, parse_id
from ..store.unit_of_work import Work, execute
from .scope import may_see, village_for, village_ids
from .tags import tags, visit_period

PHONE = re.compile(r"^\+?[0-9][0-9 -]{5,18}[0-9]$")
MAX_MEMBERS = 30


def _text(body: dict, name: str, errors: dict, limit: int, required: bool = True) -> str:
    value = body.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        errors[name] = N_("required")
        return ""
    if len(value) > limit:
        errors[name] = N_("too long")
        return ""
    return value.strip()


def _members(value, errors: dict) -> list[dict]:
    """Household members as [{"name", "relation"}]; a plain name is a member of unknown relation."""
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_MEMBERS:
        errors["members"] = N_("a list of at most 30 members")
        return []
    out = []
    for member in value:
        if isinstance(member, str):
            member = {"name": member}
        name = member.get("name") if isinstance(member, dict) else None
        relation = member.get("relation") if isinstance(member, dict) else None
        if not isinstance(name, str) or not name.strip() or len(name) > 100:
            errors["members"] = N_("each member needs a name of at most 100 characters")
            return []
        if relation is not None and (not isinstance(relation, str) or len(relation) > 30):
            errors["members"] = N_("a relation is at most 30 characters")
            return []
        out.append({"name": name.strip(), "relation": (relation or "").strip()})
    return out


def _tags(value, errors: dict) -> list[str]:
    if value is None:
        return []
    known = tags()
    if not isinstance(value, list) or not all(isinstance(t, str) and t in known for t in value):
        errors["tags"] = N_("unknown priority tag")
        return []
    return list(dict.fromkeys(value))


def _group(session: Session, village: OrgUnit, code, errors: dict) -> OrgUnit | None:
    if code in (None, ""):
        return None
    group = unit_by_code(session, code) if isinstance(code, str) else None
    if group is None or group.kind != UnitKind.GROUP or group.parent_id != village.id:
        errors["group"] = N_("not a villager group of this village")
        return None
    return group


def _agent(session: Session, actor: User, village: OrgUnit, username, errors: dict) -> User | None:
    """The responsible agent (责任区): an agent of the village or one of its groups; by default the
    registering agent when they are one."""
    if username in (None, ""):
        return actor if _agent_of(actor, village) else None
    user = session.scalar(select(User).where(User.username == username)) if isinstance(username, str) else None
    if user is None or not user.active or not _agent_of(user, village):
        errors["agent"] = N_("not an agent of this village")
        return None
    return user


def _agent_of(user: User, village: OrgUnit) -> bool:
    return any(
        (a.role == Role.VILLAGE_AGENT and a.org_unit_id == village.id)
        or (a.role == Role.GROUP_AGENT and a.org_unit.parent_id == village.id)
        for a in user.roles
    )


def check_household(session: Session, actor: User, body: dict, errors: dict) -> dict:
    """The fields of a new household from `body`, cleaned; problems go to `errors` by field. The village must
    be one the actor keeps records for (Forbidden otherwise; an unknown village is an error)."""
    village = village_for(session, actor, body.get("village"))
    head = _text(body, "head_name", errors, 100)
    phone = body.get("phone")
    if not isinstance(phone, str) or not PHONE.match(phone.strip()):
        errors["phone"] = N_("a phone number is required")
        phone = ""
    address = _text(body, "address", errors, 300, required=False)
    members = _members(body.get("members"), errors)
    tag_codes = _tags(body.get("tags"), errors)
    group = _group(session, village, body.get("group"), errors)
    agent = _agent(session, actor, village, body.get("agent"), errors)
    return {
        "village_id": village.id,
        "group_id": group.id if group else None,
        "head_name": head,
        "phone": phone.strip(),
        "members": members,
        "address": address,
        "tags": tag_codes,
        "agent_id": agent.id if agent else None,
    }


def register_household(session: Session, actor: User, body, now: datetime | None = None) -> Household:
    """登记农户: one household of the register, with its priority tags and responsible agent."""
    if not isinstance(body, dict):
        raise Invalid(N_("the body must be a JSON object"), {"body": N_("a JSON object")})

    def act(work: Work) -> Household:
        errors: dict[str, str] = {}
        fields = check_household(work.session, actor, body, errors)
        if errors:
            raise Invalid(N_("the household cannot be registered"), errors)
        household = Household(**fields, created_at=work.now, created_by_id=actor.id)
        work.session.add(household)
        work.session.flush()
        work.event(
            EventType.HOUSEHOLD_REGISTERED,
            household_id=household.id,
            village=household.village.code,
            head=fields["head_name"],
        )
        return household

    return execute(session, actor, act, now)


def get_household(session: Session, user: User, household_id) -> Household:
    number = parse_id(household_id)
    household = session.get(Household, number) if number else None
    if household is None or not may_see(user, household.village):
        raise NotFound(N_("no such household"))
    return household


def register_query(user: User, village: str | None, tag: str | None, q: str | None):
    query = select(Household).where(Household.village_id.in_(village_ids(user)))
    if village:
        query = query.join(OrgUnit, OrgUnit.id == Household.village_id).where(OrgUnit.code == village)
    if tag:
        # JSON containment differs by backend; a tag code is plain ASCII, so the quoted code is exact.
        known = tag in tags()
        query = query.where(cast(Household.tags, Text()).contains(f'"{tag}"') if known else false())
    if q:
        words = q.strip()[:50]
        query = query.where(
            or_(
                Household.head_name.contains(words, autoescape=True),
                Household.phone.endswith(words, autoescape=True),
                Household.address.contains(words, autoescape=True),
            )
        )
    return query


def list_households(session: Session, user: User, village=None, tag=None, q=None, page=None, per_page=None) -> Page:
    page_no, size = clamp_page(page, per_page)
    query = register_query(user, _short(village), _short(tag), _short(q, 50)).order_by(
        Household.village_id, Household.id
    )
    return paginate(session, query, page_no, size)


def _short(value, limit: int = 64) -> str | None:
    return value if isinstance(value, str) and value.strip() and len(value) <= limit else None


@dataclass
class DueVisit:
    household: Household
    due_at: datetime
    overdue: bool
    period_days: int


def due_visits(session: Session, user: User, village=None, now: datetime | None = None, agent_only=False) -> list:
    """Priority households whose next visit is due (from their last contact, or registration, plus the
    shortest period of their tags), soonest first; overdue ones are past it."""
    now = now or utcnow()
    query = register_query(user, _short(village), None, None).where(func.length(cast(Household.tags, Text())) > 2)
    if agent_only:
        query = query.where(Household.agent_id == user.id)
    due = []
    for household in session.scalars(query):
        period = visit_period(household.tags)
        if period is None:
            continue
        due_at = (household.last_visited_at or household.created_at) + timedelta(days=period)
        due.append(DueVisit(household, due_at, due_at < now, period))
    return sorted(due, key=lambda d: (d.due_at, d.household.id))


def agents_of(session: Session, village: OrgUnit) -> list[User]:
    """The agents who may be responsible for households of this village."""
    groups = select(OrgUnit.id).where(OrgUnit.parent_id == village.id)
    return list(
        session.scalars(
            select(User)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(
                User.active.is_(True),
                or_(
                    (RoleAssignment.role == Role.VILLAGE_AGENT) & (RoleAssignment.org_unit_id == village.id),
                    (RoleAssignment.role == Role.GROUP_AGENT) & RoleAssignment.org_unit_id.in_(groups),
                ),
            )
            .order_by(User.username)
        ).unique()
    )


EDITABLE = ("group", "head_name", "phone", "members", "address", "tags", "agent")


def update_household(session: Session, actor: User, household_id, body, now: datetime | None = None) -> Household:
    """修改农户: the fields given change (the village does not: register the household there instead); a change
    that changes nothing records nothing."""
    if not isinstance(body, dict):
        raise Invalid(N_("the body must be a JSON object"), {"body": N_("a JSON object")})

    def act(work: Work) -> Household:
        household = get_household(work.session, actor, household_id)
        current = {
            "village": household.village.code,
            "group": household.group.code if household.group else None,
            "head_name": household.head_name,
            "phone": household.phone,
            "members": household.members,
            "address": household.address,
            "tags": household.tags,
            "agent": household.agent.username if household.agent else "",
        }
        errors: dict[str, str] = {}
        fields = check_household(
            work.session, actor, {**current, **{k: body[k] for k in EDITABLE if k in body}}, errors
        )
        if errors:
            raise Invalid(N_("the household cannot be changed"), errors)
        if "agent" not in body:
            fields["agent_id"] = household.agent_id  # unchanged, even when nobody is responsible yet
        changed = sorted(k for k, v in fields.items() if getattr(household, k) != v)
        for name in changed:
            setattr(household, name, fields[name])
        if changed:
            work.session.flush()
            work.event(EventType.HOUSEHOLD_CHANGED, household_id=household.id, fields=changed)
        return household

    return execute(session, actor, act, now)
