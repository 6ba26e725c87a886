"""Reads of the service catalogue, scoped to the requester. Each runs a fixed number of
queries whatever the number of services."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from ecitizen.accounts.models import StaffRole
from ecitizen.accounts.selectors import staff_roles
from ecitizen.catalogue.models import Service, ServiceVersion, Topic
from ecitizen.catalogue.search import normalise_search_text, search_terms
from ecitizen.core.i18n import tr
from ecitizen.core.models import Agency
from ecitizen.core.rows import JoinedRows, Part, set_prefetched

_PUBLISHED = Q(published_version__isnull=False)


def _published() -> QuerySet[Service]:
    return Service.objects.filter(_PUBLISHED, agency__is_active=True).select_related(
        "published_version", "agency"
    )


def published_services(
    *, topic: Topic | None = None, agency: Agency | None = None, query: str = ""
) -> list[Service]:
    """Published services a resident can find, in title order for the active language:
    optionally only one topic's or one agency's, or those matching every word of ``query``
    in any language (so a French query finds a French title). One query."""
    services = _published()
    if topic is not None:
        services = services.filter(topics=topic)
    if agency is not None:
        services = services.filter(agency=agency)
    for term in search_terms(query):
        services = services.filter(search_text__icontains=term)
    result = list(services)
    result.sort(key=lambda s: normalise_search_text(tr(s.published_version.title)))  # type: ignore[union-attr]
    return result


@dataclass(frozen=True)
class TopicCount:
    topic: Topic
    count: int


def topics_with_counts() -> tuple[list[TopicCount], list[TopicCount]]:
    """(topics, life events) that have at least one published service, with how many. One
    query."""
    topics = Topic.objects.annotate(
        n=Count(
            "service",
            filter=Q(service__published_version__isnull=False, service__agency__is_active=True),
            distinct=True,
        )
    ).filter(n__gt=0)
    rows = [TopicCount(topic, topic.n) for topic in topics]  # type: ignore[attr-defined]
    return (
        [row for row in rows if not row.topic.is_life_event],
        [row for row in rows if row.topic.is_life_event],
    )


def agencies_with_services() -> list[tuple[Agency, int]]:
    """Active agencies with published services, and how many. One query."""
    agencies = (
        Agency.objects.filter(is_active=True)
        .annotate(n=Count("services", filter=Q(services__published_version__isnull=False)))
        .filter(n__gt=0)
    )
    return [(agency, agency.n) for agency in agencies]  # type: ignore[attr-defined]


def topic_by_slug(slug: str) -> Topic:
    try:
        return Topic.objects.get(slug=slug)
    except Topic.DoesNotExist:
        raise Http404 from None


def agency_by_code(code: str) -> Agency:
    try:
        return Agency.objects.get(code=code, is_active=True)
    except Agency.DoesNotExist:
        raise Http404 from None


# A published service of an active agency with its published version and agency, and its
# topics in order: read for every look at a service page (see ``ecitizen.core.rows``).
PUBLISHED_SERVICE = JoinedRows(
    'SELECT {columns} FROM "catalogue_service" "s"'
    ' INNER JOIN "catalogue_serviceversion" "v" ON "v"."id" = "s"."published_version_id"'
    ' INNER JOIN "core_agency" "a" ON "a"."id" = "s"."agency_id"'
    ' WHERE "s"."slug" = %s AND "a"."is_active" = %s',
    Part(Service, "s", deferred=("search_text",)),
    Part(ServiceVersion, "v"),
    Part(Agency, "a"),
)
SERVICE_TOPICS = JoinedRows(
    'SELECT {columns} FROM "catalogue_topic" "t"'
    ' INNER JOIN "catalogue_service_topics" "st" ON "st"."topic_id" = "t"."id"'
    ' WHERE "st"."service_id" = %s ORDER BY "t"."position", "t"."slug"',
    Part(Topic, "t"),
)


def published_service_get(slug: str) -> Service:
    """A published service with its published version, agency and topics (two statements);
    404 if there is no such service or it has never been published."""
    found = PUBLISHED_SERVICE.fetch_one([slug, True])
    if found is None:
        raise Http404
    service, version, agency = found
    assert isinstance(service, Service)
    Service.published_version.field.set_cached_value(service, version)
    Service.agency.field.set_cached_value(service, agency)
    topics = [topic for (topic,) in SERVICE_TOPICS.fetch_all([service.pk])]
    set_prefetched(service, "topics", topics)
    return service


def service_version_for_application(version_id: int) -> ServiceVersion:
    """The published or retired version an application is bound to, with its service and
    agency (one query). Drafts are never applied to: DoesNotExist."""
    return (
        ServiceVersion.objects.select_related("service", "service__agency")
        .exclude(status=ServiceVersion.Status.DRAFT)
        .get(pk=version_id)
    )


# --- back office ---------------------------------------------------------------------------


def administered_agencies(user: Any) -> QuerySet[Agency]:
    """Agencies whose services ``user`` may build: all for a platform admin, else those
    where they are an agency admin."""
    roles = staff_roles(user)
    if any(role.role == StaffRole.Role.PLATFORM_ADMIN for role in roles):
        return Agency.objects.all()
    ids = [
        role.agency_id
        for role in roles
        if role.role == StaffRole.Role.AGENCY_ADMIN and role.agency_id is not None
    ]
    return Agency.objects.filter(pk__in=ids)


def services_for_admin(user: Any) -> list[Service]:
    """The services ``user`` administers, each with ``draft`` (or None) set. Two queries."""
    agency_ids = list(administered_agencies(user).values_list("pk", flat=True))
    services: list[Service] = list(
        Service.objects.filter(agency_id__in=agency_ids)
        .select_related("agency", "published_version")
        .prefetch_related(
            Prefetch(
                "versions",
                queryset=ServiceVersion.objects.filter(status=ServiceVersion.Status.DRAFT),
                to_attr="drafts",
            )
        )
        .order_by("agency__name", "slug")
    )
    for service in services:
        service.draft = service.drafts[0] if service.drafts else None  # type: ignore[attr-defined]
    return services


def service_for_admin(user: Any, service_id: int) -> Service:
    """A service ``user`` administers; 404 for any other (even if it exists)."""
    service = (
        Service.objects.filter(pk=service_id, agency__in=administered_agencies(user).values("pk"))
        .select_related("agency", "published_version")
        .first()
    )
    if service is None:
        raise Http404
    return service


def service_versions(service: Service) -> list[ServiceVersion]:
    """Every version of a service, newest first (its history)."""
    return list(service.versions.select_related("created_by").order_by("-number"))


def draft_of(service: Service) -> ServiceVersion | None:
    return service.versions.filter(status=ServiceVersion.Status.DRAFT).first()


def version_of(service: Service, number: int) -> ServiceVersion:
    version = service.versions.filter(number=number).first()
    if version is None:
        raise Http404
    return version


def all_topics() -> list[Topic]:
    return list(Topic.objects.all())
