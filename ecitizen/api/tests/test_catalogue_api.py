"""The public catalogue API: topics, services with filters, one service with its form."""

import copy

import pytest

from ecitizen.applications.tests.factories import DEFINITION, make_service, t
from ecitizen.catalogue.models import ServiceVersion, Topic
from ecitizen.catalogue.search import normalise_search_text

from .conftest import assert_error_shape

pytestmark = pytest.mark.django_db


def published(title: str, *, topics: list[Topic] = (), **fee: object):  # type: ignore[no-untyped-def,assignment]
    service = make_service(slug=title.lower().replace(" ", "-"), **fee)
    version = service.published_version
    version.title = {"en": title, "fr": f"{title} FR", "es": f"{title} ES"}
    version.save()
    service.search_text = normalise_search_text(" | ".join(version.title.values()))
    service.save(update_fields=["search_text"])
    service.topics.set(topics)
    return service


@pytest.fixture
def catalogue():  # type: ignore[no-untyped-def]
    housing = Topic.objects.create(slug="housing", name=t("Housing"), position=1)
    baby = Topic.objects.create(
        slug="having-a-baby", name=t("Having a baby"), is_life_event=True, position=2
    )
    Topic.objects.create(slug="empty", name=t("Nothing here"), position=3)
    permit = published(
        "Building permit",
        topics=[housing],
        fee={"kind": "fixed", "amount": 15000, "currency": "EUR"},
    )
    birth = published("Birth certificate", topics=[baby])
    draft_only = make_service(slug="unpublished")
    draft_only.published_version.status = ServiceVersion.Status.DRAFT
    draft_only.published_version.save()
    draft_only.published_version = None
    draft_only.save()
    return {"permit": permit, "birth": birth, "housing": housing}


def test_topics_list_only_topics_with_services_without_a_token(client, catalogue):
    response = client.get("/api/v1/topics")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 2
    assert body["items"] == [
        {"slug": "housing", "name": "Housing", "is_life_event": False, "service_count": 1},
        {
            "slug": "having-a-baby",
            "name": "Having a baby",
            "is_life_event": True,
            "service_count": 1,
        },
    ]
    french = client.get("/api/v1/topics?lang=fr").json()
    assert french["items"][0]["name"] == "Housing (fr)"


def test_services_list_filters_and_language(client, catalogue):
    body = client.get("/api/v1/services").json()
    assert [item["slug"] for item in body["items"]] == ["birth-certificate", "building-permit"]
    item = body["items"][1]
    assert item["title"] == "Building permit"
    assert item["fee"] == "€150.00"
    assert item["sla_working_days"] == 10
    assert item["url"].endswith("/api/v1/services/building-permit")
    assert item["agency"]["code"] == catalogue["permit"].agency.code

    by_topic = client.get("/api/v1/services?topic=housing").json()
    assert [item["slug"] for item in by_topic["items"]] == ["building-permit"]
    agency = catalogue["birth"].agency.code
    by_agency = client.get(f"/api/v1/services?agency={agency}").json()
    assert [item["slug"] for item in by_agency["items"]] == ["birth-certificate"]
    # Every word must match, in any language, accents ignored.
    found = client.get("/api/v1/services?q=BUILDING%20fr").json()
    assert [item["slug"] for item in found["items"]] == ["building-permit"]
    assert client.get("/api/v1/services?q=nothing").json()["count"] == 0

    paged = client.get("/api/v1/services?limit=1&offset=1").json()
    assert paged["count"] == 2 and [i["slug"] for i in paged["items"]] == ["building-permit"]

    spanish = client.get("/api/v1/services", headers={"Accept-Language": "es"})
    assert spanish["Content-Language"] == "es"
    assert spanish.json()["items"][1]["title"] == "Building permit ES"
    french = client.get("/api/v1/services?lang=fr", headers={"Accept-Language": "es"})
    assert french["Content-Language"] == "fr"
    assert french.json()["items"][1]["title"] == "Building permit FR"


