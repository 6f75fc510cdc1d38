"""Notifications as the API and the pages show them: the sentence in the reader's language and
where it leads (the task while it is open to the reader, else the item, else the proposal)."""

from flask import url_for
from flask_babel import gettext

from engine.read.notifications import text
from engine.store.notice_tables import Notification
from engine.store.paging import iso


def notification_dict(n: Notification) -> dict:
    return {
        "id": n.id,
        "at": iso(n.at),
        "kind": n.kind,
        "text": text(n, gettext),
        "case_id": n.case_id,
        "task_id": n.task_id,
        "read": n.read_at is not None,
    }


def notification_link(n: Notification) -> str | None:
    if n.task_id is not None:
        return url_for("inbox.task", task_id=n.task_id)
    if n.case_id is not None:
        return url_for("cases.show", case_id=n.case_id)
    proposal = (n.detail or {}).get("proposal")
    return url_for("admin.proposal", proposal_id=proposal) if proposal else None
