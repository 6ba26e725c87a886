import datetime

import pytest
from django.utils import timezone

from ecitizen.accounts.models import Session
from ecitizen.accounts.sessions import SessionStore


@pytest.mark.django_db
def test_a_saved_session_loads_and_an_expired_or_unknown_one_does_not() -> None:
    store = SessionStore()
    store["answer"] = 42
    store.save()
    key = store.session_key
    assert SessionStore(key).load() == {"answer": 42}

    unknown = SessionStore("x" * 32)
    assert unknown.load() == {}
    assert unknown.session_key is None  # a new key is made on the next save, never the given one

    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert SessionStore(key).load() == {}


@pytest.mark.django_db
def test_each_load_is_a_copy_and_forged_data_is_refused() -> None:
    store = SessionStore()
    store["basket"] = {"items": [1]}
    store.save()
    first = SessionStore(store.session_key).load()
    first["basket"]["items"].append(2)  # changing one request's session changes no other
    assert SessionStore(store.session_key).load() == {"basket": {"items": [1]}}

    data = Session.objects.get(session_key=store.session_key).session_data
    payload, signature = data.rsplit(":", 1)
    forged = f"{payload}:{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    assert SessionStore().decode(forged) == {}
    assert SessionStore().decode(data) == {"basket": {"items": [1]}}


@pytest.mark.django_db
def test_the_session_reads_its_person_in_the_same_statement(
    client, django_assert_num_queries
) -> None:
    from ecitizen.accounts.tests.factories import UserFactory

    person = UserFactory()
    client.force_login(person)
    assert Session.objects.get().user_id == person.pk
    client.get("/me/")
    with django_assert_num_queries(1):
        assert client.get("/me/").context["user"] == person

    # Django's checks still run on that row: a changed password signs the session out.
    person.set_password("another long passphrase for this test")
    person.save()
    assert client.get("/me/").status_code == 302  # to the sign-in page


@pytest.mark.django_db
def test_a_session_without_its_person_column_still_signs_in(
    client, django_assert_num_queries
) -> None:
    from ecitizen.accounts.tests.factories import UserFactory

    person, other = UserFactory(), UserFactory()
    client.force_login(person)
    client.get("/me/")
    Session.objects.update(user=None)  # e.g. moved from Django's table without an id
    with django_assert_num_queries(2):  # then the person is read on their own
        assert client.get("/me/").context["user"] == person
    Session.objects.update(user=other)  # a column that disagrees with the data is not used
    assert client.get("/me/").context["user"] == person


@pytest.mark.django_db
def test_deleting_an_account_ends_its_sessions(client) -> None:
    from ecitizen.accounts.tests.factories import UserFactory

    person = UserFactory()
    client.force_login(person)
    person.delete()
    assert not Session.objects.exists()
    assert client.get("/me/").status_code == 302  # to the sign-in page
