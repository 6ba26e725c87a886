from typing import Any

from django import template

from ecitizen.catalogue import presentation
from ecitizen.catalogue.presentation import text_lines
from ecitizen.core.i18n import tr as translate_value
from ecitizen.core.templatetags.ecitizen_money import money

register = template.Library()


@register.filter
def tr(value: Any) -> str:
    """Staff-written {"en", "fr", "es"} text in the active language."""
    return translate_value(value)


@register.filter
def tr_in(value: Any, language: str) -> str:
    """The text in one given language (empty if missing), e.g. in the back office."""
    return str(value.get(language, "")) if isinstance(value, dict) else ""


@register.filter
def lines(value: Any) -> list[str]:
    return text_lines(value)


register.filter("money", money)  # the platform's one money filter, also in these templates


@register.filter
def fee_summary(definition: dict[str, Any]) -> str:
    return presentation.fee_summary(definition or {})


@register.filter
def sla(definition: dict[str, Any]) -> str:
    return presentation.sla_text((definition or {}).get("sla_working_days"))


@register.filter
def file_types(types: list[str] | None) -> str:
    """MIME types as people know them: "PDF, JPEG"."""
    return ", ".join(presentation.FILE_TYPE_NAMES.get(t, t) for t in types or [])
