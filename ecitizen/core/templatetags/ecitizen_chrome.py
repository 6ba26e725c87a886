"""``{% page_head %}``, ``{% page_header %}`` and ``{% page_footer %}`` for base.html."""

from typing import Any

from django import template
from django.utils.safestring import SafeString

from ecitizen.core import chrome

register = template.Library()


@register.simple_tag
def page_head() -> SafeString:
    return chrome.page_head()


@register.simple_tag(takes_context=True)
def page_header(context: dict[str, Any]) -> SafeString:
    user = context.get("user")
    signed_in = bool(user and user.is_authenticated)
    return chrome.page_header(
        context["request"],
        signed_in=signed_in,
        staff=bool(context.get("is_staff_member")),
        # A lazy count (notifications' context processor), worked out only for the signed-in.
        unread=int(str(context.get("inbox_unread", 0))) if signed_in else 0,
        csrf_token=str(context.get("csrf_token") or ""),
    )


@register.simple_tag
def page_footer() -> SafeString:
    return chrome.page_footer()
