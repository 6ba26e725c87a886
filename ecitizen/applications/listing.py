"""Rows of the long lists ("My applications", the staff work queue), rendered in Python.

A list page shows 20 to 25 rows. Rendered through the template engine, each row costs a few
hundred Python calls (every ``{{ variable }}`` is a context lookup, a localisation and an
escape; every ``{% url %}`` a reverse; every ``|date`` a format; ``get_status_display`` hashes
the lazy choices), which made the rows most of the page's CPU. Here each row is one
``str.format`` over values computed once per page: URLs from one reversed pattern, translated
labels, status labels and formatted dates memoised per page (never across requests: they
depend on the language and the time zone). The markup is the same as the templates had.

Escaping: every value put into a row goes through ``esc`` (the standard library's
``html.escape``, which is what Django's ``escape`` calls, without its lazy-string wrapper), or
is a fragment built here from escaped values. Tests render rows with markup in every field.
"""

import re
from collections.abc import Callable, Iterable
from datetime import date, datetime, tzinfo
from html import escape
from typing import Any
from urllib.parse import quote

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from ecitizen.applications.models import Application
from ecitizen.applications.selectors import NEXT_STEPS, status_tag_class
from ecitizen.core.i18n import tr

Status = Application.Status
_SENTINEL = "0ECITIZEN0SENTINEL0"
# What ``reverse`` leaves unquoted in a path argument (django.urls.resolvers).
_URL_SAFE = "/~:@!$&'()*+,;="
_PLAIN = re.compile(r"[A-Za-z0-9._~-]+").fullmatch  # what quote() and escape() leave as is


def esc(value: object) -> str:
    """``value`` as HTML text or attribute value (what ``{{ value }}`` does to a string)."""
    return escape(str(value), quote=True)


def url_maker(viewname: str) -> Callable[[str], str]:
    """A function giving ``reverse(viewname, args=[reference])`` for any reference, from one
    ``reverse`` per page (script prefix and language included), HTML-escaped. A reference of
    letters, digits and ``-._~`` (every one the platform makes) needs neither quoting nor
    escaping."""
    pattern = reverse(viewname, args=[_SENTINEL])
    head, _sep, tail = pattern.partition(_SENTINEL)
    plain_head, plain_tail = esc(head), esc(tail)

    def url(reference: str) -> str:
        if _PLAIN(reference):
            return f"{plain_head}{reference}{plain_tail}"
        return esc(f"{head}{quote(reference, safe=_URL_SAFE)}{tail}")

    return url


class Memo(dict[Any, str]):
    """Values computed once per page (labels per status, dates per day)."""

    def __init__(self, compute: Callable[[Any], str]) -> None:
        super().__init__()
        self.compute = compute

    def __missing__(self, key: Any) -> str:
        value = self[key] = self.compute(key)
        return value


def status_labels() -> Memo:
    """The label of each status in the current language, HTML-escaped."""
    labels = dict(Status.choices)
    return Memo(lambda status: esc(labels.get(status, status)))


def date_labels() -> Memo:
    """A date as ``|date:"DATE_FORMAT"`` shows it, HTML-escaped."""
    return Memo(lambda day: esc(date_format(day, "DATE_FORMAT")))


def local_day(moment: datetime, zone: tzinfo) -> date:
    """The day of ``moment`` in the time zone ``zone`` (the current one, as the ``|date``
    filter shows it: ``timezone.get_current_timezone()``, looked up once per page)."""
    return moment.astimezone(zone).date() if timezone.is_aware(moment) else moment.date()


MINE_ROW = (
    "<tr>\n"
    '      <th scope="row" data-label="{l_service}">'
    '<a class="usa-link" href="{url}">{title}</a></th>\n'
    '      <td data-label="{l_reference}" class="ec-codes">{reference}</td>\n'
    '      <td data-label="{l_status}"><span class="usa-tag{status_class}">{status}</span></td>\n'
    '      <td data-label="{l_next}">{next_step}{action}</td>\n'
    '      <td data-label="{l_changed}">{changed}</td>\n'
    "    </tr>"
)
MINE_ACTION = (
    '<br><a class="usa-link" href="{url}">{label}<span class="usa-sr-only"> {title}</span></a>'
)


def my_application_rows(applications: Iterable[Any]) -> list[SafeString]:
    """The rows of "My applications" (``applications/mine.html``): service (a link to the
    application), reference, status tag, what happens next (with "Continue" for a draft and
    "Answer" when information is requested), last change. Each item has ``reference``,
    ``status``, ``updated_at``, ``service_version_id`` and ``title`` (the version's title
    translations), as ``selectors.applications_page_for_resident`` gives them."""
    detail_url = url_maker("applications:detail")
    actions: dict[str, tuple[Callable[[str], str], str]] = {
        Status.DRAFT: (url_maker("applications:resume"), esc(_("Continue"))),
        Status.INFO_REQUESTED: (url_maker("applications:respond"), esc(_("Answer"))),
    }
    labels = {
        "l_service": esc(_("Service")),
        "l_reference": esc(_("Reference")),
        "l_status": esc(_("Status")),
        "l_next": esc(_("What happens next")),
        "l_changed": esc(_("Last change")),
    }
    statuses = status_labels()
    next_steps = Memo(lambda status: esc(NEXT_STEPS.get(status, "")))
    days = date_labels()
    zone = timezone.get_current_timezone()
    titles: dict[int, str] = {}  # per service version
    rows = []
    for application in applications:
        reference = application.reference
        status = application.status
        title = titles.get(application.service_version_id)
        if title is None:
            title = titles[application.service_version_id] = esc(tr(application.title))
        action = ""
        if status in actions:
            url, label = actions[status]
            action = MINE_ACTION.format(url=url(reference), label=label, title=title)
        html = MINE_ROW.format(
            url=detail_url(reference),
            title=title,
            reference=esc(reference),
            status_class=esc(status_tag_class(status)),
            status=statuses[status],
            next_step=next_steps[status],
            action=action,
            changed=days[local_day(application.updated_at, zone)],
            **labels,
        )
        rows.append(mark_safe(html))  # noqa: S308 (every value above is escaped)
    return rows
