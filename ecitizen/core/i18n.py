"""Staff-written content in several languages is stored as ``{"en": …, "fr": …, "es": …}``."""

from typing import Any

from django.conf import settings
from django.utils.translation import get_language

LANGUAGE_CODES = [code for code, _ in settings.LANGUAGES]


def tr(value: Any, language: str | None = None) -> str:
    """The text in the active (or given) language, falling back to English, then any."""
    if not isinstance(value, dict):
        return "" if value is None else str(value)
    language = (language or get_language() or "en")[:2]
    return value.get(language) or value.get("en") or next(iter(value.values()), "")


def missing_languages(value: Any) -> list[str]:
    if not isinstance(value, dict):
        return LANGUAGE_CODES[:]
    return [code for code in LANGUAGE_CODES if not str(value.get(code, "")).strip()]
