"""抄送 (copy-to): someone holding a task of the item, the county window or the lead department
copies an item to colleagues. They may read it from then on (engine/org/access.py), never act on
it (no permission row names readers), are told in the same transaction, and find it under 抄送我的."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..kernel.errors import Invalid
from ..kernel.i18n import N_
from ..kernel.vocabulary import EventType, NotificationKind
from ..store.models import Case, User
from ..store.notice_tables import CaseReader
from ..store.paging import Page, clamp_page, paginate
from .pipeline import Work, execute
from .visibility import get_case

MAX_RECIPIENTS = 20
MAX_NOTE = 500


def _recipients(session: Session, usernames) -> list[User]:
    if (
        not isinstance(usernames, list)
        or not usernames
        or len(usernames) > MAX_RECIPIENTS
        or not all(isinstance(u, str) and 0 < len(u) <= 120 for u in usernames)
    ):
        raise Invalid(N_("choose the people to copy the item to"), {"usernames": N_("1 to 20 user names")})
    wanted = list(dict.fromkeys(usernames))
    found = {u.username: u for u in session.scalars(select(User).where(User.username.in_(wanted), User.active))}
    unknown = [u for u in wanted if u not in found]
    if unknown:
        raise Invalid(N_("choose the people to copy the item to"), {"usernames": N_("no such active user")})
    return [found[u] for u in wanted]


def _note(note) -> str | None:
    if note is None:
        return None
    if not isinstance(note, str) or len(note.strip()) > MAX_NOTE:
        raise Invalid(N_("the note is too long"), {"note": N_("at most 500 characters")})
    return note.strip() or None


def copy_case(session: Session, actor: User, case_id, usernames, note=None, now: datetime | None = None) -> list[str]:
    """Copy the item to these people; returns the user names newly copied (none: nothing recorded)."""
    note = _note(note)

    def act(work: Work) -> list[str]:
        case = work.lock_case(get_case(session, actor, case_id).id, with_state=False)
        people = _recipients(session, usernames)
        work.may("cc", case=case)
        already = set(
            session.scalars(
                select(CaseReader.user_id).where(
                    CaseReader.case_id == case.id, CaseReader.user_id.in_([p.id for p in people])
                )
            )
        )
        new = [p for p in people if p.id not in already and p.id != actor.id]
        if not new:
            return []
        for person in new:
            session.add(CaseReader(case_id=case.id, user_id=person.id, added_by_id=actor.id, at=work.now, note=note))
        names = [p.username for p in new]
        work.event(EventType.CASE_COPIED, case, to=names, note=note)
        work.notify(
            [p.id for p in new],
            NotificationKind.COPIED_TO_ME,
            case,
            None,
            receipt_code=case.receipt_code,
            item=case.catalog_item.name,
            by=actor.display_name,
            note=note,
        )
        return names

    return execute(session, actor, act, now)


def copied_to_me(session: Session, user: User, page=1, per_page=20) -> Page:
    """抄送我的: the items copied to `user`, newest copy first, with who copied them, when and why."""
    page, per_page = clamp_page(page, per_page)
    query = (
        select(CaseReader)
        .join(Case, Case.id == CaseReader.case_id)
        .where(CaseReader.user_id == user.id)
        .order_by(CaseReader.at.desc(), CaseReader.case_id.desc())
    )
    return paginate(session, query, page, per_page)


def readers(session: Session, case: Case) -> list[CaseReader]:
    return list(session.scalars(select(CaseReader).where(CaseReader.case_id == case.id).order_by(CaseReader.at)))
