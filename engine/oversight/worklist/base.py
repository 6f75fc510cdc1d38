"""What every source of inbox work supplies, and the helpers they share.

A source answers two questions: which of its rows belong in a scope for this user (`rows`: a SQL
select of four columns, `kind`, `key`, `due_at`, `sort_at`, so the inbox counts and pages all sources at
once in the database), and what one page's rows look like (`items`: the rows by key, loaded in one
query). A source whose work is computed in Python turns its short list into rows with `literal_rows`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import String, and_, cast, exists, false, literal, null, or_, select, true, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement, Select

from ...kernel.vocabulary import OVERSIGHT_ROLES, TimerKind
from ...read.inbox import Filters
from ...store.models import Case, CatalogItem, OrgUnit, TaskRow, User, UtcDateTime
from ...store.paging import iso


@dataclass(frozen=True)
class Moment:
    """The clock of one listing: now, and the end of the next working day (due soon until then)."""

    now: datetime
    soon: datetime
    # What the sources computed for this listing, kept for its other tabs (a household's due visits are
    # computed in Python: once per listing, not once per tab).
    memo: dict = field(default_factory=dict, compare=False, repr=False)

    def mark(self, due_at: datetime | None) -> str:
        if due_at is None:
            return "normal"
        if due_at < self.now:
            return TimerKind.OVERDUE.value
        return TimerKind.DUE_SOON.value if due_at <= self.soon else "normal"


@dataclass
class WorkItem:
    """One row of the inbox, whatever its source: what to do, where to do it (`href`, a page of this
    site), by when, and the API's entry (`data`, the fields of docs/api.md's inbox entries)."""

    kind: str
    id: str
    name: str
    href: str
    due_at: datetime | None
    due_state: str
    data: dict
    case: Case | None = None
    unit: OrgUnit | None = None
    row: TaskRow | None = None  # the task behind a task row (claim, urges, sent back)
    detail: str | None = None  # a line under the name: a complaint's text, a proposal's code


@dataclass(frozen=True)
class Parts:
    """A source's rows that lie in several ranges of its index (a person's several roles or units): the
    inbox counts them together and takes a page's first rows from each part in its order."""

    selects: list[Select]


@dataclass(frozen=True)
class WorkSource:
    """A kind of work the inbox lists (registered in `engine/oversight/worklist/__init__.py`)."""

    kind: str
    rows: Callable[[Session, User, str, Filters, Moment], Select | Parts | None]
    items: Callable[[Session, User, list[str], Moment], dict[str, WorkItem]]


def selects_of(rows: Select | Parts | None) -> list[Select]:
    """The selects behind a source's rows."""
    if rows is None:
        return []
    return list(rows.selects) if isinstance(rows, Parts) else [rows]


def columns(kind: str, key, due_at, sort_at) -> tuple:
    """The four columns every source's select has, in this order and with these types."""
    due = due_at if due_at is not None else cast(null(), UtcDateTime)
    return (
        literal(kind, String).label("kind"),
        cast(key, String).label("key"),
        due.label("due_at"),
        sort_at.label("sort_at"),
    )


def due_condition(scope: str, due_at, moment: Moment) -> ColumnElement[bool] | None:
    """The due-soon and overdue scopes of work with a plain deadline column (no timers): by the clock."""
    if scope == "due_soon":
        return and_(due_at >= moment.now, due_at <= moment.soon)
    if scope == "overdue":
        return due_at < moment.now
    return None


def has_filters(filters: Filters) -> bool:
    return bool(filters.category or filters.kind or filters.township or filters.village)


def case_filter(filters: Filters, case_id) -> ColumnElement[bool]:
    """The inbox filters (category, kind, township, village) on work about an item: its item's."""
    if not has_filters(filters):
        return true()
    conditions = [Case.id == case_id]
    if filters.category:
        conditions.append(
            Case.catalog_item_id.in_(select(CatalogItem.id).where(CatalogItem.category == filters.category))
        )
    if filters.kind:
        conditions.append(Case.kind == filters.kind)
    for code, column in ((filters.township, Case.township_id), (filters.village, Case.village_id)):
        if code:
            conditions.append(column == select(OrgUnit.id).where(OrgUnit.code == code).scalar_subquery())
    return exists(select(Case.id).where(*conditions))


def village_filter(filters: Filters, village_id) -> ColumnElement[bool] | None:
    """The filters on work about a village without an item: township and village apply, item
    category and kind leave it out (None)."""
    if filters.category or filters.kind:
        return None
    conditions = []
    if filters.village:
        conditions.append(village_id == select(OrgUnit.id).where(OrgUnit.code == filters.village).scalar_subquery())
    if filters.township:
        township = select(OrgUnit.id).where(OrgUnit.code == filters.township).scalar_subquery()
        conditions.append(village_id.in_(select(OrgUnit.id).where(OrgUnit.parent_id == township)))
    return and_(True, *conditions)


def overseen_paths(user: User) -> list[str]:
    """The org paths under which the user oversees late work (the county supervisor, a township's
    discipline inspector)."""
    return [a.org_unit.path for a in user.roles if a.role in OVERSIGHT_ROLES]


def below(path_column, paths: list[str]) -> ColumnElement[bool]:
    return or_(*[path_column.startswith(p) for p in paths]) if paths else false()


def literal_rows(kind: str, entries: Iterable[tuple[str, datetime | None, datetime | None]]) -> Select | None:
    """A short Python-computed list as rows of the union (no table behind it)."""
    selects = [
        select(
            *columns(
                kind,
                literal(key, String),
                literal(due, UtcDateTime) if due else None,
                literal(at, UtcDateTime) if at else cast(null(), UtcDateTime),
            )
        )
        for key, due, at in entries
    ]
    if not selects:
        return None
    return selects[0] if len(selects) == 1 else union_all(*selects).subquery().select()


def entry(kind: str, id_: str, href: str, due_at: datetime | None, moment: Moment, **fields) -> dict:
    """The API's shape of an inbox entry that is not a task: the task entry's fields where they mean
    something, null where not."""
    return {
        "id": id_,
        "kind": kind,
        "href": href,
        "case_id": None,
        "task": None,
        "role": None,
        "org_unit": None,
        "assignee": None,
        "due_at": iso(due_at),
        "state": "ready",
        "due_state": moment.mark(due_at),
        "special": False,
        **fields,
    }
