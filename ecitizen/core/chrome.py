"""The page chrome: the frame of every page, with its head links, header and footer.

It is the same for everyone who sees a page in the same language and is of the same kind
(signed in or not, staff or not), so each web process renders it once from ``chrome/*.html``
and afterwards only fills in the page's own parts and what belongs to the request: the CSRF
token, the current path (for the language switcher), the unread count and the messages.
Rendering the frame's pieces through the template engine cost more than a bare view on every
page.
"""

import re
from collections.abc import Callable, Iterable, Mapping

from django.conf import settings
from django.contrib.messages.storage.base import Message
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils.formats import localize
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

# Slots: placeholders from Unicode's private use area (never in a translation or a URL, and
# left alone by HTML escaping), rendered once and filled with each request's values.
_SLOT = re.compile("\ue000([a-z_]+)\ue000")


def slot(name: str) -> str:
    return f"\ue000{name}\ue000"


def fill_slots(html: str, values: Mapping[str, str]) -> str:
    """Each slot replaced by its (already escaped) value, in one pass: a value that looks like
    a slot stays as it is."""
    return _SLOT.sub(lambda found: values[found.group(1)], html)


_rendered: dict[tuple[object, ...], str] = {}


@receiver(setting_changed)
def _forget_rendered(**kwargs: object) -> None:
    """The platform name, URLs and static files shape every rendering: tests change them."""
    _rendered.clear()


Page = tuple[str, str]  # what a page's shared parts depend on: its language and URL prefix


def current_page() -> Page:
    return get_language(), get_script_prefix()


def rendered_once(key: tuple[object, ...], render: Callable[[], str], page: Page | None) -> str:
    """``render()``'s result, kept in this process under ``key`` and the ``page``'s language
    and URL prefix (looked up if not given). Only for HTML that holds nothing of one person or
    request; ``key`` takes few distinct values."""
    full_key = (*key, *(page or current_page()))
    html = _rendered.get(full_key)
    if html is None:
        if len(_rendered) > 1000:  # a bound, in case a key was given too many values
            _rendered.clear()
        html = _rendered[full_key] = render()
    return html


#: What a page fills into its frame: the parts of base.html's ``{% page %}``, then the header's.
PAGE_PARTS = ("title", "extra_head", "main", "extra_body")
_SLOTS = (*PAGE_PARTS, "messages", "csrf_token", "next_path", "inbox_badge")


def render_page(
    request: HttpRequest,
    parts: Mapping[str, str],
    *,
    signed_in: bool,
    staff: bool,
    unread: int,
    csrf_token: str,
    messages: Iterable[Message] = (),
    page: Page | None = None,
) -> SafeString:
    """A whole page: the frame for this language and kind of visitor (``chrome/page.html``,
    rendered once) filled with ``parts`` (the page's rendered blocks, already escaped) and
    what belongs to this request."""

    def render() -> str:
        context = {
            "PLATFORM_NAME": settings.PLATFORM_NAME,
            "LANGUAGE_CODE": get_language(),
            "LANGUAGES": settings.LANGUAGES,
            "signed_in": signed_in,
            "is_staff_member": staff,
            **{name: slot(name) for name in _SLOTS},
        }
        return render_to_string("chrome/page.html", context)

    frame = rendered_once(("page", signed_in, staff), render, page)
    badge = (
        format_html(
            ' <span class="usa-tag">{}<span class="usa-sr-only"> {}</span></span>',
            localize(unread),
            _("unread"),
        )
        if unread
        else ""
    )
    values = {
        **parts,
        "messages": page_messages(messages),
        "csrf_token": escape(csrf_token),
        "next_path": escape(request.get_full_path()),
        "inbox_badge": badge,
    }
    return mark_safe(fill_slots(frame, values))  # noqa: S308 - every value put in is escaped


_MESSAGE = (
    '<div class="usa-alert usa-alert--{} usa-alert--slim margin-bottom-2" role="{}">'
    '<div class="usa-alert__body"><p class="usa-alert__text">{}</p></div></div>'
)


def page_messages(messages: Iterable[Message]) -> SafeString:
    """The messages of ``django.contrib.messages``, each a USWDS alert (errors announced at
    once, the rest politely)."""
    kinds = [(m, m.tags if m.tags in ("error", "warning", "success") else "info") for m in messages]
    if not kinds:  # most pages
        return mark_safe("")
    return format_html_join(
        "\n", _MESSAGE, ((kind, "alert" if kind == "error" else "status", m) for m, kind in kinds)
    )
