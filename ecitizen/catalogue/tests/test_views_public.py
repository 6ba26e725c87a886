import pytest
from django.utils import translation

from ecitizen.catalogue.tests.factories import TopicFactory, make_service, t

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(agency, other_agency):
    building = TopicFactory(slug="building", name=t("Building", "Construire", "Construcción"))
    moving = TopicFactory(
        slug="moving-home", name=t("Moving home", "Déménager", "Mudarse"), is_life_event=True
    )
    permit = make_service(
        agency,
        topics=[building],
        title=t("Building permit", "Permis de construire", "Licencia de obras"),
    )
    parking = make_service(
        other_agency,
        slug="parking",
        code="RP",
        topics=[moving],
        title="Parking permit",
        definition_overrides={
            "fee": {"kind": "fixed", "amount": 6000, "currency": "EUR"},
            "fee_timing": "on_approval",
        },
    )
    draft = make_service(agency, slug="secret-draft", code="SD", publish=False, title="Secret")
    return permit, parking, draft


def test_index_lists_topics_life_events_agencies_and_services(client, catalogue):
    response = client.get("/services/")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count("<h1") == 1
    assert "/services/topic/building/" in body and "/services/topic/moving-home/" in body
    assert "/services/agency/planning-test/" in body
    assert "Building permit" in body and "Parking permit" in body
    assert "Secret" not in body


def test_search_in_french_finds_the_french_title(client, catalogue):
    translation.activate("fr")
    try:
        response = client.get("/services/", {"q": "permis construire"}, HTTP_ACCEPT_LANGUAGE="fr")
    finally:
        translation.deactivate()
    body = response.content.decode()
    assert response.status_code == 200
    assert "/services/building-permit/" in body
    assert "/services/parking/" not in body


def test_search_without_results_says_so(client, catalogue):
    body = client.get("/services/", {"q": "submarine"}).content.decode()
    assert "0 services match" in body


def test_topic_and_agency_pages(client, catalogue):
    body = client.get("/services/topic/moving-home/").content.decode()
    assert "Parking permit" in body and "Building permit" not in body
    body = client.get("/services/agency/planning-test/").content.decode()
    assert "Building permit" in body and "Parking permit" not in body
    assert client.get("/services/topic/nope/").status_code == 404
    assert client.get("/services/agency/nope/").status_code == 404


def test_service_page_says_cost_time_needs_and_start_now(client, catalogue):
    response = client.get("/services/building-permit/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "From €100.00, depending on: €2.50 per square metre plus €100" in body
    assert "Up to 20 working days" in body
    assert "Valid for 2 years" in body
    assert 'href="/applications/start/building-permit/"' in body
    assert "Owners" in body and "Plans" in body
    assert body.count("<h1") == 1


def test_fixed_fee_is_formatted_for_the_language(client, catalogue):
    body = client.get("/services/parking/").content.decode()
    assert "€60.00" in body
    assert "You pay only if your application is approved." in body
    client.post("/language/", {"language": "fr", "next": "/"})
    body = client.get("/services/parking/").content.decode()
    assert "60,00\u00a0€" in body


def test_unpublished_and_unknown_services_are_404(client, catalogue):
    assert client.get("/services/secret-draft/").status_code == 404
    assert client.get("/services/no-such-service/").status_code == 404


def test_list_pages_run_a_constant_number_of_queries(client, catalogue, agency):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(url):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    urls = ["/services/", "/services/?q=permit", "/services/topic/building/"]
    before = [count(url) for url in urls]
    topic = catalogue[0].topics.get()
    for n in range(4):
        make_service(agency, slug=f"more-{n}", code="MO", topics=[topic], title=f"Permit {n}")
    assert [count(url) for url in urls] == before
    assert before[0] <= 4
