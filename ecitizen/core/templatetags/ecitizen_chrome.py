"""``{% page %}`` for base.html, ``{% page_nav %}`` for paged lists, and ``{% once %}`` for the
parts of other pages that are the same for everyone."""

from urllib.parse import urlencode

from django import template
from django.core.paginator import Page
from django.template.base import FilterExpression, NodeList, Parser, Token, token_kwargs
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from ecitizen.core import chrome

register = template.Library()
_PAGE_KEY = "ecitizen_chrome_page"


def _page(context: template.Context) -> chrome.Page:
    """The page's language and URL prefix, looked up once for all its shared parts."""
    page: chrome.Page | None = context.render_context.get(_PAGE_KEY)
    if page is None:
        page = context.render_context[_PAGE_KEY] = chrome.current_page()
    return page


class PageNode(template.Node):
    """base.html's ``{% page %}``: its parts (each holding a block) rendered, then put in the
    frame with the header's per-request values."""

    child_nodelists = chrome.PAGE_PARTS  # where the blocks are, for {% extends %}

    def __init__(self, parts: dict[str, NodeList]) -> None:
        for name, nodelist in parts.items():
            setattr(self, name, nodelist)

    def render(self, context: template.Context) -> str:
        user = context.get("user")
        signed_in = bool(user and user.is_authenticated)
        parts = {name: getattr(self, name).render(context) for name in chrome.PAGE_PARTS}
        return chrome.render_page(
            context["request"],
            parts,
            signed_in=signed_in,
            staff=bool(context.get("is_staff_member")),
            # A lazy count (notifications' context processor), worked out only for the signed-in.
            unread=int(str(context.get("inbox_unread", 0))) if signed_in else 0,
            csrf_token=str(context.get("csrf_token") or ""),
            messages=context.get("messages") or (),
            page=_page(context),
        )


@register.tag
def page(parser: Parser, token: Token) -> PageNode:
    """``{% page %}title{% page_part extra_head %}...{% page_part main %}...{% page_part
    extra_body %}...{% endpage %}``: the whole page in ``chrome/page.html``'s frame (only
    base.html uses it, with a block in each part)."""
    parts, name = {}, chrome.PAGE_PARTS[0]
    while True:
        parts[name] = parser.parse(("page_part", "endpage"))
        bits = parser.next_token().split_contents()
        if bits[0] == "endpage":
            break
        name = bits[1] if len(bits) == 2 else ""
        if name not in chrome.PAGE_PARTS or name in parts:
            raise template.TemplateSyntaxError(
                f"{{% page_part %}} takes one of {chrome.PAGE_PARTS}."
            )
    if tuple(parts) != chrome.PAGE_PARTS:
        raise template.TemplateSyntaxError(f"{{% page %}} needs the parts {chrome.PAGE_PARTS}.")
    return PageNode(parts)


PAGE_NAV = (
    '<nav aria-label="{label}" class="usa-pagination">\n  <ul class="usa-pagination__list">\n'
    "{previous}"
    '    <li class="usa-pagination__item usa-pagination__page-no">'
    '<span class="usa-pagination__button usa-current" aria-current="page">{current}</span></li>\n'
    "{next}"
    "  </ul>\n</nav>"
)
PAGE_LINK = (
    '    <li class="usa-pagination__item usa-pagination__arrow"><a href="{url}"'
    ' class="usa-pagination__link usa-pagination__{direction}-page">'
    '<span class="usa-pagination__link-text">{label}</span></a></li>\n'
)


@register.simple_tag(takes_context=True)
def page_nav(context: template.Context, page: Page) -> SafeString:
    """USWDS pagination for a ``Page`` (nothing when there is only one): previous, "Page N of
    M", next. The links keep the request's other query parameters (a work queue's filters),
    as ``{% querystring %}`` does (without its deep copy of the query)."""
    if not page.has_other_pages():
        return mark_safe("")

    others = [(k, v) for k, values in context["request"].GET.lists() if k != "page" for v in values]

    def link(number: int, direction: str, label: str) -> str:
        url = "?" + urlencode([*others, ("page", number)])
        return PAGE_LINK.format(url=escape(url), direction=direction, label=escape(label))

    current = _("Page %(number)s of %(total)s") % {
        "number": page.number,
        "total": page.paginator.num_pages,
    }
    return mark_safe(  # noqa: S308 (every value is escaped)
        PAGE_NAV.format(
            label=escape(_("Pagination")),
            previous=link(page.previous_page_number(), "previous", _("Previous"))
            if page.has_previous()
            else "",
            current=escape(current),
            next=link(page.next_page_number(), "next", _("Next")) if page.has_next() else "",
        )
    )


class OnceNode(template.Node):
    def __init__(
        self,
        name: str,
        vary_on: list[FilterExpression],
        slots: dict[str, FilterExpression],
        nodelist: NodeList,
    ) -> None:
        self.name = name
        self.vary_on = vary_on
        self.slots = slots
        self.nodelist = nodelist

    def _render_with_placeholders(self, context: template.Context) -> str:
        with context.push({name: chrome.slot(name) for name in self.slots}):
            return self.nodelist.render(context)

    def render(self, context: template.Context) -> str:
        key = (self.name, *(value.resolve(context) for value in self.vary_on))
        html = chrome.rendered_once(
            key, lambda: self._render_with_placeholders(context), _page(context)
        )
        if self.slots:
            values = {
                name: conditional_escape(value.resolve(context))
                for name, value in self.slots.items()
            }
            html = chrome.fill_slots(html, values)
        return mark_safe(html)  # noqa: S308 - rendered by the engine; slot values escaped


@register.tag
def once(parser: Parser, token: Token) -> OnceNode:
    """``{% once "name" [value ...] [with slot=value ...] %}...{% endonce %}``: rendered once
    per web process for each language and each combination of the (few-valued) ``value``s,
    then reused; for text, links and headings that are the same for everyone. Personal values
    go in slots: inside the block ``{{ slot }}`` is a placeholder, filled (escaped) with this
    request's value each time. Translating and reversing URLs cost more than the rest of a
    typical page."""
    bits = token.split_contents()
    if len(bits) < 2 or bits[1][0] not in "\"'" or bits[1][0] != bits[1][-1]:
        raise template.TemplateSyntaxError("{% once %} needs a quoted name first.")
    vary_on, slots = bits[2:], {}
    if "with" in vary_on:
        at = vary_on.index("with")
        slots = token_kwargs(vary_on[at + 1 :], parser)
        if not slots or len(slots) != len(vary_on) - at - 1:
            raise template.TemplateSyntaxError("{% once ... with %} needs name=value pairs.")
        vary_on = vary_on[:at]
    nodelist = parser.parse(("endonce",))
    parser.delete_first_token()
    compiled = [parser.compile_filter(bit) for bit in vary_on]
    return OnceNode(bits[1][1:-1], compiled, slots, nodelist)
