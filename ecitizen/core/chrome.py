"""The page chrome: head links, header and footer.

They are the same for everyone who sees a page in the same language, signed in or not, staff
or not, so each web process renders them once from ``chrome/*.html`` and afterwards only fills
in what belongs to the request: the CSRF token, the current path (for the language switcher)
and the unread count. Rendering them through the template engine cost more than a bare view
on every page.
"""

from django.conf import settings
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.formats import localize
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

# Placeholders from Unicode's private use area: never in a translation or a URL, and left
# alone by HTML escaping.
CSRF_TOKEN = "\ue000csrf\ue000"  # noqa: S105 - a placeholder, not a secret
NEXT_PATH = "\ue000next\ue000"
INBOX_BADGE = "\ue000badge\ue000"

_rendered: dict[tuple[object, ...], str] = {}


def _render_once(template: str, **flags: bool) -> str:
    language = get_language()
    key: tuple[object, ...] = (
        template,
        language,
        settings.PLATFORM_NAME,
        settings.ROOT_URLCONF,
        settings.STATIC_URL,
        *sorted(flags.items()),
    )
    html = _rendered.get(key)
    if html is None:
        context = {
            "PLATFORM_NAME": settings.PLATFORM_NAME,
            "LANGUAGE_CODE": language,
            "LANGUAGES": settings.LANGUAGES,
            "csrf_token": CSRF_TOKEN,
            "next_path": NEXT_PATH,
            "inbox_badge": INBOX_BADGE,
            **flags,
        }
        html = _rendered[key] = render_to_string(template, context)
    return html


def page_head() -> SafeString:
    return mark_safe(_render_once("chrome/head.html"))  # noqa: S308 - rendered by our template


def page_footer() -> SafeString:
    return mark_safe(_render_once("chrome/footer.html"))  # noqa: S308


def page_header(
    request: HttpRequest, *, signed_in: bool, staff: bool, unread: int, csrf_token: str
) -> SafeString:
    html = _render_once("chrome/header.html", signed_in=signed_in, is_staff_member=staff)
    badge = (
        format_html(
            ' <span class="usa-tag">{}<span class="usa-sr-only"> {}</span></span>',
            localize(unread),
            _("unread"),
        )
        if unread
        else ""
    )
    return mark_safe(  # noqa: S308 - every value put in is escaped
        html.replace(CSRF_TOKEN, escape(csrf_token))
        .replace(NEXT_PATH, escape(request.get_full_path()))
        .replace(INBOX_BADGE, badge)
    )
