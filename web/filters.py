"""Template helpers: dates in Shanghai time, localized labels, role names."""

from datetime import datetime

from flask_babel import format_datetime, get_locale

from engine.calendar import TZ
from engine.permissions import permission
from engine.roles import roles

from .i18n import localized, localized_name


def register(app) -> None:
    @app.template_filter("when")
    def when(value):
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return format_datetime(value.astimezone(TZ), "yyyy-MM-dd HH:mm") if value else ""

    @app.template_filter("unit_name")
    def unit_name(unit):
        return localized_name(unit) if unit is not None else ""

    app.add_template_filter(role_label, "role_name")

    @app.template_filter("action_label")
    def action_label(code: str) -> str:
        """A button's text: the action's label in the permission table (config/permissions.toml)."""
        row = permission(code)
        return localized({"label": row.label, "label_en": row.label_en}, "label")

    app.add_template_filter(percent, "percent")
    app.jinja_env.globals["supervises"] = supervises

    @app.template_global()
    def holds_role(user, *codes) -> bool:
        return any(a.role in codes for a in user.roles)

    app.jinja_env.globals["localized"] = localized
    app.jinja_env.globals["get_locale"] = get_locale


def role_label(code):
    role = roles().get(code)
    if role is None:
        return code
    return role.name_en if str(get_locale()).startswith("en") else role.name


def percent(value) -> str:
    return f"{value * 100:.1f}%" if isinstance(value, (int, float)) else ""


def supervises(user) -> bool:
    from engine.assessment import SUPERVISION_ROLES

    return any(a.role in SUPERVISION_ROLES for a in getattr(user, "roles", []))
