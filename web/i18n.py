"""Language choice: zh_CN by default, English on request (?lang=en, remembered in the session)."""

from flask import request, session

LANGUAGES = ("zh_CN", "en")


def select_locale() -> str:
    wanted = request.args.get("lang")
    if wanted in LANGUAGES:
        session["lang"] = wanted
    return session.get("lang") or "zh_CN"


def localized(obj: dict, key: str = "title") -> str:
    """A data document's label in the current language (`x-title-en` / `name_en` beside it)."""
    from flask_babel import get_locale

    english = str(get_locale()).startswith("en")
    if english:
        return obj.get(f"x-{key}-en") or obj.get(f"{key}_en") or obj.get(key) or ""
    return obj.get(key) or ""


def localized_name(unit) -> str:
    from flask_babel import get_locale

    if str(get_locale()).startswith("en") and getattr(unit, "name_en", None):
        return unit.name_en
    return unit.name
