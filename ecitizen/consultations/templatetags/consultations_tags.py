from typing import Any

from django import template
from django.utils import formats, timezone

from ecitizen.core.i18n import tr as translate_value

register = template.Library()


@register.filter
def tr(value: Any) -> str:
    """Staff-written {"en", "fr", "es"} text in the active language."""
    return translate_value(value)


@register.filter
def tr_in(value: Any, language: str) -> str:
    return str(value.get(language, "")) if isinstance(value, dict) else ""


def format_when(value: Any) -> str:
    """An aware datetime in the local zone: the date as the active language writes it, and a
    24-hour time (never ending in "a.m.", so it can end a sentence)."""
    if not value:
        return ""
    local = timezone.localtime(value)
    return f"{formats.date_format(local, 'DATE_FORMAT')}, {formats.date_format(local, 'H:i')}"


@register.filter
def when(value: Any) -> str:
    return format_when(value)


@register.filter
def day(value: Any) -> str:
    if not value:
        return ""
    return formats.date_format(timezone.localtime(value), "DATE_FORMAT")


@register.filter
def get(mapping: Any, key: Any) -> Any:
    return mapping.get(key) if hasattr(mapping, "get") else None
