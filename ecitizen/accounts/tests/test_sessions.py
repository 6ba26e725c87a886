import datetime

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

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
