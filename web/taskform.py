"""HTML form fields <-> JSON Schema task forms (typing only; validation is the engine's)."""

from __future__ import annotations


def form_to_data(schema: dict, form) -> dict:
    """Typed data from a submitted HTML form: checkboxes to booleans, empty optional text dropped."""
    data: dict = {}
    required = set(schema.get("required", []))
    for name, prop in schema.get("properties", {}).items():
        kind = prop.get("type")
        if kind == "boolean":
            data[name] = form.get(name) in ("on", "true", "1", "yes")
        elif kind in ("integer", "number"):
            raw = (form.get(name) or "").strip()
            if raw:
                try:
                    data[name] = int(raw) if kind == "integer" else float(raw)
                except ValueError:
                    data[name] = raw  # the engine names the field
        elif kind == "array":
            values = form.getlist(name)
            if values or name in required:
                data[name] = values
        else:
            raw = (form.get(name) or "").strip()
            if raw or name in required:
                data[name] = raw
    return data


def field_widgets(schema: dict) -> list[dict]:
    """What the template needs to draw each field, in the schema's order."""
    required = set(schema.get("required", []))
    fields = []
    for name, prop in schema.get("properties", {}).items():
        widget = "text"
        items = prop.get("items") if isinstance(prop.get("items"), dict) else {}
        if prop.get("type") == "boolean":
            widget = "checkbox"
        elif prop.get("type") == "array" and "enum" in items:
            widget = "checkboxes"  # a checklist: tick what applies
            prop = {**prop, "enum": items["enum"]}
            prop.setdefault("x-enum-titles", items.get("x-enum-titles", items["enum"]))
            prop.setdefault("x-enum-titles-en", items.get("x-enum-titles-en", items["enum"]))
        elif "enum" in prop:
            widget = "radio"
        elif prop.get("type") == "string" and prop.get("maxLength", 2000) > 200:
            widget = "textarea"
        options = []
        if "enum" in prop:
            zh = prop.get("x-enum-titles", prop["enum"])
            en = prop.get("x-enum-titles-en", prop["enum"])
            options = [{"value": v, "title": t, "title_en": e} for v, t, e in zip(prop["enum"], zh, en, strict=False)]
        fields.append({"name": name, "prop": prop, "widget": widget, "required": name in required, "options": options})
    return fields
