from typing import Any

from django import template

from ecitizen.core.i18n import tr

register = template.Library()

# USWDS alert variant for each severity.
SEVERITY_CLASSES = {
    "emergency": "usa-alert--emergency",
    "warning": "usa-alert--warning",
    "advisory": "usa-alert--info",
    "disruption": "usa-alert--warning",
}


@register.filter
def severity_class(severity: str) -> str:
    return SEVERITY_CLASSES.get(severity, "usa-alert--info")


@register.filter
def translated(value: Any) -> str:
    """Staff-written text stored per language, in the active language."""
    return tr(value)


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key)
