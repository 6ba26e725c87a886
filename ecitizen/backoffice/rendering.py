"""The staff work queue's filter fields and rows, rendered in Python.

The queue page showed four ``<select>``s through Django's form templates (a template per
field, per widget, per option and per attribute list: about 8 ms a page) and 25 rows through
the template engine (a few hundred Python calls a row). Here each is one string built from
values computed once per page, with the same markup, labels, ids and ARIA attributes:

* ``select_field_group`` renders a bound ``<select>`` field as ``django/forms/field.html`` and
  Django's select widget templates do (label with "(optional)", hint, error message,
  ``aria-invalid``/``aria-describedby`` from Django's own ``BoundField.build_widget_attrs``,
  the kept value selected). A test compares it with ``as_field_group()`` for valid, invalid
  and unbound forms.
* ``queue_filter`` reads the filters from the query with the filter form and renders its
  selects; for a valid (or empty) query that outcome depends only on the query, the choices
  and the language, so it is kept per process (the form and its selects were ~1 ms a page).
* ``queue_rows`` renders the rows of ``backoffice/cases/queue.html``, each with its claim form
  (a plain ``<form>`` with the request's CSRF token, fetched once per page).
* ``queue_summary`` renders the page's summary line (four counts in plural forms: five
  template tags, a quarter of the template's time).

Every value is escaped with ``ecitizen.applications.listing.esc`` (``html.escape``).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django import forms
from django.utils.formats import date_format, localize
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from ecitizen.applications.case_selectors import (
    QueueChoices,
    QueueFilters,
    QueueRow,
    QueueSummary,
)
from ecitizen.applications.listing import Memo, esc, status_labels, url_maker
from ecitizen.backoffice.case_forms import QueueFilterForm


def _attrs(attrs: dict[str, Any]) -> str:
    """As ``django/forms/widgets/attrs.html``."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(f" {esc(name)}" if value is True else f' {esc(name)}="{esc(value)}"')
    return "".join(parts)


def select_field_group(bound: forms.BoundField) -> SafeString:
    """A ``<select>`` field with its label, hint and error, as ``field.as_field_group()``
    renders it with this project's ``django/forms/field.html``."""
    field = bound.field
    widget = field.widget
    choices = list(field.choices)  # type: ignore[attr-defined]
    if (
        not isinstance(widget, forms.Select)
        or widget.allow_multiple_selected
        or any(isinstance(label, (list, tuple)) for _value, label in choices)
    ):
        return bound.as_field_group()  # anything else (or option groups): Django's templates
    errors = bound.errors
    auto_id = bound.auto_id
    attrs = bound.build_widget_attrs({}, widget)
    if auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", auto_id)
    attrs = widget.build_attrs(widget.attrs, attrs)
    wanted = widget.format_value(bound.value())
    options = []
    chosen = False
    for value, label in choices:
        value = "" if value is None else str(value)
        selected = not chosen and value in wanted
        chosen = chosen or selected
        mark = " selected" if selected else ""
        options.append(f'  <option value="{esc(value)}"{mark}>{esc(label)}</option>\n')
    parts = [f'<div class="usa-form-group{" usa-form-group--error" if errors else ""}">\n']
    if bound.label:
        optional = (
            f' <span class="text-base">{esc(_("(optional)"))}</span>' if not field.required else ""
        )
        parts.append(
            f'<label class="usa-label{" usa-label--error" if errors else ""}" '
            f'for="{esc(bound.id_for_label)}">{esc(bound.label)}{optional}</label>\n'
        )
    if bound.help_text:
        parts.append(f'<div class="usa-hint" id="{esc(auto_id)}_helptext">{bound.help_text}</div>')
    parts.append("\n")
    if errors:
        message = " ".join(esc(error) for error in errors)
        parts.append(f'<span class="usa-error-message" id="{esc(auto_id)}_error">{message}</span>')
    parts.append("\n")
    parts.append(f'<select name="{esc(bound.html_name)}"{_attrs(attrs)}>\n')
    parts.extend(options)
    parts.append("</select>\n</div>")
    return mark_safe("".join(parts))  # noqa: S308 (values escaped above; help text is trusted, as |safe in the template)


