"""Case attachments: scanned materials, stored outside the web root under random names.

Only a few document types, checked by their first bytes as well as their name,
with a size limit; a file is served only to users who can see its case, and its
path on disk never comes from the request.
"""

from __future__ import annotations

import os
import re
import secrets
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..kernel.errors import Conflict, Invalid, NotFound
from ..kernel.i18n import N_
from ..kernel.settings import VAR_DIR
from ..kernel.vocabulary import CASE_OPEN, EventType
from ..store.models import Case, User
from ..store.paging import parse_id
from ..store.workspace_tables import Attachment
from .materials import supply_promised
from .pipeline import Work, execute
from .visibility import get_case

MAX_BYTES = 3 * 1024 * 1024
# extension -> (content type, leading bytes)
TYPES = {
    ".pdf": ("application/pdf", b"%PDF-"),
    ".png": ("image/png", b"\x89PNG\r\n\x1a\n"),
    ".jpg": ("image/jpeg", b"\xff\xd8\xff"),
    ".jpeg": ("image/jpeg", b"\xff\xd8\xff"),
}
OTHER = "other"
STORED = re.compile(r"^[0-9a-f]{32}$")


def default_dir() -> Path:
    return VAR_DIR / "attachments"


def _clean_name(name) -> str:
    base = os.path.basename(str(name or "").replace("\\", "/"))
    return re.sub(r"[\x00-\x1f<>:\"|?*]", "_", base)[:200] or "file"


def add_attachment(
    session: Session,
    actor: User,
    case_id,
    material,
    file_name,
    content: bytes,
    directory: Path | None = None,
    now: datetime | None = None,
) -> Attachment:
    written: list[Path] = []  # files stored by this command's attempts (a deadlock runs `act` again)

    def act(work: Work) -> Attachment:
        for path in written:  # an earlier attempt's file, its row rolled back
            path.unlink(missing_ok=True)
        written.clear()
        case = get_case(session, actor, case_id)
        work.may("attach", case=case)
        if case.status not in CASE_OPEN:
            raise Conflict(N_("the item is finished; its files can no longer change"))
        name = _clean_name(file_name)
        ext = os.path.splitext(name)[1].lower()
        errors = {}
        if material not in [*case.catalog_item.materials, OTHER]:
            errors["material"] = N_("choose one of the item's materials")
        if ext not in TYPES or not content.startswith(TYPES[ext][1]):
            errors["file"] = N_("only PDF, JPEG or PNG files")
        elif not 0 < len(content) <= MAX_BYTES:
            errors["file"] = N_("the file must be at most 3 MB")
        if errors:
            raise Invalid(N_("the file was not accepted"), errors)
        folder = directory or default_dir()
        folder.mkdir(parents=True, exist_ok=True)
        stored = secrets.token_hex(16)
        path = folder / stored
        written.append(path)
        with open(path, "xb") as out:
            out.write(content)
        attachment = Attachment(
            case_id=case.id,
            material=material,
            file_name=name,
            stored_name=stored,
            content_type=TYPES[ext][0],
            size=len(content),
            uploaded_at=work.now,
            uploaded_by_id=actor.id,
            uploaded_by=actor,
        )
        session.add(attachment)
        supplied = supply_promised(case, material)  # a promised material on file now
        work.event(EventType.ATTACHMENT_ADDED, case, material=material, file=name, size=len(content), supplied=supplied)
        return attachment

    try:
        attachment = execute(session, actor, act, now)
    except BaseException:
        for path in written:  # nothing was applied: no file without its row
            path.unlink(missing_ok=True)
        raise
    return attachment


def case_attachments(session: Session, case: Case) -> list[Attachment]:
    return list(session.scalars(select(Attachment).where(Attachment.case_id == case.id).order_by(Attachment.id)))


def attachment_file(
    session: Session, user: User, case_id, attachment_id, directory: Path | None = None
) -> tuple[Attachment, Path]:
    """The attachment and its file, for a user who can see the case; anything else is NotFound."""
    case = get_case(session, user, case_id)
    number = parse_id(attachment_id)
    found = session.get(Attachment, number) if number else None
    if found is None or found.case_id != case.id or not STORED.match(found.stored_name):
        raise NotFound(N_("no such file"))
    path = (directory or default_dir()) / found.stored_name
    if not path.is_file():
        raise NotFound(N_("no such file"))
    return found, path


def materials_checklist(case: Case, attachments: list[Attachment]) -> list[dict]:
    """Each required material: provided at intake, a scan attached, or still missing."""
    scanned = {a.material for a in attachments}
    return [
        {"name": m, "provided": m in (case.materials_provided or []), "scanned": m in scanned}
        for m in case.catalog_item.materials
    ]


def missing_materials(case: Case, attachments: list[Attachment]) -> list[str]:
    return [m["name"] for m in materials_checklist(case, attachments) if not (m["provided"] or m["scanned"])]


def attachment_dict(a: Attachment) -> dict:
    return {
        "id": a.id,
        "case_id": a.case_id,
        "material": a.material,
        "file_name": a.file_name,
        "content_type": a.content_type,
        "size": a.size,
        "uploaded_at": a.uploaded_at.isoformat(),
    }
