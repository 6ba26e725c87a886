"""Rows of "My applications" rendered in Python (``ecitizen.applications.listing``): the same
markup the template rendered, for every status, in every language, with every value escaped."""

import datetime
import re
from typing import Any

import pytest
from django.template import engines
from django.utils import timezone, translation
from django.utils.formats import date_format

from ecitizen.applications.listing import esc, my_application_rows, url_maker
from ecitizen.applications.models import Application
from ecitizen.applications.selectors import resident_next_step, status_tag_class
from ecitizen.catalogue.models import ServiceVersion

Status = Application.Status

# The row as ``applications/mine.html`` rendered it through the template engine.
TEMPLATE_ROW = """{% load i18n %}
{% translate "Service" as l_service %}{% translate "Reference" as l_reference %}{% translate "Status" as l_status %}{% translate "What happens next" as l_next %}{% translate "Last change" as l_changed %}
<tr>
  <th scope="row" data-label="{{ l_service }}"><a class="usa-link" href="{% url 'applications:detail' application.reference %}">{{ title }}</a></th>
  <td data-label="{{ l_reference }}" class="ec-codes">{{ application.reference }}</td>
  <td data-label="{{ l_status }}"><span class="usa-tag{{ status_class }}">{{ application.get_status_display }}</span></td>
  <td data-label="{{ l_next }}">{{ next_step }}{% if application.status == "draft" %}<br><a class="usa-link" href="{% url 'applications:resume' application.reference %}">{% translate "Continue" %}<span class="usa-sr-only"> {{ title }}</span></a>{% elif application.status == "info_requested" %}<br><a class="usa-link" href="{% url 'applications:respond' application.reference %}">{% translate "Answer" %}<span class="usa-sr-only"> {{ title }}</span></a>{% endif %}</td>
  <td data-label="{{ l_changed }}">{{ application.updated_at|date:"DATE_FORMAT" }}</td>
</tr>"""  # noqa: E501


def squeeze(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", html)).strip()


def application(
    status: str, reference: str = "BP-2026-7K4Q", title: str = "Building"
) -> Application:
    version = ServiceVersion(
        pk=7, title={"en": title, "fr": f"{title} (fr)", "es": f"{title} (es)"}
    )
    app = Application(
        reference=reference,
        status=status,
        service_version=version,
        # 23:30 UTC is the next day in Paris: the date shown is the local one.
        updated_at=datetime.datetime(2026, 3, 1, 23, 30, tzinfo=datetime.UTC),
    )
    app.title = version.title  # type: ignore[attr-defined]  # as the page's rows carry it
    return app


def template_row(app: Application) -> str:
    template = engines["django"].from_string(TEMPLATE_ROW)
    title = app.service_version.title.get(translation.get_language()[:2])
    return template.render(
        {
            "application": app,
            "title": title,
            "next_step": resident_next_step(app),
            "status_class": status_tag_class(app.status),
        }
    )


@pytest.mark.parametrize("language", ["en", "fr", "es"])
def test_rows_are_the_template_rows_for_every_status(language: str) -> None:
    apps = [application(status, reference=f"BP-2026-{i:04d}") for i, status in enumerate(Status)]
    with translation.override(language), timezone.override("Europe/Paris"):
        rows = my_application_rows(apps)
        expected = [template_row(app) for app in apps]
    assert len(rows) == len(Status.values)
    for row, wanted in zip(rows, expected, strict=True):
        assert squeeze(row) == squeeze(wanted)


def test_rows_link_drafts_and_information_requests() -> None:
    with timezone.override("Europe/Paris"):
        rows = my_application_rows(
            [application(Status.DRAFT, "DR-1"), application(Status.INFO_REQUESTED, "IR-1")]
        )
    assert (
        'href="/applications/DR-1/continue/">Continue<span class="usa-sr-only"> Building' in rows[0]
    )
    assert 'href="/applications/IR-1/respond/">Answer<span class="usa-sr-only"> Building' in rows[1]
    # The day in the current time zone (2 March in Paris), as the |date filter showed it.
    assert f'<td data-label="Last change">{date_format(datetime.date(2026, 3, 2))}</td>' in rows[0]


def test_every_value_is_escaped() -> None:
    hostile = '<script>alert("x")</script>&'
    rows = my_application_rows([application(Status.DRAFT, reference="A<b>'\"", title=hostile)])
    assert "<script>" not in rows[0]
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;" in rows[0]
    assert "<b>" not in rows[0]
    assert squeeze(rows[0]) == squeeze(
        template_row(application(Status.DRAFT, reference="A<b>'\"", title=hostile))
    )


def test_url_maker_gives_what_reverse_gives() -> None:
    from django.urls import reverse

    detail = url_maker("applications:detail")
    for reference in ["BP-2026-7K4Q", "a.b_c~d", "A B", "é&<>'\"%", "x?y#z"]:
        assert detail(reference) == esc(reverse("applications:detail", args=[reference]))


@pytest.mark.django_db
def test_the_cached_table_head_follows_the_language(client: Any) -> None:
    """The table head is rendered once per language ({% once %}): a French page after an English
    one has the French head, and the rows too."""
    from ecitizen.applications.tests.factories import make_resident, make_service
    from ecitizen.core.middleware import SESSION_LANGUAGE_KEY

    resident = make_resident()
    client.force_login(resident)
    client.post(f"/applications/start/{make_service().slug}/")
    pages = {}
    for language in ["en", "fr", "en"]:
        session = client.session
        session[SESSION_LANGUAGE_KEY] = language
        session.save()
        pages[language] = client.get("/applications/").content.decode()
    assert '<th scope="col">Last change</th>' in pages["en"]
    assert '<th scope="col">Dernière modification</th>' in pages["fr"]
    assert 'data-label="Dernière modification"' in pages["fr"]
    assert "Dernière modification" not in pages["en"]