def test_unknown_filters_and_languages_are_422_in_the_error_shape(client, catalogue):
    body = assert_error_shape(client.get("/api/v1/services?topic=nope"), 422, "validation_error")
    assert body["error"]["details"][0] == {
        "code": "unknown_topic",
        "message": "There is no such topic.",
        "field": "query.topic",
    }
    body = assert_error_shape(client.get("/api/v1/services?agency=nope"), 422, "validation_error")
    assert body["error"]["details"][0]["field"] == "query.agency"
    body = assert_error_shape(client.get("/api/v1/services?lang=de"), 422, "validation_error")
    assert body["error"]["details"][0]["field"] == "query.lang"
    response = client.get("/api/v1/services?topic=nope", headers={"Accept-Language": "fr"})
    assert_error_shape(response, 422, "validation_error")
    assert response["Content-Language"] == "fr"


def test_service_detail_has_the_form_fee_sla_and_what_is_issued(client, catalogue):
    service = catalogue["permit"]
    version = service.published_version
    version.definition = {
        **copy.deepcopy(DEFINITION),
        "fee": {"kind": "fixed", "amount": 15000, "currency": "EUR"},
        "issues": {
            "document_type": t("Building permit"),
            "permitted": t("Build what the plans show"),
            "validity_days": 730,
        },
    }
    version.save()

    response = client.get("/api/v1/services/building-permit", headers={"Accept-Language": "fr"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["title"] == "Building permit FR"
    assert body["code"] == "BP"
    assert body["topics"] == ["housing"]
    assert body["fee"]["kind"] == "fixed" and body["fee"]["amount"] == 15000
    assert body["fee"]["currency"] == "EUR" and body["fee"]["timing"] == "on_submit"
    assert body["sla"]["working_days"] == 10
    assert body["issues"]["document_type"] == "Building permit (fr)"
    assert body["issues"]["validity_days"] == 730
    assert body["apply_url"].endswith("/api/v1/applications")
    form = body["form"]
    assert form["version"] == 1
    assert [page["id"] for page in form["pages"]] == [
        "you",
        "site",
        "works",
        "garage",
        "shop",
        "plans",
    ]
    works = form["pages"][2]
    assert works["title"] == "The works (fr)"
    use = next(q for q in works["questions"] if q["id"] == "use")
    assert use["label"] == "Use (fr)" and use["type"] == "single_choice"
    assert use["options"][0] == {"value": "home", "label": "Home (fr)"}
    floor = works["questions"][0]
    assert floor["validation"] == {"min": 1, "max": 10000, "integer": True}
    assert floor["required"] is True and floor["upload"] is None
    shop = form["pages"][4]
    assert shop["condition"] == {"question": "use", "equals": None, "any_of": ["shop", "office"]}
    garage_area = form["pages"][3]["questions"][1]
    assert garage_area["condition"]["equals"] is True
    drawings = form["pages"][5]["questions"][0]
    assert drawings["upload"] == {
        "types": ["application/pdf", "image/png"],
        "max_size": 1024,
        "max_files": 2,
    }
    assert form["pages"][0]["questions"][0]["prefill"] == "legal_name"


def test_unpublished_or_unknown_service_is_404(client, catalogue):
    assert_error_shape(client.get("/api/v1/services/unpublished"), 404, "not_found")
    assert_error_shape(client.get("/api/v1/services/nope"), 404, "not_found")


def test_catalogue_runs_a_fixed_number_of_queries(client, catalogue, django_assert_num_queries):
    for n in range(5):
        published(f"Extra {n}", topics=[catalogue["housing"]])
    with django_assert_num_queries(1):
        assert client.get("/api/v1/services").json()["count"] == 7
    with django_assert_num_queries(1):
        assert client.get("/api/v1/topics").status_code == 200
    with django_assert_num_queries(2):
        assert client.get("/api/v1/services/building-permit").status_code == 200


def test_catalogue_is_in_the_openapi_document_without_security(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    for path in ("/api/v1/services", "/api/v1/services/{slug}", "/api/v1/topics"):
        operation = schema["paths"][path]["get"]
        assert "security" not in operation, path
        assert "catalogue" in operation["tags"]
    assert "ServiceOut" in schema["components"]["schemas"]
