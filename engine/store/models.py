"""Daiban's tables: plain SQLAlchemy 2 declarative models shared with the web layer."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    DDL,
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from ..kernel.vocabulary import CaseStatus, TaskState

JsonDoc = JSON().with_variant(JSONB(), "postgresql")
BigId = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements INTEGER keys only


class UtcDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime")
            value = value.astimezone(UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    pass


# The cases' search indexes use trigram operator classes (pg_trgm): a schema created from the models
# (tests, the benchmark) gets the extension first, as migration 12_context does.
event.listen(
    Base.metadata, "before_create", DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql")
)


class OrgUnit(Base):
    """A node of the county's org tree; `path` ("/county/t1/t1-v1/") makes subtree queries cheap."""

    __tablename__ = "org_units"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # county township village group department station window
    function: Mapped[str | None] = mapped_column(String(64))  # e.g. civil_affairs, for routing
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"))
    path: Mapped[str] = mapped_column(String(1000), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    # Subtree tests are `path LIKE '/qx/t1/%'`: PostgreSQL needs a pattern index for that under any collation.
    __table_args__ = (Index("ix_org_units_path_pattern", "path", postgresql_ops={"path": "varchar_pattern_ops"}),)

    parent: Mapped[OrgUnit | None] = relationship(remote_side=[id])


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(120), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Touched at most once a minute per user (web/presence): who is online, cheaply.
    last_seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Raised at logout and at a password reset: every web session and API token issued before stops working.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The staff member's mobile for texts, and which notification kinds also go to it (None: the defaults,
    # engine/kernel/vocabulary.py PHONE_DEFAULT_KINDS; [] none).
    phone: Mapped[str | None] = mapped_column(String(20))
    phone_kinds: Mapped[list | None] = mapped_column(JsonDoc)

    # Loaded when asked (the signed-in user's), never for every case owner or assignee a query joins.
    roles: Mapped[list[RoleAssignment]] = relationship(back_populates="user", lazy="select")


class RoleAssignment(Base):
    __tablename__ = "role_assignments"
    __table_args__ = (
        UniqueConstraint("user_id", "role", "org_unit_id"),
        Index("ix_role_assignments_role_unit", "role", "org_unit_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    role: Mapped[str] = mapped_column(String(40))
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))

    user: Mapped[User] = relationship(back_populates="roles")
    org_unit: Mapped[OrgUnit] = relationship(lazy="joined")


class ProcessVersion(Base):
    """One version of a BPMN/DMN model; cases pin the version they started on."""

    __tablename__ = "process_versions"
    __table_args__ = (UniqueConstraint("key", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), index=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(10), default="bpmn")
    version: Mapped[int] = mapped_column(Integer)
    # The content (tens of KB) is immutable and cached per process by `hash` (engine/library/processes.py):
    # a command reading a case's version loads only the small columns.
    xml: Mapped[str] = mapped_column(Text, deferred=True)
    hash: Mapped[str] = mapped_column(String(64))
    forms: Mapped[dict] = mapped_column(JsonDoc, default=dict, deferred=True)
    # DMN XML by decision file name, pinned with the diagram that calls it.
    decisions: Mapped[dict] = mapped_column(JsonDoc, default=dict, deferred=True)
    # BPMN XML of the processes its call activities call from elsewhere in the library, by process id:
    # for a draft the callee's draft if it has one, else its live version; on deploy, the live ones.
    callees: Mapped[dict] = mapped_column(JsonDoc, default=dict, deferred=True)
    status: Mapped[str] = mapped_column(String(10), default="draft")  # draft live retired
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    deployed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    deployed_by: Mapped[str | None] = mapped_column(String(120))


class CatalogItem(Base):
    """A versioned entry of the county's proxy-item catalog."""

    __tablename__ = "catalog_items"
    __table_args__ = (UniqueConstraint("code", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))  # immediate promised joint escalated special
    level: Mapped[str] = mapped_column(String(20))  # group village township county
    departments: Mapped[list] = mapped_column(JsonDoc, default=list)  # unit functions; first is lead
    time_limit_days: Mapped[int] = mapped_column(Integer)
    materials: Mapped[list] = mapped_column(JsonDoc, default=list)
    fee: Mapped[float] = mapped_column(default=0)
    fee_note: Mapped[str | None] = mapped_column(String(300))
    # How a joint handling's departments decide (JointMode: all 会签, any 或签, vote 票签) and, for a
    # vote, the share of departments that must agree (0 < share <= 1).
    joint_mode: Mapped[str] = mapped_column(String(10), default="all", server_default="all")
    vote_share: Mapped[float | None] = mapped_column()
    process_key: Mapped[str] = mapped_column(String(100), default="proxy_case")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # "file" (config/catalog.toml) or "admin" (changed or approved in the admin pages): the file
    # sync compares with its own last version, so it never reverts an administrator's change.
    origin: Mapped[str] = mapped_column(String(10), default="file", server_default="file")


class Case(Base):
    """A proxy item (代办件) and its workflow state."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_village_status", "village_id", "status"),
        Index("ix_cases_township_opened", "township_id", "opened_at"),
        # Search (engine/read/shapes.py): trigram GIN indexes serve the name, phone and request
        # substring matches on PostgreSQL (pg_trgm, migration 12_context); on SQLite they are plain
        # indexes (the same schema on both; SQLite's LIKE scans, fine at a single machine's size).
        *(
            Index(f"ix_cases_{column}_trgm", column, postgresql_using="gin", postgresql_ops={column: "gin_trgm_ops"})
            for column in ("resident_name", "resident_phone", "summary")
        ),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    receipt_code: Mapped[str] = mapped_column(String(32), unique=True)
    catalog_item_id: Mapped[int] = mapped_column(ForeignKey("catalog_items.id"))
    catalog_code: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=CaseStatus.OPEN.value)
    level: Mapped[str] = mapped_column(String(20))  # where the item is now
    org_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"))  # who holds it now
    village_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    township_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))  # first-ask agent (首问负责)
    resident_name: Mapped[str] = mapped_column(String(100))
    resident_phone: Mapped[str] = mapped_column(String(20))
    summary: Mapped[str] = mapped_column(Text)
    materials_provided: Mapped[list] = mapped_column(JsonDoc, default=list)
    # The 好差评 rating (engine/kernel/vocabulary.py Rating): the agent's record at the reply step, and
    # the resident's own from the portal, side by side; neither overwrites the other.
    rating: Mapped[str | None] = mapped_column(String(30))
    resident_rating: Mapped[str | None] = mapped_column(String(30))
    # 容缺受理: the date the resident promised the missing materials by, and when that date passed with
    # them still missing (the agent is told; supervision lists it). Supplying them clears both.
    materials_promised_by: Mapped[date | None] = mapped_column(Date)
    materials_promise_broken_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # What due_at was counted from: working days from a moment (opening, or a restart such as the
    # halved limit of a special item), so a calendar change recounts the same days, not the catalog's.
    due_from: Mapped[datetime | None] = mapped_column(UtcDateTime)
    due_days: Mapped[int | None] = mapped_column(Integer)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_versions.id"))
    is_test_run: Mapped[bool] = mapped_column(Boolean, default=False)
    # The workflow state is large and only commands need it: lists and reads never load it.
    state: Mapped[str] = mapped_column(Text, deferred=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    catalog_item: Mapped[CatalogItem] = relationship(lazy="joined")
    org_unit: Mapped[OrgUnit | None] = relationship(foreign_keys=[org_unit_id], lazy="joined")
    village: Mapped[OrgUnit] = relationship(foreign_keys=[village_id], lazy="joined")
    owner: Mapped[User] = relationship(lazy="joined")
    process_version: Mapped[ProcessVersion] = relationship(lazy="joined")  # its big columns are deferred


class TaskRow(Base):
    """Inbox projection: one row per user task (READY rows are the open inbox)."""

    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_open_by_unit", "state", "org_unit_id", "role", "due_at"),
        Index("ix_tasks_assignee", "assignee_id", "state"),
        # A case's tasks; with their units, so "did this unit hold one of the case's tasks" (who may see a
        # case, engine/org/access.py) is answered from the index alone, for each of a search's matches.
        Index("ix_tasks_case_unit", "case_id", "state", "org_unit_id"),
        # The "available" tab in its own order: the first page is read straight off the index.
        Index(
            "ix_tasks_available",
            "role",
            "org_unit_id",
            "due_at",
            "created_at",
            "id",
            postgresql_where=text("state = 'ready' AND assignee_id IS NULL"),
            sqlite_where=text("state = 'ready' AND assignee_id IS NULL"),
        ),
        # Late work (due soon, overdue: the timers' verdict) of the open inbox, soonest due first: the
        # due-soon and overdue tabs and the overseers' overdue work read it without the open set.
        Index(
            "ix_tasks_late",
            "due_state",
            "due_at",
            "created_at",
            "id",
            postgresql_where=text("state = 'ready' AND due_state IS NOT NULL"),
            sqlite_where=text("state = 'ready' AND due_state IS NOT NULL"),
        ),
        Index(
            "ix_tasks_done",
            "completed_by_id",
            "completed_at",
            postgresql_where=text("state = 'completed'"),
            sqlite_where=text("state = 'completed'"),
        ),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # SpiffWorkflow task id
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id"))
    spec_name: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(40))
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    form: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(12), default=TaskState.READY.value)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    due_state: Mapped[str | None] = mapped_column(String(16))  # due_soon overdue resubmission (set by timers)
    # The workflow data of a READY task (what its handler decides on), kept by the projection so
    # reading a task never deserializes the workflow; cleared when the task leaves the inbox.
    context: Mapped[dict | None] = mapped_column(JsonDoc)

    case: Mapped[Case] = relationship(lazy="joined")
    org_unit: Mapped[OrgUnit] = relationship(lazy="joined")
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id], lazy="joined")


class Event(Base):
    """Append-only audit trail: one event per state change."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("cases.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor: Mapped[str] = mapped_column(String(120))
    type: Mapped[str] = mapped_column(String(40))
    task_id: Mapped[str | None] = mapped_column(String(36))
    detail: Mapped[dict] = mapped_column(JsonDoc, default=dict)
