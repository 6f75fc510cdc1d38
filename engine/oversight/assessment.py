"""Assessment figures (考核) for supervisors, computed in SQL over cases (test runs never count).

An item counts in the month it was opened (its cohort): volume is how many
were opened, the completion rate (办结率) how many of them are closed, the
on-time rate how many of the closed ones closed by their deadline, and the
satisfaction rate how many of the rated ones were satisfied or basically
satisfied. An agent's figures are those of the items they opened (first-ask
owner, 首问负责). One range scan over (township or village, opened_at) serves a
whole county's month.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from ..kernel.dates import EARLIEST, LATEST, OUT_OF_RANGE
from ..kernel.errors import Forbidden, Invalid, NotFound
from ..kernel.i18n import N_
from ..kernel.settings import CONFIG_DIR
from ..kernel.vocabulary import GOOD_RATINGS, SUPERVISION_ROLES, CaseStatus, UnitKind
from ..library.catalog import categories
from ..org.org import unit_by_code
from ..store.calendar import TZ
from ..store.models import Case, CatalogItem, OrgUnit, User
from ..store.notice_tables import Urge

GROUPINGS = ("township", "village", "agent", "category", "month")
SATISFIED = tuple(sorted(GOOD_RATINGS))  # 非常满意, 满意, 基本满意


def rating_that_counts():
    """SQL: the resident's own rating when they gave one, else the one the agent recorded."""
    return func.coalesce(Case.resident_rating, Case.rating)


@lru_cache(maxsize=1)
def config() -> dict:
    return tomllib.loads((CONFIG_DIR / "assessment.toml").read_text(encoding="utf-8"))


def scoped_unit(session: Session, actor: User, unit_code, roles=SUPERVISION_ROLES) -> OrgUnit:
    """The unit whose subtree the actor asks about: their own by default; 403 outside their subtree."""
    unit = unit_by_code(session, unit_code) if isinstance(unit_code, str) and unit_code else None
    if unit_code and unit is None:
        raise NotFound(N_("no such unit"))
    if unit is None:
        unit = next((a.org_unit for a in actor.roles if a.role in roles), None)
        if unit is None:
            raise Forbidden(N_("you may not see reports"))
    if not any(a.role in roles and unit.path.startswith(a.org_unit.path) for a in actor.roles):
        raise Forbidden(N_("you may not see reports for this unit"))
    return unit


def in_unit(session: Session, unit: OrgUnit):
    """SQL condition: real (not test-run) items of the unit's subtree, keyed for the indexes."""
    if unit.kind == UnitKind.TOWNSHIP:
        where = Case.township_id == unit.id
    elif unit.kind == UnitKind.VILLAGE:
        where = Case.village_id == unit.id
    elif unit.kind == UnitKind.COUNTY:
        townships = select(OrgUnit.id).where(OrgUnit.kind == UnitKind.TOWNSHIP, OrgUnit.path.startswith(unit.path))
        where = Case.township_id.in_(townships.scalar_subquery())
    else:
        villages = select(OrgUnit.id).where(OrgUnit.kind == UnitKind.VILLAGE, OrgUnit.path.startswith(unit.path))
        where = Case.village_id.in_(villages.scalar_subquery())
    return and_(where, Case.is_test_run.is_(False))


def local_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, end+1 00:00) in Shanghai time."""
    return datetime.combine(start, time.min, TZ), datetime.combine(end + timedelta(days=1), time.min, TZ)


# Report dates lie in these years: beyond them a period's bounds (a day after the end, a month's last day)
# overflow the calendar, and no item of Daiban's is from another century.


def in_range(day: date | None) -> bool:
    return day is None or EARLIEST <= day <= LATEST


def parse_period(date_from, date_to, today: date) -> tuple[date, date]:
    """`from`/`to` as ISO dates; the current month by default."""
    errors: dict[str, str] = {}
    values = []
    for field, value in (("from", date_from), ("to", date_to)):
        try:
            values.append(date.fromisoformat(value) if value else None)
        except (TypeError, ValueError):
            errors[field] = N_("a date like 2026-11-01")
            values.append(None)
            continue
        if not in_range(values[-1]):
            errors[field] = OUT_OF_RANGE
            values[-1] = None
    start, end = values
    start = start or today.replace(day=1)
    end = end or month_end(start)
    if not errors and end < start:
        errors["to"] = N_("the end is before the start")
    if errors:
        raise Invalid(N_("bad report period"), errors)
    return start, end


def parse_month(value, today: date) -> date:
    """`2026-11` → the month's first day; the current month by default."""
    if value in (None, ""):
        return today.replace(day=1)
    try:
        if isinstance(value, str) and len(value) == 7:
            first = date.fromisoformat(f"{value}-01")
            if not in_range(first):
                raise Invalid(N_("bad report period"), {"month": OUT_OF_RANGE})
            return first
    except ValueError:
        pass
    raise Invalid(N_("bad report period"), {"month": N_("a month like 2026-11")})


