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


@register.filter
def when(value: Any) -> str:
    """An aware datetime in the local zone, formatted for the active language."""
    if not value:
        return ""
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")


@register.filter
def day(value: Any) -> str:
    if not value:
        return ""
    return formats.date_format(timezone.localtime(value), "DATE_FORMAT")


@register.filter
def get(mapping: Any, key: Any) -> Any:
    return mapping.get(key) if hasattr(mapping, "get") else None
