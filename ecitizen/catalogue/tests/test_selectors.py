import pytest
from django.http import Http404

from ecitizen.catalogue import selectors, services
from ecitizen.catalogue.models import ServiceVersion
from ecitizen.catalogue.tests.factories import TopicFactory, make_service, t

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(agency, other_agency):
    building = TopicFactory(slug="building", name=t("Building", "Construire", "Construcción"))
    baby = TopicFactory(slug="baby", name=t("Having a baby"), is_life_event=True)
    permit = make_service(
        agency,
        topics=[building],
        title=t("Building permit", "Permis de construire", "Licencia de obras"),
    )
    birth = make_service(
        other_agency, slug="birth", code="BC", topics=[baby], title=t("Birth certificate")
    )
    draft_only = make_service(agency, slug="draft", code="DR", publish=False, topics=[building])
    return permit, birth, draft_only, building, baby


def slugs(services_list):
    return [s.slug for s in services_list]


def test_published_services_only_in_title_order(catalogue):
    assert slugs(selectors.published_services()) == ["birth", "building-permit"]


def test_search_in_french_finds_the_french_title(catalogue):
    assert slugs(selectors.published_services(query="Permis de CONSTRUIRE")) == ["building-permit"]
    assert slugs(selectors.published_services(query="construcción")) == ["building-permit"]
    assert slugs(selectors.published_services(query="construccion")) == ["building-permit"]
    assert slugs(selectors.published_services(query="permis birth")) == []
    assert selectors.published_services(query="Secret draft") == []


def test_topic_and_agency_filters(catalogue, agency, other_agency):
    *_, building, baby = catalogue
    assert slugs(selectors.published_services(topic=building)) == ["building-permit"]
    assert slugs(selectors.published_services(topic=baby)) == ["birth"]
    assert slugs(selectors.published_services(agency=other_agency)) == ["birth"]
    assert slugs(selectors.published_services(agency=agency, query="permit")) == ["building-permit"]


def test_topics_with_counts_separates_life_events(catalogue):
    topics, life_events = selectors.topics_with_counts()
    assert [(row.topic.slug, row.count) for row in topics] == [("building", 1)]
    assert [(row.topic.slug, row.count) for row in life_events] == [("baby", 1)]


def test_detail_only_for_published_services(catalogue):
    assert selectors.published_service_get("building-permit").published_version.number == 1
    with pytest.raises(Http404):
        selectors.published_service_get("draft")
    with pytest.raises(Http404):
        selectors.published_service_get("nothing")


def test_version_for_application_never_returns_drafts(catalogue, agency_admin):
    permit, _birth, draft_only, *_ = catalogue
    v1 = permit.published_version
    assert selectors.service_version_for_application(v1.pk).service.agency.code == "planning-test"
    with pytest.raises(ServiceVersion.DoesNotExist):
        selectors.service_version_for_application(draft_only.versions.get().pk)
    # An application keeps its version after a new one is published.
    draft = services.service_version_create_draft(actor=agency_admin, service=permit)
    services.service_version_publish(actor=agency_admin, version=draft)
    assert selectors.service_version_for_application(v1.pk).status == "retired"


def test_builder_selectors_are_scoped_to_the_admins_agency(
    catalogue, agency_admin, other_admin, platform_admin
):
    assert slugs(selectors.services_for_admin(agency_admin)) == ["building-permit", "draft"]
    assert slugs(selectors.services_for_admin(other_admin)) == ["birth"]
    assert len(selectors.services_for_admin(platform_admin)) == 3
    permit = catalogue[0]
    with pytest.raises(Http404):
        selectors.service_for_admin(other_admin, permit.pk)
    assert selectors.service_for_admin(agency_admin, permit.pk) == permit


def test_query_counts_do_not_grow_with_the_catalogue(catalogue, agency, django_assert_num_queries):
    for n in range(5):
        make_service(agency, slug=f"extra-{n}", code="EX", topics=[catalogue[3]])
    with django_assert_num_queries(1):
        selectors.published_services(query="permit")
    with django_assert_num_queries(1):
        selectors.published_services(topic=catalogue[3])
    with django_assert_num_queries(1):
        selectors.topics_with_counts()
    with django_assert_num_queries(1):
        selectors.agencies_with_services()
    with django_assert_num_queries(2):
        service = selectors.published_service_get("building-permit")
        list(service.topics.all())
        _ = service.published_version.title, service.agency.name
