"""The work queue's filter fields and rows rendered in Python (``ecitizen.backoffice.rendering``):
the same markup as Django's form templates and the former row template, with labels, ids,
ARIA attributes, errors and kept values, every value escaped."""

import datetime
import re
from typing import Any

import pytest
from django import forms
from django.template import engines
from django.utils import translation

from ecitizen.accounts.models import Profile, User
from ecitizen.applications.case_selectors import (
    QueueCase,
    QueueChoices,
    QueueFilters,
    QueueRow,
    QueueSummary,
    SlaState,
)
from ecitizen.applications.casework import WORKABLE
from ecitizen.applications.models import Application
from ecitizen.applications.selectors import status_tag_class
from ecitizen.backoffice.case_forms import QueueFilterForm
from ecitizen.backoffice.rendering import (
    queue_filter,
    queue_rows,
    queue_summary,
    select_field_group,
)
from ecitizen.core.forms import UswdsFormMixin

Status = Application.Status
SERVICES = [(1, "Building <permit>"), (5, 'Parking "residents"')]
OFFICERS = [(7, "Ann & Bob")]


def squeeze(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", html)).strip()


def queue_form(data: dict[str, str] | None) -> QueueFilterForm:
    return QueueFilterForm(data, services=SERVICES, officers=OFFICERS)


class HintedForm(UswdsFormMixin, forms.Form):
    colour = forms.ChoiceField(
        label="Colour",
        help_text="Pick <em>one</em>.",
        choices=[("", "Choose"), ("red", "Red"), (3, "Three")],
    )


@pytest.mark.parametrize(
    "data",
    [
        None,  # unbound: the empty choices selected
        {"status": "submitted", "service": "5", "sla": "overdue", "assignee": "me"},
        {"status": "bogus", "service": "abc", "sla": "", "assignee": "99999"},  # errors
        {"status": "<script>", "service": "1"},  # an error quoting the value
    ],
)
@pytest.mark.parametrize("language", ["en", "fr"])
def test_filter_fields_are_what_django_renders(data: dict[str, str] | None, language: str) -> None:
    with translation.override(language):
        form = queue_form(data)
        form.is_valid()
        for field in form:
            assert squeeze(select_field_group(field)) == squeeze(field.as_field_group())


def test_errors_hints_and_required_fields_are_what_django_renders() -> None:
    for data in [None, {"colour": "red"}, {"colour": "3"}, {"colour": ""}, {"colour": "x"}]:
        form = HintedForm(data)
        form.is_valid()
        rendered = select_field_group(form["colour"])
        assert squeeze(rendered) == squeeze(form["colour"].as_field_group())
    assert 'aria-describedby="id_colour_helptext id_colour_error"' in rendered
    assert 'aria-invalid="true"' in rendered
    assert "required" in rendered


def test_kept_values_are_selected_and_errors_shown() -> None:
    form = queue_form({"status": "info_requested", "service": "abc"})
    form.is_valid()
    status, service = select_field_group(form["status"]), select_field_group(form["service"])
    assert '<option value="info_requested" selected>' in status
    assert "selected" not in service
    assert '<span class="usa-error-message" id="id_service_error">' in service
    assert 'aria-describedby="id_service_error"' in service
    assert "Building &lt;permit&gt;" in service


# The row as ``backoffice/cases/queue.html`` rendered it through the template engine.
TEMPLATE_ROW = """{% load i18n %}
{% translate "Reference" as l_reference %}{% translate "Service" as l_service %}{% translate "Status" as l_status %}{% translate "Due" as l_due %}{% translate "Time left" as l_left %}{% translate "Assigned to" as l_assigned %}{% translate "Actions" as l_actions %}{% translate "Nobody" as l_nobody %}{% translate "Claim" as l_claim %}
<tr>
  <th scope="row" data-label="{{ l_reference }}"><a class="usa-link" href="{% url 'backoffice:case_detail' application.reference %}">{{ application.reference }}</a></th>
  <td data-label="{{ l_service }}">{{ row.service_title }}</td>
  <td data-label="{{ l_status }}"><span class="usa-tag{{ row.status_class }}">{{ application.get_status_display }}</span></td>
  <td data-label="{{ l_due }}">{% if application.due_date %}<time datetime="{{ application.due_date|date:'Y-m-d' }}">{{ application.due_date|date:"DATE_FORMAT" }}</time>{% else %}–{% endif %}</td>
  <td data-label="{{ l_left }}">{% if row.sla.code %}{% include "backoffice/cases/_sla_tag.html" with sla=row.sla %}{% else %}–{% endif %}</td>
  <td data-label="{{ l_assigned }}">{{ row.case.assignee_name|default:l_nobody }}</td>
  <td data-label="{{ l_actions }}">{% if not application.assignee_id and application.status in workable %}
    <form method="post" action="{% url 'backoffice:case_claim' application.reference %}" class="ec-inline-form">
      <input type="hidden" name="csrfmiddlewaretoken" value="{{ csrf_token }}"><input type="hidden" name="next" value="{{ next }}">
      <button type="submit" class="usa-button usa-button--outline usa-button--small">{{ l_claim }}<span class="usa-sr-only"> {{ application.reference }}</span></button>
    </form>{% endif %}</td>
</tr>"""  # noqa: E501


def queue_row(status: str, reference: str, **changes: Any) -> tuple[QueueRow, Application]:
    """A queue row, and the application the template row was rendered from."""
    application = Application(
        reference=reference,
        status=status,
        due_date=changes.pop("due_date", datetime.date(2026, 3, 2)),
        assignee=changes.pop("assignee", None),
    )
    case = QueueCase(
        pk=1,
        reference=reference,
        status=status,
        service_id=1,
        version_number=1,
        version_title={"en": "Building <permit>"},
        submitted_at=None,
        due_date=application.due_date,
        clock_paused_at=None,
        assignee_id=application.assignee_id,
        assignee_name=changes.pop("assignee_name", ""),
    )
    values: dict[str, Any] = {
        "case": case,
        "service_title": "Building <permit>",
        "sla": SlaState("overdue", "Overdue by 2 working days", -2),
        "status_class": status_tag_class(status),
    }
    values.update(changes)
    return QueueRow(**values), application


@pytest.mark.parametrize("language", ["en", "es"])
def test_queue_rows_are_the_template_rows(language: str) -> None:
    officer = User(pk=9, email="o@example.org")
    officer.profile = Profile(legal_name="O'Brien & <Co>")
    rows = [
        queue_row(Status.SUBMITTED, "BP-1"),
        queue_row(Status.INFO_REQUESTED, "BP-2", sla=SlaState("paused", "Paused")),
        queue_row(Status.SUBMITTED, "BP-3", assignee=officer, assignee_name="O'Brien & <Co>"),
        queue_row(Status.ISSUED, "BP-<4>", due_date=None, sla=SlaState("", "")),
        queue_row(Status.APPROVED, "BP-5", sla=SlaState("due_soon", "Due today", 0)),
        queue_row(Status.SUBMITTED, "BP-6", sla=SlaState("on_track", "Due in 9 days", 9)),
    ]
    csrf, next_url = "tok<en>", "/staff/cases/?agency=a&status=submitted&page=2"
    template = engines["django"].from_string(TEMPLATE_ROW)
    with translation.override(language):
        rendered = queue_rows(
            [row for row, _ in rows], workable=WORKABLE, csrf_token=csrf, next_url=next_url
        )
        expected = [
            template.render(
                {
                    "row": row,
                    "application": application,
                    "workable": WORKABLE,
                    "csrf_token": csrf,
                    "next": next_url,
                }
            )
            for row, application in rows
        ]
    for row, wanted in zip(rendered, expected, strict=True):
        assert squeeze(row) == squeeze(wanted)
    assert 'action="/staff/cases/BP-1/claim/"' in rendered[0]
    assert 'value="/staff/cases/?agency=a&amp;status=submitted&amp;page=2"' in rendered[0]
    assert "ec-inline-form" not in rendered[2]  # assigned: no claim button
    assert "ec-inline-form" not in rendered[3]  # issued: nothing to claim
    assert "&lt;Co&gt;" in rendered[2] and "<Co>" not in rendered[2]


def test_braces_in_the_query_are_kept_in_the_claim_forms() -> None:
    """The page's address goes into every claim form's pattern once per page: braces in it
    (anyone can type them into the address) are text, not placeholders."""
    row, _application = queue_row(Status.SUBMITTED, "BP-1")
    next_url = "/staff/cases/?agency=a&q={reference}{0}{"
    (rendered,) = queue_rows([row], workable=WORKABLE, csrf_token="t", next_url=next_url)
    assert 'value="/staff/cases/?agency=a&amp;q={reference}{0}{"' in rendered


def test_the_queue_filter_is_the_forms_outcome_kept_per_query_choices_and_language() -> None:
    choices = QueueChoices(services=SERVICES, officers=OFFICERS, holidays=set())
    query = {"service": "5", "status": "submitted", "assignee": "7", "page": "2"}
    first, again = queue_filter(query, choices), queue_filter(dict(query), choices)
    form = QueueFilterForm(query, services=SERVICES, officers=OFFICERS)
    assert form.is_valid()
    assert first.filters == QueueFilters(service=5, status="submitted", assignee="7")
    assert first.form is None and again is first  # kept: the same outcome, not rebuilt
    assert first.fields == tuple(select_field_group(field) for field in form)
    with translation.override("fr"):
        french = queue_filter(query, choices)
        assert french.fields == tuple(
            select_field_group(field)
            for field in QueueFilterForm(query, services=SERVICES, officers=OFFICERS)
        )
    assert french.fields != first.fields  # the labels are in the page's language
    other = QueueChoices(services=[(5, "Renamed")], officers=OFFICERS, holidays=set())
    assert "Renamed" in queue_filter(query, other).fields[1]  # new choices: worked out anew
    assert queue_filter({}, choices).filters == QueueFilters()


def test_an_invalid_queue_filter_keeps_its_form_and_filters_nothing() -> None:
    choices = QueueChoices(services=SERVICES, officers=OFFICERS, holidays=set())
    for _ in range(2):  # never kept: each time with its form and errors
        result = queue_filter({"service": "999", "sla": "overdue"}, choices)
        assert result.filters == QueueFilters()
        assert result.form is not None and "service" in result.form.errors
        assert 'aria-invalid="true"' in result.fields[1]


TEMPLATE_SUMMARY = """{% load i18n %}<ul class="ec-inline-list margin-bottom-2" aria-label="{% translate 'Summary' %}">
  <li>{% blocktranslate count counter=summary.open %}{{ counter }} open case{% plural %}{{ counter }} open cases{% endblocktranslate %}</li>
  <li><a class="usa-link" href="?agency={{ agency.code }}&amp;sla=overdue">{% blocktranslate count counter=summary.overdue %}{{ counter }} overdue{% plural %}{{ counter }} overdue{% endblocktranslate %}</a></li>
  <li><a class="usa-link" href="?agency={{ agency.code }}&amp;sla=due_soon">{% blocktranslate count counter=summary.due_soon %}{{ counter }} due within 2 working days{% plural %}{{ counter }} due within 2 working days{% endblocktranslate %}</a></li>
  <li><a class="usa-link" href="?agency={{ agency.code }}&amp;assignee=none">{% blocktranslate count counter=summary.unassigned %}{{ counter }} unassigned{% plural %}{{ counter }} unassigned{% endblocktranslate %}</a></li>
</ul>"""  # noqa: E501  (what backoffice/cases/queue.html had)


@pytest.mark.parametrize("language", ["en", "fr", "es"])
def test_the_queue_summary_is_the_template_summary(language: str) -> None:
    template = engines["django"].from_string(TEMPLATE_SUMMARY)
    agency = {"code": "a&b<c>"}
    for summary in [QueueSummary(), QueueSummary(1, 1, 1, 1), QueueSummary(1500, 2, 0, 31)]:
        with translation.override(language):
            rendered = queue_summary(summary, agency["code"])
            expected = template.render({"summary": summary, "agency": agency})
        assert squeeze(rendered) == squeeze(expected)
        assert "a&amp;b&lt;c&gt;" in rendered and "<c>" not in rendered
    with translation.override("fr"):
        assert "1500 dossiers ouverts" in queue_summary(QueueSummary(1500), "x")
