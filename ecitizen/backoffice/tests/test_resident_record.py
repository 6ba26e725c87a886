"""Staff read a resident's record only after stating why; the read is logged, audited and shown
to that resident (and to nobody else) on "Who accessed my data"."""

import pytest

from ecitizen.accounts.models import StaffRole
from ecitizen.accounts.services import ProfileData, profile_update
from ecitizen.accounts.tests.factories import AgencyFactory, UserFactory
from ecitizen.audit.models import AuditEntry, PersonalDataAccess
from ecitizen.audit.services import personal_data_access_record

pytestmark = pytest.mark.django_db

PURPOSE_LABEL = "Helping you at your request"
WHAT = "Profile: name, date of birth, national ID, contact details, address"


@pytest.fixture
def resident_with_details(resident):
    profile_update(
        actor=resident,
        profile=resident.profile,
        data=ProfileData(legal_name="Amara Okafor", national_id="XK123456", phone="0102030405"),
    )
    return resident


def record_url(user) -> str:
    return f"/staff/residents/{user.profile.pk}/"


def test_the_record_is_shown_only_after_a_purpose_is_given(client, officer, resident_with_details):
    client.force_login(officer)
    response = client.get(record_url(resident_with_details))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="purpose"' in body
    assert "XK123456" not in body and "Amara Okafor" not in body
    assert not PersonalDataAccess.objects.exists()

    response = client.post(record_url(resident_with_details), {"purpose": "nonsense"})
    assert response.status_code == 200
    assert "XK123456" not in response.content.decode()
    assert not PersonalDataAccess.objects.exists()


def test_reading_the_record_is_logged_and_audited(client, officer, resident_with_details):
    client.force_login(officer)
    response = client.post(
        record_url(resident_with_details),
        {"purpose": "support"},
        headers={"X-Request-ID": "staff-read-000001"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "XK123456" in body and "Amara Okafor" in body

    access = PersonalDataAccess.objects.get()
    role = officer.staff_roles.get()
    assert access.accessor == officer and access.subject == resident_with_details
    assert access.accessor_role == "Case officer" and access.agency == role.agency
    assert access.purpose == "support" and access.what == WHAT
    assert access.request_id == "staff-read-000001"

    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.action == "audit.personal_data.accessed"
    assert entry.actor == officer and entry.object_id == str(access.pk)
    assert entry.data == {"subject": resident_with_details.pk, "purpose": "support"}


def test_the_resident_sees_who_read_their_data_and_why(client, officer, resident_with_details):
    client.force_login(officer)
    client.post(record_url(resident_with_details), {"purpose": "support"})
    agency = officer.staff_roles.get().agency

    client.force_login(resident_with_details)
    response = client.get("/me/who-accessed-my-data/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Case officer" in body and agency.name in body
    assert WHAT in body and PURPOSE_LABEL in body
    assert "No member of staff has accessed your personal data." not in body


def test_another_resident_never_sees_it(client, officer, resident_with_details):
    client.force_login(officer)
    client.post(record_url(resident_with_details), {"purpose": "fraud_prevention"})
    agency = officer.staff_roles.get().agency

    client.force_login(UserFactory())
    body = client.get("/me/who-accessed-my-data/").content.decode()
    assert "No member of staff has accessed your personal data." in body
    assert agency.name not in body and "Fraud prevention" not in body


def test_an_unknown_record_is_404_and_logs_nothing(client, officer):
    client.force_login(officer)
    assert client.post("/staff/residents/999999/", {"purpose": "support"}).status_code == 404
    assert not PersonalDataAccess.objects.exists()


def test_the_access_log_page_runs_a_constant_number_of_queries(
    client, resident, make_staff, django_assert_num_queries
):
    client.force_login(resident)
    client.get("/me/who-accessed-my-data/")  # first visit stores the language in the session

    def add_accesses(count: int) -> None:
        for _ in range(count):
            staff = make_staff(StaffRole.Role.CASE_OFFICER, agency=AgencyFactory())
            personal_data_access_record(
                accessor=staff, subject=resident, what="Profile", purpose="case_handling"
            )

    add_accesses(1)
    # the session with its person (and the header's unread count); the page of accesses; its
    # count (a resident: no role query)
    with django_assert_num_queries(3):
        response = client.get("/me/who-accessed-my-data/")
    assert response.content.decode().count("<tr>") == 1 + 1  # header + one row

    add_accesses(6)
    with django_assert_num_queries(3):
        response = client.get("/me/who-accessed-my-data/")
    assert response.content.decode().count("<tr>") == 1 + 7


def test_the_access_log_needs_sign_in(client):
    response = client.get("/me/who-accessed-my-data/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_staff_find_a_resident_by_exact_email_or_national_id(
    client, officer, resident_with_details
):
    client.force_login(officer)
    link = f'href="/staff/residents/{resident_with_details.profile.pk}/"'
    for query in (resident_with_details.email.upper(), "xk-123 456"):
        html = client.get("/staff/residents/", {"q": query}).content.decode()
        assert link in html, query
        assert "Amara Okafor" not in html  # results show no personal data
    for query in ("XK12345", resident_with_details.email[:-1]):
        assert link not in client.get("/staff/residents/", {"q": query}).content.decode()
    assert not PersonalDataAccess.objects.exists()  # searching is not reading the record