@dataclass(frozen=True)
class QueueFilter:
    filters: QueueFilters
    fields: tuple[SafeString, ...]  # the filter form's selects
    form: forms.Form | None = None  # only when the query is invalid (for its error summary)


def queue_filter(query: Mapping[str, str], choices: QueueChoices) -> QueueFilter:
    """The queue's filters from the query (none if it names none), and the form's selects
    showing them; an invalid query filters nothing and keeps its form, with the errors."""
    wanted = tuple((name, query[name]) for name in QueueFilterForm.base_fields if name in query)
    valid = _valid_queue_filter(
        get_language(), wanted, tuple(choices.services), tuple(choices.officers)
    )
    if valid is not None:
        return valid
    form = QueueFilterForm(dict(wanted), services=choices.services, officers=choices.officers)
    form.full_clean()
    return QueueFilter(QueueFilters(), tuple(select_field_group(field) for field in form), form)


@lru_cache(maxsize=512)
def _valid_queue_filter(
    language: str | None,
    wanted: tuple[tuple[str, str], ...],
    services: tuple[tuple[int, str], ...],
    officers: tuple[tuple[int, str], ...],
) -> QueueFilter | None:
    """``queue_filter`` for a valid or empty query (``None`` if invalid): the same for the
    same query, choices and ``language`` (the active one, which the labels are in)."""
    form = QueueFilterForm(
        dict(wanted) if wanted else None, services=list(services), officers=list(officers)
    )
    filters = QueueFilters()
    if form.is_bound:
        if not form.is_valid():
            return None
        data = form.cleaned_data
        filters = QueueFilters(
            service=data["service"],
            status=data["status"],
            sla=data["sla"],
            assignee=data["assignee"],
        )
    return QueueFilter(filters, tuple(select_field_group(field) for field in form))


QUEUE_ROW = (
    "<tr>\n"
    '      <th scope="row" data-label="{l_reference}">'
    '<a class="usa-link" href="{url}">{reference}</a></th>\n'
    '      <td data-label="{l_service}">{service}</td>\n'
    '      <td data-label="{l_status}"><span class="usa-tag{status_class}">{status}</span></td>\n'
    '      <td data-label="{l_due}">{due}</td>\n'
    '      <td data-label="{l_left}">{left}</td>\n'
    '      <td data-label="{l_assigned}">{assigned}</td>\n'
    '      <td data-label="{l_actions}">{claim}</td>\n'
    "    </tr>"
)
QUEUE_CLAIM = (
    "\n"
    '        <form method="post" action="{url}" class="ec-inline-form">\n'
    '          <input type="hidden" name="csrfmiddlewaretoken" value="{csrf}">'
    '<input type="hidden" name="next" value="{next}">\n'
    '          <button type="submit" class="usa-button usa-button--outline usa-button--small">'
    '{l_claim}<span class="usa-sr-only"> {reference}</span></button>\n'
    "        </form>"
)


def _braces(text: str) -> str:
    """``text`` as a literal part of a ``str.format`` pattern."""
    return text.replace("{", "{{").replace("}", "}}")


@lru_cache(maxsize=16)
def _queue_patterns(language: str | None) -> tuple[str, str]:
    """The row's and the claim's patterns with their labels in ``language`` (the active one)."""
    labels = {
        "l_reference": _("Reference"),
        "l_service": _("Service"),
        "l_status": _("Status"),
        "l_due": _("Due"),
        "l_left": _("Time left"),
        "l_assigned": _("Assigned to"),
        "l_actions": _("Actions"),
        "l_claim": _("Claim"),
    }
    row_pattern, claim_pattern = QUEUE_ROW, QUEUE_CLAIM
    for name, label in labels.items():
        row_pattern = row_pattern.replace("{" + name + "}", _braces(esc(label)))
        claim_pattern = claim_pattern.replace("{" + name + "}", _braces(esc(label)))
    return row_pattern, claim_pattern


