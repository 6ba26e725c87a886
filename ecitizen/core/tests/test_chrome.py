"""The page chrome is rendered once per language and kind of visitor, then filled in per
request: nothing of one request may show up in another's page."""

import re

from django.test import RequestFactory
from django.utils import translation

from ecitizen.core import chrome

PARTS = {"title": "A title", "extra_head": "", "main": "<p>The page</p>", "extra_body": ""}


def header(path: str = "/", parts: dict[str, str] = PARTS, **kwargs: object) -> str:
    """The whole page around ``parts``, for a resident unless told otherwise."""
    request = RequestFactory().get(path)
    options = {"signed_in": True, "staff": False, "unread": 0, "csrf_token": "tok1"} | kwargs
    return chrome.render_page(request, parts, **options)  # type: ignore[arg-type]


def test_per_request_values_are_filled_in_and_escaped() -> None:
    html = header('/services/?q="><script>', csrf_token="tokenA", unread=3)
    assert html.count('name="csrfmiddlewaretoken" value="tokenA"') == 2  # sign out, language
    assert 'name="next" value="/services/?q=%22%3E%3Cscript%3E"' in html
    assert '<span class="usa-tag">3<span class="usa-sr-only"> unread</span></span>' in html
    assert "\ue000" not in html

    assert 'name="next" value="/a/?x=1&amp;y=2"' in header("/a/?x=1&y=2")
    again = header("/me/", csrf_token="tokenB")
    assert "tokenA" not in again and 'value="tokenB"' in again
    assert 'name="next" value="/me/"' in again and "usa-tag" not in again


def test_each_kind_of_visitor_gets_its_own_header() -> None:
    anonymous = header(signed_in=False)
    assert "Sign in" in anonymous and "Sign out" not in anonymous and "Inbox" not in anonymous
    resident = header()
    assert "Sign out" in resident and "Staff area" not in resident
    assert 'href="/staff/"' in header(staff=True)


def test_each_language_gets_its_own_header() -> None:
    english = header()
    with translation.override("fr"):
        french = header()
    assert "Find a service" in english and "Trouver un service" in french
    current = re.findall(r'value="(\w\w)" lang="\w\w" [^>]*aria-current="true"', french)
    assert current == ["fr"]
    assert '<html lang="fr">' in french and "uswds.min.js" in french


def test_the_page_parts_and_messages_go_in_their_places_as_they_are() -> None:
    from django.contrib.messages import constants
    from django.contrib.messages.storage.base import Message

    parts = {
        "title": "Permits &amp; licences",
        "extra_head": '<meta name="robots" content="noindex">',
        "main": "<h1>Permits</h1>\ue000csrf_token\ue000",  # a slot-like value stays as it is
        "extra_body": '<script src="/static/js/x.js" defer></script>',
    }
    html = header(parts=parts, messages=[Message(constants.SUCCESS, "Saved")], csrf_token="tokC")
    assert "<title>Permits &amp; licences – eCitizen</title>" in html
    head, body = html.split("</head>")
    assert '<meta name="robots" content="noindex">' in head and "uswds.min.css" in head
    main = body.split('<main id="main-content"')[1].split("</main>")[0]
    assert main.index("usa-alert--success") < main.index("<h1>Permits</h1>\ue000csrf_token\ue000")
    assert body.index("</footer>") < body.index('<script src="/static/js/x.js" defer></script>')
    assert html.count('value="tokC"') == 2 and html.rstrip().endswith("</html>")


def test_once_renders_a_part_once_per_language_and_value() -> None:
    from django.template import Context, Template

    page = Template(
        '{% load i18n ecitizen_chrome %}{% once "test-part" flag %}{% translate "Home" %}'
        " {{ flag }} {{ counter.next }}{% endonce %}"
    )

    class Counter:
        calls = 0

        def next(self) -> int:
            Counter.calls += 1
            return Counter.calls

    def render(flag: bool) -> str:
        return page.render(Context({"flag": flag, "counter": Counter()}))

    assert render(True) == render(True) == "Home True 1"  # rendered once, then reused
    assert render(False) == "Home False 2"
    with translation.override("fr"):
        assert render(True) == "Accueil True 3"
    assert render(True) == "Home True 1"


def test_page_messages_are_alerts_of_their_kind_and_escaped() -> None:
    from django.contrib.messages import constants
    from django.contrib.messages.storage.base import Message

    html = chrome.page_messages(
        [Message(constants.ERROR, "<b>No</b>"), Message(constants.SUCCESS, "Saved")]
    )
    assert 'usa-alert--error usa-alert--slim margin-bottom-2" role="alert"' in html
    assert "&lt;b&gt;No&lt;/b&gt;" in html and "<b>" not in html
    assert 'usa-alert--success usa-alert--slim margin-bottom-2" role="status"' in html
    assert chrome.page_messages([]) == ""


def test_once_fills_its_slots_with_each_requests_values_escaped() -> None:
    from django.template import Context, Template

    page = Template(
        '{% load i18n ecitizen_chrome %}{% once "test-slots" with name=person.name email=email %}'
        "<p>{% blocktranslate %}Signed in as {{ name }}.{% endblocktranslate %}</p>"
        "<p>{{ email }}</p>{% endonce %}"
    )

    def render(name: str, email: str) -> str:
        return page.render(Context({"person": {"name": name}, "email": email}))

    assert render("Ana", "ana@example.org") == "<p>Signed in as Ana.</p><p>ana@example.org</p>"
    assert render("<b>Bo</b>", "bo@example.org") == (
        "<p>Signed in as &lt;b&gt;Bo&lt;/b&gt;.</p><p>bo@example.org</p>"
    )
    # A value that looks like a slot is shown as it is, never filled in again.
    assert render("\ue000email\ue000", "cy@example.org") == (
        "<p>Signed in as \ue000email\ue000.</p><p>cy@example.org</p>"
    )
    with translation.override("fr"):
        assert render("Ana", "a@b.c") == "<p>Connecté en tant que Ana.</p><p>a@b.c</p>"


def test_the_page_tag_needs_its_four_parts_in_order() -> None:
    import pytest
    from django.template import Template, TemplateSyntaxError

    for broken in (
        "{% page %}t{% endpage %}",
        "{% page %}t{% page_part main %}m{% page_part extra_head %}h"
        "{% page_part extra_body %}b{% endpage %}",
        "{% page %}t{% page_part nonsense %}{% endpage %}",
    ):
        with pytest.raises(TemplateSyntaxError):
            Template("{% load ecitizen_chrome %}" + broken)
