"""Server-rendered pages, one blueprint per audience."""

from flask import abort, flash
from flask_babel import gettext

from engine.kernel.errors import DomainError, NotFound
from engine.runtime.failures import DiagramFailed


def flash_error(err: DomainError) -> dict[str, str]:
    """Show a domain error in the user's language; returns field errors for the form."""
    flash(gettext(err.message), "error")
    if isinstance(err, DiagramFailed):  # which element of the diagram failed, and why
        flash(f"{gettext(err.kind)}: {err.element_name} ({err.element}) — {err.detail}", "error")
        return {}
    return {field: gettext(message) for field, message in err.errors.items()}


def refused(err: DomainError) -> dict[str, str]:
    """A command the engine refused, on a page: nothing of it stays in the session, a 403 is the
    forbidden page, anything else comes back as messages (and the form's field errors)."""
    from ..extensions import db

    db.session.rollback()
    if err.status == 403:
        abort(403)
    return flash_error(err)


def or_404(lookup, *args):
    """Run an engine lookup; an unknown or invisible object is a plain 404 page."""
    try:
        return lookup(*args)
    except NotFound:
        abort(404)