def month_end(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def local_month(session: Session, column):
    """The Shanghai-time month (YYYY-MM) of a UTC timestamp column, in SQL (China has no DST)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("Asia/Shanghai", column), "YYYY-MM")
    return func.strftime("%Y-%m", column, "+8 hours")


@dataclass
class Figures:
    key: str
    label: str
    opened: int
    closed: int
    on_time: int
    rated: int
    satisfied: int
    refused: int = 0  # not accepted (不予受理) or withdrawn: ended, but neither closed nor on time
    label_en: str | None = None
    urges: int = 0  # 催办 of these items' tasks: a sign of work that had to be pressed for

    @property
    def completion_rate(self) -> float:
        return rate(self.closed, self.opened - self.refused)

    @property
    def on_time_rate(self) -> float:
        return rate(self.on_time, self.closed)

    @property
    def satisfaction_rate(self) -> float:
        return rate(self.satisfied, self.rated)

    def to_dict(self) -> dict:
        return {
            "key": self.key,
            "label": self.label,
            "label_en": self.label_en or self.label,
            "opened": self.opened,
            "closed": self.closed,
            "on_time": self.on_time,
            "refused": self.refused,
            "rated": self.rated,
            "satisfied": self.satisfied,
            "completion_rate": self.completion_rate,
            "on_time_rate": self.on_time_rate,
            "satisfaction_rate": self.satisfaction_rate,
            "urges": self.urges,
        }


def _urges(session: Session, where, by: str) -> dict:
    """How often the tasks of the items of each group were urged, keyed like the group's figures."""
    key: Any
    joins: list = []
    if by in ("township", "village"):
        key = OrgUnit.code
        joins = [(OrgUnit, OrgUnit.id == (Case.township_id if by == "township" else Case.village_id))]
    elif by == "agent":
        key, joins = User.username, [(User, User.id == Case.owner_id)]
    elif by == "category":
        key, joins = CatalogItem.category, [(CatalogItem, CatalogItem.id == Case.catalog_item_id)]
    else:
        key = local_month(session, Case.opened_at)
    query = select(key, func.count(Urge.id)).select_from(Urge).join(Case, Case.id == Urge.case_id)
    for table, on in joins:
        query = query.join(table, on)
    return {row[0]: row[1] for row in session.execute(query.where(where).group_by(key))}


def rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _counts():
    """opened, closed, on time, rated, satisfied, refused. A refused or withdrawn item ends as returned:
    it counts as refused, never as closed or on time (and leaves the completion rate's base)."""
    closed = and_(Case.closed_at.is_not(None), Case.status != CaseStatus.RETURNED)
    rating = rating_that_counts()
    return (
        func.count(),
        func.count().filter(closed),
        func.count().filter(and_(closed, Case.closed_at <= Case.due_at)),
        func.count().filter(and_(closed, rating.is_not(None))),
        func.count().filter(and_(closed, rating.in_(SATISFIED))),
        func.count().filter(Case.status == CaseStatus.RETURNED),
    )


def figures(session: Session, unit: OrgUnit, start: date, end: date, by: str | None = None) -> list[Figures]:
    """Figures of the items opened in [start, end] in the unit's subtree, one row per group (or one in all)."""
    lo, hi = local_bounds(start, end)
    where = and_(in_unit(session, unit), Case.opened_at >= lo, Case.opened_at < hi)
    if by is None:
        opened, closed, on_time, rated, satisfied, refused = session.execute(select(*_counts()).where(where)).one()
        urges = session.scalar(select(func.count(Urge.id)).join(Case, Case.id == Urge.case_id).where(where)) or 0
        figure = Figures(unit.code, unit.name, opened, closed, on_time, rated, satisfied, refused, unit.name_en, urges)
        return [figure]
    if by not in GROUPINGS:
        raise Invalid(N_("bad grouping"), {"by": N_("one of township, village, agent, category, month")})
    if by in ("township", "village"):
        column = Case.township_id if by == "township" else Case.village_id
        grouped = select(column.label("k"), *_counts()).where(where).group_by(column).subquery()
        query = (
            select(OrgUnit.code, OrgUnit.name, *list(grouped.c)[1:], OrgUnit.name_en)
            .join(grouped, grouped.c.k == OrgUnit.id)
            .order_by(OrgUnit.path)
        )
    elif by == "agent":
        grouped = select(Case.owner_id.label("k"), *_counts()).where(where).group_by(Case.owner_id).subquery()
        query = (
            select(User.username, User.display_name, *list(grouped.c)[1:], User.display_name)
            .join(grouped, grouped.c.k == User.id)
            .order_by(User.username)
        )
    elif by == "category":
        query = (
            select(CatalogItem.category, CatalogItem.category, *_counts(), CatalogItem.category)
            .join(CatalogItem, CatalogItem.id == Case.catalog_item_id)
            .where(where)
            .group_by(CatalogItem.category)
            .order_by(CatalogItem.category)
        )
    else:
        month = local_month(session, Case.opened_at)
        query = select(month, month, *_counts(), month).where(where).group_by(month).order_by(month)
    rows = [Figures(*row) for row in session.execute(query)]
    pressed = _urges(session, where, by)
    for figure in rows:
        figure.urges = pressed.get(figure.key, 0)
    if by == "category":
        names = categories()
        for figure in rows:
            figure.label = names.get(figure.key, {}).get("name", figure.key)
            figure.label_en = names.get(figure.key, {}).get("name_en", figure.key)
    return rows
