"""Template helpers: dates in Shanghai time, localized labels, the vocabulary's labels."""

from datetime import datetime

from flask_babel import format_datetime, get_locale

from engine.cases.permissions import permission
from engine.kernel.vocabulary import BATCH_ROLES, EDITOR_ROLES, SUPERVISION_ROLES, VOCABULARIES, Role, label
from engine.org.org import unit_by_code
from engine.oversight.worklist import COUNT_CAP
from engine.read.rectifications import open_rectification_count
from engine.read.whereabouts import units_now
from engine.store.calendar import TZ

from .extensions import db
from .i18n import localized, localized_name
from .nav import may_visit


def register(app) -> None:
    @app.template_filter("when")
    def when(value):
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return format_datetime(value.astimezone(TZ), "yyyy-MM-dd HH:mm") if value else ""

    @app.template_filter("unit_name")
    def unit_name(unit):
        return localized_name(unit) if unit is not None else ""

    @app.template_filter("unit_code_name")
    def unit_code_name(code):
        """A unit's name from its code (workflow data keeps codes; people read names)."""
        unit = unit_by_code(db.session, code) if code else None
        return localized_name(unit) if unit is not None else (code or "")

    app.add_template_filter(vocabulary_label, "label")
    app.add_template_global(vocabulary_labels, "labels")

    @app.template_filter("action_label")
    def action_label(code: str) -> str:
        """A button's text: the action's label in the permission table (config/permissions.toml)."""
        row = permission(code)
        return localized({"label": row.label, "label_en": row.label_en}, "label")

    app.add_template_filter(percent, "percent")
    app.add_template_filter(tab_count, "tab_count")
    app.jinja_env.globals["supervises"] = supervises
    app.jinja_env.globals["rectification_count"] = rectification_count
    app.jinja_env.globals["units_now_of"] = units_now_of

    app.add_template_global(holds_role, "holds_role")
    app.add_template_global(may_visit, "may_visit")
    app.jinja_env.globals.update(Role=Role, BATCH_ROLES=BATCH_ROLES, EDITOR_ROLES=EDITOR_ROLES)

    app.jinja_env.globals["localized"] = localized
    app.jinja_env.globals["get_locale"] = get_locale


def holds_role(user, *roles) -> bool:
    """`holds_role(user, Role.COUNTY_WINDOW)`, or a named set from engine/kernel/vocabulary.py:
    `holds_role(user, BATCH_ROLES)`."""
    codes = {code for r in roles for code in ([r] if isinstance(r, str) else r)}
    return any(a.role in codes for a in user.roles)


def vocabulary_label(code, vocabulary: str | None = None) -> str:
    """`{{ case.status|label }}`: a code's label from engine/kernel/vocabulary.py in the request's language.
    Name the vocabulary where a code is shared (`{{ unit.kind|label('unit_kind') }}`)."""
    return label(code, get_locale(), vocabulary)


def vocabulary_labels(vocabulary: str) -> dict[str, str]:
    """`{{ labels('case_status')|tojson }}`: every code of a vocabulary with its label, for scripts."""
    return dict(VOCABULARIES[vocabulary].choices(get_locale()))


def percent(value) -> str:
    return f"{value * 100:.1f}%" if isinstance(value, (int, float)) else ""


def supervises(user) -> bool:
    return any(a.role in SUPERVISION_ROLES for a in getattr(user, "roles", []))


def rectification_count(user) -> int:
    """Open rectifications (整改) the signed-in person sees to, for the top bar."""
    return open_rectification_count(db.session, user) if user is not None else 0


def units_now_of(case) -> list:
    """当前所在 of one item: every unit holding an open step of it (engine/read/whereabouts.py)."""
    return units_now(db.session, [case])[case.id]


def tab_count(count: int) -> str:
    """An inbox tab's count: the number, or "1000+" where counting stopped at the cap."""
    return f"{COUNT_CAP}+" if count > COUNT_CAP else str(count)
