import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from ecitizen.accounts.models import StaffRole
from ecitizen.audit.models import AuditEntry
from ecitizen.catalogue import services
from ecitizen.catalogue.models import Service, ServiceVersion
from ecitizen.catalogue.tests.factories import (
    TopicFactory,
    content,
    definition,
    make_service,
    question,
    t,
)

pytestmark = pytest.mark.django_db


def actions():
    return list(AuditEntry.objects.order_by("seq").values_list("action", flat=True))


def test_agency_admin_creates_a_service_with_an_empty_draft(agency_admin, agency):
    topic = TopicFactory()
    service = services.service_create(
        actor=agency_admin,
        agency=agency,
        slug="dog-licence",
        code="DL",
        topics=[topic],
        title=t("Dog licence"),
    )
    draft = service.versions.get()
    assert (draft.number, draft.status, draft.created_by) == (1, "draft", agency_admin)
    assert draft.title["en"] == "Dog licence"
    assert service.published_version is None and list(service.topics.all()) == [topic]
    assert "catalogue.service.created" in actions()


def test_create_checks_slug_and_code(agency_admin, agency):
    make_service(agency)
    with pytest.raises(ValidationError) as error:
        services.service_create(
            actor=agency_admin, agency=agency, slug="building-permit", code="bp1"
        )
    assert set(error.value.error_dict) == {"slug", "code"}


def test_other_agencies_admins_case_officers_and_residents_are_refused(
    other_admin, officer, resident, agency
):
    for actor in (other_admin, officer, resident):
        with pytest.raises(PermissionDenied):
            services.service_create(actor=actor, agency=agency, slug="x", code="XX")
    service = make_service(agency, publish=False)
    draft = service.versions.get()
    with pytest.raises(PermissionDenied):
        services.service_version_update(actor=other_admin, version=draft, title=t("Mine"))
    with pytest.raises(PermissionDenied):
        services.service_version_publish(actor=other_admin, version=draft)
    with pytest.raises(PermissionDenied):
        services.form_question_delete(actor=other_admin, version=draft, question_id="floor_area")
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.title["en"] == "Building permit"


def test_platform_admin_may_edit_any_agency(platform_admin, agency):
    service = make_service(agency, publish=False)
    draft = services.service_version_update(
        actor=platform_admin, version=service.versions.get(), sla_working_days=5
    )
    assert draft.definition["sla_working_days"] == 5


def test_publish_makes_the_version_live_and_searchable_in_every_language(agency_admin, agency):
    service = make_service(
        agency, publish=False, title=t("Building permit", "Permis de construire", "Licencia")
    )
    version = services.service_version_publish(actor=agency_admin, version=service.versions.get())
    service.refresh_from_db()
    assert version.status == "published" and version.published_at is not None
    assert service.published_version == version
    assert "permis de construire" in service.search_text and "licencia" in service.search_text
    entry = AuditEntry.objects.get(action="catalogue.service_version.published")
    assert entry.actor_id == agency_admin.pk and entry.data["number"] == 1


def test_published_versions_are_immutable(agency_admin, agency):
    service = make_service(agency)
    published = service.published_version
    for write in (
        lambda: services.service_version_update(
            actor=agency_admin, version=published, title=t("New")
        ),
        lambda: services.form_page_add(
            actor=agency_admin, version=published, page_id="more", title=t("More")
        ),
        lambda: services.form_question_delete(
            actor=agency_admin, version=published, question_id="has_basement"
        ),
        lambda: services.service_version_publish(actor=agency_admin, version=published),
        lambda: services.service_version_discard(actor=agency_admin, version=published),
    ):
        with pytest.raises(ValidationError, match="Published versions cannot be changed"):
            write()
    published.refresh_from_db()
    assert published.title["en"] == "Building permit"
    assert len(published.definition["form"]["pages"][0]["questions"]) == 3


def test_new_draft_copies_the_latest_version_and_only_one_draft_at_a_time(agency_admin, agency):
    service = make_service(agency)
    draft = services.service_version_create_draft(actor=agency_admin, service=service)
    assert draft.number == 2 and draft.status == "draft"
    assert draft.definition == service.published_version.definition
    assert draft.title == service.published_version.title
    with pytest.raises(ValidationError, match="already has a draft"):
        services.service_version_create_draft(actor=agency_admin, service=service)
    with pytest.raises(IntegrityError), transaction.atomic():  # the database agrees
        ServiceVersion.objects.create(service=service, number=3)


def test_republishing_retires_the_previous_version(agency_admin, agency):
    service = make_service(agency)
    v1 = service.published_version
    draft = services.service_version_create_draft(actor=agency_admin, service=service)
    draft = services.service_version_update(
        actor=agency_admin, version=draft, title=t("Building permit 2026")
    )
    services.service_version_publish(actor=agency_admin, version=draft)
    v1.refresh_from_db()
    service.refresh_from_db()
    assert v1.status == "retired"
    assert service.published_version == draft
    assert "building permit 2026" in service.search_text
    assert v1.title["en"] == "Building permit"  # the retired version is untouched


