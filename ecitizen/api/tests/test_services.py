import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import model_to_dict
from django.utils import timezone

from ecitizen.api import tokens
from ecitizen.api.models import ApiToken
from ecitizen.api.services import MAX_ACTIVE_TOKENS, api_token_create, api_token_revoke
from ecitizen.audit.models import AuditEntry
from ecitizen.audit.services import audit_chain_verify

from .conftest import days

pytestmark = pytest.mark.django_db


def test_create_returns_plaintext_once_and_stores_only_its_hash(user):
    token, plaintext = api_token_create(
        actor=user, name="  Tax   helper ", scopes=["profile:read", "profile:read"]
    )

    assert plaintext.startswith(f"ect_{token.prefix}_")
    assert len(plaintext) > 50
    stored = ApiToken.objects.get(pk=token.pk)
    row = {field: str(value) for field, value in model_to_dict(stored).items()}
    secret = plaintext.split("_", 2)[2]
    for value in row.values():
        assert plaintext not in value and secret not in value
    assert stored.secret_hash == tokens.digest(plaintext) != plaintext
    assert stored.name == "Tax helper"
    assert stored.scopes == ["profile:read"]
    assert stored.user == user and stored.is_active and stored.expires_at is None


def test_each_token_is_different(user):
    first = api_token_create(actor=user, name="a", scopes=["profile:read"])
    second = api_token_create(actor=user, name="a", scopes=["profile:read"])
    assert first[1] != second[1] and first[0].prefix != second[0].prefix


def test_create_is_audited_without_the_secret(user):
    token, plaintext = api_token_create(actor=user, name="App", scopes=["tokens:read"])

    entry = AuditEntry.objects.get(action="api.token.created")
    assert entry.actor_id == user.pk
    assert entry.object_type == "api.apitoken" and entry.object_id == str(token.pk)
    assert entry.data["scopes"] == ["tokens:read"] and entry.data["prefix"] == token.prefix
    assert plaintext not in str(entry.data) and token.secret_hash not in str(entry.data)
    assert audit_chain_verify() is None


@pytest.mark.parametrize(
    ("kwargs", "field", "code"),
    [
        ({"name": "   "}, "name", "required"),
        ({"name": "x" * 101}, "name", "max_length"),
        ({"scopes": []}, "scopes", "required"),
        ({"scopes": ["profile:read", "admin:everything"]}, "scopes", "unknown_scope"),
        ({"expires_at": timezone.now() - datetime.timedelta(seconds=1)}, "expires_at", "past"),
        ({"expires_at": datetime.datetime(2099, 1, 1)}, "expires_at", "past"),  # naive
    ],
)
def test_create_rejects_bad_input(user, kwargs, field, code):
    arguments = {"name": "App", "scopes": ["profile:read"], **kwargs}
    with pytest.raises(ValidationError) as caught:
        api_token_create(actor=user, **arguments)
    assert [error.code for error in caught.value.error_dict[field]] == [code]
    assert not ApiToken.objects.exists()
    assert not AuditEntry.objects.filter(action="api.token.created").exists()


def test_create_limits_active_tokens_per_person(user, make_token):
    for n in range(MAX_ACTIVE_TOKENS):
        make_token(user, name=f"t{n}")
    with pytest.raises(ValidationError) as caught:
        make_token(user, name="one too many")
    assert caught.value.error_dict["__all__"][0].code == "too_many"

    api_token_revoke(actor=user, token=ApiToken.objects.filter(user=user).first())
    make_token(user, name="room again")  # a revoked token frees a place


def test_revoke_marks_revoked_and_is_audited_once(user, make_token):
    token, _ = make_token(user)

    api_token_revoke(actor=user, token=token)
    api_token_revoke(actor=user, token=token)  # idempotent

    token.refresh_from_db()
    assert token.revoked_at is not None and token.status == ApiToken.Status.REVOKED
    entries = AuditEntry.objects.filter(action="api.token.revoked")
    assert entries.count() == 1
    assert entries.get().actor_id == user.pk and entries.get().object_id == str(token.pk)


def test_nobody_revokes_another_persons_token(user, other_user, make_token):
    token, _ = make_token(user)
    with pytest.raises(PermissionDenied):
        api_token_revoke(actor=other_user, token=token)
    token.refresh_from_db()
    assert token.revoked_at is None


def test_status_follows_expiry(user, make_token):
    token, _ = make_token(user, expires_at=days(1))
    assert token.status_at(timezone.now()) == ApiToken.Status.ACTIVE
    assert token.status_at(days(2)) == ApiToken.Status.EXPIRED
