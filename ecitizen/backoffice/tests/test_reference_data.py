"""Platform admins edit areas and agencies through audited services."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ecitizen.accounts.tests.factories import AgencyFactory, AreaFactory
from ecitizen.audit.models import AuditEntry
from ecitizen.core.models import Agency, Area
from ecitizen.core.services import area_save

pytestmark = pytest.mark.django_db


def last_entry() -> AuditEntry:
    return AuditEntry.objects.order_by("-seq").first()  # type: ignore[return-value]


@pytest.fixture
def admin_client(client, platform_admin):
    client.force_login(platform_admin)
    return client


@pytest.fixture
def region():
    return AreaFactory(code="metro", name="Metro", kind=Area.Kind.REGION)


def area_form(**changes: object) -> dict[str, object]:
    return {"code": "north", "name": "North", "name_fr": "Nord", "name_es": "Norte"} | {
        "kind": "district",
        "parent": "",
        **changes,
    }


def test_create_and_edit_an_area(admin_client, platform_admin, region):
    response = admin_client.post("/staff/areas/new/", area_form(parent=region.pk))
    assert response.status_code == 302 and response["Location"] == "/staff/reference-data/"
    area = Area.objects.get(code="north")
    assert (area.name_fr, area.parent, area.kind) == ("Nord", region, "district")
    entry = last_entry()
    assert (entry.action, entry.actor, entry.object_id) == (
        "core.area.created",
        platform_admin,
        str(area.pk),
    )

    response = admin_client.post(
        f"/staff/areas/{area.pk}/", area_form(name="North Bank", parent=region.pk)
    )
    assert response.status_code == 302
    area.refresh_from_db()
    assert area.name == "North Bank"
    assert (last_entry().action, last_entry().object_id) == ("core.area.updated", str(area.pk))


def test_a_region_inside_a_region_is_refused(admin_client, region):
    before = AuditEntry.objects.count()
    response = admin_client.post("/staff/areas/new/", area_form(kind="region", parent=region.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert "A region cannot belong to another region." in html
    assert 'href="#id_parent"' in html
    assert 'value="North"' in html  # what was typed is kept
    assert not Area.objects.filter(code="north").exists()
    assert AuditEntry.objects.count() == before


def test_the_service_enforces_the_area_hierarchy_too(platform_admin, region):
    district = AreaFactory()
    with pytest.raises(ValidationError, match="region"):
        area_save(actor=platform_admin, code="r2", name="R2", kind="region", parent=region)
    with pytest.raises(ValidationError, match="region"):
        area_save(actor=platform_admin, code="d2", name="D2", kind="district", parent=district)
    assert not Area.objects.filter(code__in=["r2", "d2"]).exists()


def test_a_region_with_districts_cannot_become_a_district(admin_client, region):
    AreaFactory(parent=region)
    data = area_form(code=region.code, name=region.name, kind="district")
    response = admin_client.post(f"/staff/areas/{region.pk}/", data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "This area has districts in it: it must stay a region." in html
    assert 'href="#id_kind"' in html
    region.refresh_from_db()
    assert region.kind == Area.Kind.REGION


def test_create_and_edit_an_agency(admin_client, platform_admin):
    served = [AreaFactory(), AreaFactory()]
    data = {
        "code": "tax-office",
        "name": "Tax Office",
        "email": "tax@gov.example",
        "phone": "0102030405",
        "areas": [a.pk for a in served],
        "is_active": "on",
    }
    assert admin_client.post("/staff/agencies/new/", data).status_code == 302
    agency = Agency.objects.get(code="tax-office")
    assert set(agency.areas.all()) == set(served)
    entry = last_entry()
    assert (entry.action, entry.actor) == ("core.agency.created", platform_admin)
    assert "areas" in entry.data["fields"]

    data |= {"name": "Tax and Revenue Office", "areas": [served[0].pk]}
    data.pop("is_active")
    assert admin_client.post(f"/staff/agencies/{agency.pk}/", data).status_code == 302
    agency.refresh_from_db()
    assert agency.name == "Tax and Revenue Office" and not agency.is_active
    assert list(agency.areas.all()) == [served[0]]
    assert last_entry().action == "core.agency.updated"


def test_a_duplicate_agency_code_is_a_field_error(admin_client):
    AgencyFactory(code="planning")
    response = admin_client.post("/staff/agencies/new/", {"code": "planning", "name": "Again"})
    assert response.status_code == 200
    assert 'href="#id_code"' in response.content.decode()
    assert Agency.objects.filter(code="planning").count() == 1


def test_the_reference_data_page_runs_a_constant_number_of_queries(
    admin_client, region, django_assert_num_queries
):
    admin_client.get("/staff/reference-data/")

    def page_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get("/staff/reference-data/").status_code == 200
        return len(queries)

    AgencyFactory().areas.add(AreaFactory(parent=region))
    few = page_queries()
    for _ in range(4):
        AgencyFactory().areas.add(AreaFactory(parent=region), AreaFactory(parent=region))
    with django_assert_num_queries(few):
        admin_client.get("/staff/reference-data/")