def test_publish_refuses_incomplete_drafts(agency_admin, agency):
    service = make_service(agency, publish=False, title={"en": "Only English"})
    draft = service.versions.get()
    with pytest.raises(ValidationError) as error:
        services.service_version_publish(actor=agency_admin, version=draft)
    assert "Text for the title is missing in: fr, es." in error.value.messages
    empty = services.service_create(actor=agency_admin, agency=agency, slug="empty", code="EM")
    with pytest.raises(ValidationError) as error:
        services.service_version_publish(actor=agency_admin, version=empty.versions.get())
    assert "The form needs at least one page." in error.value.messages
    assert not ServiceVersion.objects.filter(status="published").exists()


def test_updates_that_break_the_definition_are_refused(agency_admin, agency):
    service = make_service(agency, publish=False)
    draft = service.versions.get()
    with pytest.raises(ValidationError, match="not a number or money question"):
        services.form_question_delete(actor=agency_admin, version=draft, question_id="floor_area")
    with pytest.raises(ValidationError, match="asked before it"):
        services.form_question_delete(actor=agency_admin, version=draft, question_id="has_basement")
    with pytest.raises(ValidationError, match="asked before it"):
        services.form_page_move(
            actor=agency_admin, version=draft, page_id="basement", direction="up"
        )
    with pytest.raises(ValidationError, match="processing time"):
        services.service_version_update(actor=agency_admin, version=draft, sla_working_days=0)
    with pytest.raises(ValidationError) as error:
        services.form_question_add(
            actor=agency_admin, version=draft, page_id="site", question=question("floor_area")
        )
    assert "id" in error.value.error_dict
    draft.refresh_from_db()
    assert draft.definition == definition()


def test_pages_and_questions_are_edited_on_the_draft(agency_admin, agency):
    service = make_service(agency, publish=False)
    draft = service.versions.get()
    draft = services.form_page_add(
        actor=agency_admin, version=draft, page_id="extra", title=t("Extra")
    )
    draft = services.form_question_add(
        actor=agency_admin,
        version=draft,
        page_id="extra",
        question=question(
            "notes", "long_text", condition={"question": "has_basement", "equals": False}
        ),
    )
    draft = services.form_question_move(
        actor=agency_admin, version=draft, question_id="notes", direction="up"
    )
    pages = draft.definition["form"]["pages"]
    assert [q["id"] for q in pages[1]["questions"]] == ["basement_depth", "notes"]
    assert pages[2]["questions"] == []
    draft = services.form_question_update(
        actor=agency_admin,
        version=draft,
        question_id="notes",
        question=question("remarks", "long_text"),
    )
    with pytest.raises(ValidationError, match="type cannot change"):
        services.form_question_update(
            actor=agency_admin, version=draft, question_id="remarks", question=question("remarks")
        )
    draft = services.form_page_update(
        actor=agency_admin, version=draft, page_id="extra", new_id="last", title=t("Last")
    )
    draft = services.form_page_delete(actor=agency_admin, version=draft, page_id="last")
    assert [p["id"] for p in draft.definition["form"]["pages"]] == ["site", "basement"]
    assert {
        "catalogue.service_version.page_added",
        "catalogue.service_version.question_added",
        "catalogue.service_version.question_moved",
        "catalogue.service_version.question_updated",
        "catalogue.service_version.page_updated",
        "catalogue.service_version.page_deleted",
    } <= set(actions())


def test_discarding_a_draft(agency_admin, agency):
    service = make_service(agency)
    draft = services.service_version_create_draft(actor=agency_admin, service=service)
    services.service_version_discard(actor=agency_admin, version=draft)
    assert list(service.versions.values_list("number", flat=True)) == [1]
    assert "catalogue.service_version.discarded" in actions()


def test_service_update_changes_topics_and_search_text(agency_admin, agency):
    service = make_service(agency)
    pets = TopicFactory(slug="pets", name=t("Pets", "Animaux", "Mascotas"))
    services.service_update(actor=agency_admin, service=service, code="BPX", topics=[pets])
    service.refresh_from_db()
    assert service.code == "BPX" and "animaux" in service.search_text


def test_topics_are_for_platform_admins(platform_admin, agency_admin):
    topic = services.topic_save(actor=platform_admin, slug="pets", name=t("Pets"))
    assert topic.name["fr"] == "Pets (fr)"
    with pytest.raises(PermissionDenied):
        services.topic_save(actor=agency_admin, slug="pets", name=t("Dogs"))


def test_every_write_is_audited(agency_admin, agency):
    before = AuditEntry.objects.count()
    service = services.service_create(actor=agency_admin, agency=agency, slug="s", code="SS")
    draft = services.service_version_update(
        actor=agency_admin, version=service.versions.get(), definition=definition(), **content()
    )
    services.service_version_publish(actor=agency_admin, version=draft)
    assert AuditEntry.objects.count() == before + 3
    assert StaffRole.objects.filter(user=agency_admin).exists()
    assert Service.objects.get(slug="s").published_version_id == draft.pk


def test_renaming_a_question_updates_conditions_and_the_fee_formula(agency_admin, agency):
    service = make_service(agency, publish=False)
    draft = service.versions.get()
    draft = services.form_question_update(
        actor=agency_admin,
        version=draft,
        question_id="floor_area",
        question=question("area_m2", "number"),
    )
    draft = services.form_question_update(
        actor=agency_admin,
        version=draft,
        question_id="has_basement",
        question=question("basement", "yes_no"),
    )
    assert draft.definition["fee"]["formula"] == "area_m2 * 250 + 10000"
    assert draft.definition["form"]["pages"][1]["condition"]["question"] == "basement"
