import pytest

from ecitizen.accounts.models import StaffRole, User
from ecitizen.accounts.selectors import staff_roles
from ecitizen.accounts.services import staff_role_grant, staff_role_revoke
from ecitizen.accounts.tests.factories import AgencyFactory, UserFactory


@pytest.mark.django_db
def test_has_staff_roles_follows_grants_and_revocations() -> None:
    admin = UserFactory()
    person = UserFactory()
    agency = AgencyFactory()
    assert staff_roles(person) == []

    officer = staff_role_grant(
        actor=None, user=person, role=StaffRole.Role.CASE_OFFICER, agency=agency
    )
    publisher = staff_role_grant(actor=None, user=person, role=StaffRole.Role.ALERT_PUBLISHER)
    assert person.has_staff_roles  # the caller's own copy is updated too
    reloaded = User.objects.get(pk=person.pk)
    assert reloaded.has_staff_roles
    assert {role.role for role in staff_roles(reloaded)} == {"case_officer", "alert_publisher"}

    staff_role_revoke(actor=admin, staff_role=officer)
    assert User.objects.get(pk=person.pk).has_staff_roles  # one role left
    StaffRole.objects.filter(pk=publisher.pk).delete()  # a queryset delete is followed too
    reloaded = User.objects.get(pk=person.pk)
    assert not reloaded.has_staff_roles
    assert staff_roles(reloaded) == []


@pytest.mark.django_db
def test_a_signed_in_residents_request_needs_no_staff_role_query(client, django_assert_num_queries):
    resident = UserFactory()
    client.force_login(resident)
    client.get("/me/")
    # one statement: the session, its person, their profile, second factor and unread count
    with django_assert_num_queries(1):
        assert client.get("/me/").status_code == 200


@pytest.mark.django_db
def test_has_second_factor_agrees_with_allauth() -> None:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.utils import is_mfa_enabled

    from ecitizen.accounts.backends import user_with_profile
    from ecitizen.accounts.selectors import has_second_factor

    person, other = UserFactory(), UserFactory()
    assert has_second_factor(person) is is_mfa_enabled(person) is False
    RecoveryCodes.activate(other)  # someone else's factor is not this person's
    assert has_second_factor(person) is False
    assert has_second_factor(user_with_profile(person.pk)) is False  # the session's statement
    RecoveryCodes.activate(person)
    assert Authenticator.objects.filter(user=person).exists()
    assert has_second_factor(person) is is_mfa_enabled(person) is True
    assert has_second_factor(user_with_profile(person.pk)) is True


@pytest.mark.django_db
def test_the_persons_statement_brings_their_staff_roles(client, django_assert_num_queries) -> None:
    from ecitizen.accounts.backends import user_with_profile
    from ecitizen.accounts.sessions import SessionStore

    person, resident = UserFactory(), UserFactory()
    first, second = AgencyFactory(), AgencyFactory()
    staff_role_grant(actor=None, user=person, role=StaffRole.Role.CASE_OFFICER, agency=second)
    staff_role_grant(actor=None, user=person, role=StaffRole.Role.ALERT_PUBLISHER)
    staff_role_grant(actor=None, user=person, role=StaffRole.Role.AGENCY_ADMIN, agency=first)
    client.force_login(person)
    session = SessionStore(client.session.session_key)

    with django_assert_num_queries(1):
        session.load()
        signed_in = session.prefetched_user
        assert signed_in is not None and signed_in.pk == person.pk
        roles = staff_roles(signed_in)  # with their agencies, in the order granted
        assert [(r.role, r.agency and r.agency.code) for r in roles] == [
            ("case_officer", second.code),
            ("alert_publisher", None),
            ("agency_admin", first.code),
        ]
        assert all(role.user is signed_in for role in roles)
    with django_assert_num_queries(1):  # the same without a session
        reloaded = user_with_profile(person.pk)
        assert reloaded is not None and len(staff_roles(reloaded)) == 3
        assert reloaded.profile.user_id == person.pk  # one person, whatever the rows
    with django_assert_num_queries(1):
        assert staff_roles(user_with_profile(resident.pk)) == []  # type: ignore[arg-type]
