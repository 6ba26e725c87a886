import pytest

from ecitizen.audit.models import AuditEntry
from ecitizen.catalogue import demo
from ecitizen.catalogue.models import Service, ServiceVersion, Topic
from ecitizen.catalogue.schema import QUESTION_TYPES, iter_questions, validate_definition
from ecitizen.catalogue.services import publishing_problems
from ecitizen.core import demo as core_demo


def test_every_seeded_definition_is_publishable_and_uses_every_question_type():
    used = set()
    for spec in demo.SERVICES:
        assert validate_definition(spec["definition"], for_publishing=True) == [], spec["slug"]
        used |= {question["type"] for _, question in iter_questions(spec["definition"])}
    assert used == set(QUESTION_TYPES)
    assert {spec["agency"] for spec in demo.SERVICES} == {"planning", "licensing", "civil-registry"}
    assert any(spec["definition"]["fee"]["kind"] == "none" for spec in demo.SERVICES)


@pytest.mark.django_db
def test_seed_publishes_eight_services_and_is_idempotent():
    core_demo.seed_reference_data()
    demo.seed()
    services = Service.objects.select_related("published_version")
    assert services.count() == len(demo.SERVICES) >= 8
    for service in services:
        version = service.published_version
        assert version is not None and version.number == 1
        assert version.status == ServiceVersion.Status.PUBLISHED
        assert publishing_problems(version) == []
        assert service.search_text
    building = Service.objects.get(slug="building-permit")
    assert building.published_version.definition["workflow"]["second_approval"] is True
    assert "permis de construire" in building.search_text

    before = (
        AuditEntry.objects.count(),
        ServiceVersion.objects.count(),
        Topic.objects.count(),
        list(Service.objects.values_list("search_text", flat=True)),
    )
    demo.seed()
    after = (
        AuditEntry.objects.count(),
        ServiceVersion.objects.count(),
        Topic.objects.count(),
        list(Service.objects.values_list("search_text", flat=True)),
    )
    assert after == before
