"""A proxy item in an engine scenario: open it, complete each step as the one user whose inbox
holds it, at a chosen moment (time moves by passing `now`, never by sleeping)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from engine.cases import commands
from engine.library.catalog import current_item
from engine.read.inbox import inbox
from engine.store.calendar import TZ
from engine.store.models import Event, TaskRow

RESIDENT = {"name": "李桂兰", "phone": "13900005678"}
# What the catalog asks for the two items most scenarios use: the resident brings everything.
HOUSE_MATERIALS = ["户口簿", "身份证", "农村宅基地和建房(规划许可)申请表", "村民小组会议记录", "建房设计图或通用图"]
AID_MATERIALS = ["身份证", "户口簿", "临时救助申请书", "困难情况证明材料"]


def at(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    """A moment of 2026 in Beijing time."""
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


def local(moment: datetime | None) -> str | None:
    return moment.astimezone(TZ).strftime("%Y-%m-%d %H:%M") if moment else None


class Item:
    def __init__(self, session, user, catalog_code: str, agent: str, village: str, now: datetime, materials=None):
        """`materials`: what the resident brings; by default everything the catalog asks for."""
        self.session, self.user = session, user
        if materials is None:
            materials = current_item(session, catalog_code).materials
        self.case = commands.open_case(
            session, user(agent), catalog_code, {**RESIDENT, "village": village}, "代办场景", list(materials), now=now
        )

    def open_rows(self) -> list[TaskRow]:
        return list(
            self.session.scalars(
                select(TaskRow)
                .where(TaskRow.case_id == self.case.id, TaskRow.state == "ready")
                .order_by(TaskRow.created_at, TaskRow.id)
            )
        )

    def holders(self) -> list[str]:
        """Who holds the open tasks, as `task role@unit`."""
        return sorted(f"{r.spec_name} {r.role}@{r.org_unit.code}" for r in self.open_rows())

    def task(self, name: str) -> TaskRow:
        rows = [r for r in self.open_rows() if r.spec_name == name]
        assert len(rows) == 1, f"{name} is not the one open task of its name: {self.holders()}"
        return rows[0]

    def do(self, name: str, data: dict, now: datetime, by: str | None = None) -> TaskRow:
        """Complete step `name` as its holder, after checking it sits in the holder's inbox."""
        row = self.task(name)
        owner = by or f"{row.role}@{row.org_unit.code}"
        listed = [t.id for t in inbox(self.session, self.user(owner), "available", per_page=100).items]
        assert row.id in listed, f"{name} is not in {owner}'s inbox"
        commands.complete_task(self.session, self.user(owner), row.id, data, now=now)
        self.session.refresh(self.case)
        return row

    def events(self) -> list[Event]:
        return list(
            self.session.scalars(select(Event).where(Event.case_id == self.case.id).order_by(Event.at, Event.id))
        )

    def event_types(self) -> list[str]:
        return [e.type for e in self.events()]


ACCEPT = {"materials_complete": True, "commission_signed": True}
REPLY = {"result_explained": True, "rating": "satisfied"}
