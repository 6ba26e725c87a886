from typing import Any

from django import template

from ecitizen.core.i18n import tr as _tr

register = template.Library()


@register.filter
def tr(value: Any) -> str:
    """Staff-written text stored per language, in the reader's language."""
    return _tr(value)


@register.filter
def paragraphs(value: Any) -> list[str]:
    """Text split into paragraphs at blank lines (each rendered escaped in its own <p>)."""
    return [p.strip() for p in _tr(value).replace("\r\n", "\n").split("\n\n") if p.strip()]


@register.filter
def get(mapping: dict[Any, Any], key: Any) -> Any:
    return mapping.get(key, "") if mapping else ""
