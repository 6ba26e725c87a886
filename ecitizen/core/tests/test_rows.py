import datetime

import pytest

from ecitizen.accounts.backends import user_with_profile
from ecitizen.accounts.models import Profile
from ecitizen.accounts.tests.factories import AreaFactory, UserFactory
from ecitizen.api.selectors import api_token_from_plaintext
from ecitizen.api.services import api_token_create


@pytest.mark.django_db
def test_user_with_profile_converts_every_value_as_the_orm_does(django_assert_num_queries) -> None:
    person = UserFactory()
    Profile.objects.update_or_create(
        user=person,
        defaults={
            "legal_name": "Ana Ruiz",
            "date_of_birth": datetime.date(1990, 2, 3),
            "national_id": "AB 123",
            "accessibility_needs": ["large_text"],
            "area": AreaFactory(),
        },
    )
    with django_assert_num_queries(1):
        user = user_with_profile(person.pk)
        assert user is not None
        assert user.date_joined == person.date_joined and user.date_joined.tzinfo is not None
        assert user.is_active is True and user.has_staff_roles is False
        assert user.profile.date_of_birth == datetime.date(1990, 2, 3)
        assert user.profile.accessibility_needs == ["large_text"]
        assert user.profile.user is user
    with django_assert_num_queries(1):  # the encrypted national ID is read (and decrypted) on use
        assert user.profile.national_id == "AB 123"
    assert user_with_profile(person.pk + 1000) is None


@pytest.mark.django_db
def test_a_user_without_a_profile_has_none_cached(django_assert_num_queries) -> None:
    person = UserFactory()
    Profile.objects.filter(user=person).delete()
    user = user_with_profile(person.pk)
    assert user is not None
    with django_assert_num_queries(0), pytest.raises(Profile.DoesNotExist):
        user.profile  # noqa: B018


@pytest.mark.django_db
def test_a_token_comes_with_owner_profile_and_district(django_assert_num_queries) -> None:
    person = UserFactory()
    area = AreaFactory()
    Profile.objects.update_or_create(user=person, defaults={"legal_name": "Ana Ruiz", "area": area})
    _, plaintext = api_token_create(actor=person, name="app", scopes=["profile:read"])
    with django_assert_num_queries(1):
        token = api_token_from_plaintext(plaintext)
        assert token is not None and token.scopes == ["profile:read"]
        assert token.user.email == person.email
        assert token.user.profile.area == area and token.user.profile.area.name == area.name
    assert api_token_from_plaintext(plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B")) is None
