"""Public catalogue pages: browse by topic, life event and agency, search, and each
service's page with what it costs, how long it takes and "Start now". No sign-in needed."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ecitizen.catalogue import presentation, selectors
from ecitizen.catalogue.forms import ServiceSearchForm


def index(request: HttpRequest) -> HttpResponse:
    form = ServiceSearchForm(request.GET or None)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    topics, life_events = selectors.topics_with_counts()
    return render(
        request,
        "catalogue/index.html",
        {
            "form": form,
            "query": query,
            "services": selectors.published_services(query=query),
            "topics": topics,
            "life_events": life_events,
            "agencies": selectors.agencies_with_services(),
        },
    )


def topic(request: HttpRequest, slug: str) -> HttpResponse:
    topic = selectors.topic_by_slug(slug)
    return render(
        request,
        "catalogue/list.html",
        {
            "heading": str(topic),
            "kind": "life_event" if topic.is_life_event else "topic",
            "services": selectors.published_services(topic=topic),
        },
    )


def agency(request: HttpRequest, code: str) -> HttpResponse:
    agency = selectors.agency_by_code(code)
    return render(
        request,
        "catalogue/list.html",
        {
            "heading": str(agency),
            "kind": "agency",
            "agency": agency,
            "services": selectors.published_services(agency=agency),
        },
    )


def service_detail(request: HttpRequest, slug: str) -> HttpResponse:
    service = selectors.published_service_get(slug)
    version = service.published_version
    assert version is not None  # published_service_get only returns published services
    definition = version.definition
    return render(
        request,
        "catalogue/service.html",
        {
            "service": service,
            "version": version,
            "issues": definition.get("issues"),
            "fee": presentation.fee_summary(definition),
            "fee_timing": presentation.fee_timing_text(definition),
            "refund": presentation.refund_text(definition),
            "sla": presentation.sla_text(definition.get("sla_working_days")),
            "validity": presentation.validity_text(
                (definition.get("issues") or {}).get("validity_days")
            ),
            "uploads": presentation.uploads_needed(definition),
            "start_url": presentation.start_url(service.slug),
        },
    )