def queue_rows(
    rows: Iterable[QueueRow], *, workable: Iterable[str], csrf_token: str, next_url: str
) -> list[str]:
    """The rows of the work queue, as HTML with every value escaped (the page joins and marks
    them safe once): reference (a link to the case), service, status tag, due date, time left
    (SLA tag), who handles it ("Nobody"), and a claim button for an unassigned case that can be
    worked on (posting back to the queue page ``next_url``)."""
    detail_url = url_maker("backoffice:case_detail")
    claim_url = url_maker("backoffice:case_claim")
    row_pattern, claim_pattern = _queue_patterns(get_language())
    # The page's own values go into the claim's pattern once (braces doubled, as the labels').
    claim_pattern = claim_pattern.replace("{csrf}", _braces(esc(csrf_token))).replace(
        "{next}", _braces(esc(next_url))
    )
    nobody = esc(_("Nobody"))
    workable = frozenset(workable)
    statuses = status_labels()
    services = Memo(esc)
    sla_tags = Memo(
        lambda sla: (
            f'<span class="usa-tag{esc(sla.tag_class)}">{esc(sla.label)}</span>'
            if sla.code
            else "–"
        )
    )
    dues = Memo(
        lambda day: (
            f'<time datetime="{esc(day.isoformat())}">{esc(date_format(day, "DATE_FORMAT"))}</time>'
            if day
            else "–"
        )
    )
    html = []
    for row in rows:
        case = row.case
        reference = esc(case.reference)
        status = case.status
        claim = ""
        if not case.assignee_id and status in workable:
            claim = claim_pattern.format(url=claim_url(case.reference), reference=reference)
        html.append(
            row_pattern.format(
                url=detail_url(case.reference),
                reference=reference,
                service=services[row.service_title],
                status_class=esc(row.status_class),
                status=statuses[status],
                due=dues[case.due_date],
                left=sla_tags[row.sla],
                assigned=esc(case.assignee_name) if case.assignee_name else nobody,
                claim=claim,
            )
        )
    return html


def _counted(translated: str, number: int) -> str:
    """As ``{% blocktranslate count counter=number %}`` gives ``translated`` (the platform's
    own text, left unescaped as the tag leaves it): with the number localised and escaped."""
    return translated % {"counter": esc(localize(number))}


def queue_summary(summary: QueueSummary, agency_code: str) -> SafeString:
    """The queue's summary: its open cases, then links to the overdue, the due soon and the
    unassigned ones."""
    agency = esc(agency_code)

    def link(query: str, text: str) -> str:
        return f'<a class="usa-link" href="?agency={agency}&amp;{query}">{text}</a>'

    open_, overdue, soon, unassigned = (
        summary.open,
        summary.overdue,
        summary.due_soon,
        summary.unassigned,
    )
    items = [
        _counted(ngettext("%(counter)s open case", "%(counter)s open cases", open_), open_),
        link(
            "sla=overdue",
            _counted(ngettext("%(counter)s overdue", "%(counter)s overdue", overdue), overdue),
        ),
        link(
            "sla=due_soon",
            _counted(
                ngettext(
                    "%(counter)s due within 2 working days",
                    "%(counter)s due within 2 working days",
                    soon,
                ),
                soon,
            ),
        ),
        link(
            "assignee=none",
            _counted(
                ngettext("%(counter)s unassigned", "%(counter)s unassigned", unassigned),
                unassigned,
            ),
        ),
    ]
    return mark_safe(  # noqa: S308 (escaped values, the platform's own translations)
        f'<ul class="ec-inline-list margin-bottom-2" aria-label="{esc(_("Summary"))}">\n'
        + "".join(f"  <li>{item}</li>\n" for item in items)
        + "</ul>"
    )
