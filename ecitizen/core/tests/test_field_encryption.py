"""National ID numbers: encrypted at rest (AES-GCM), found through a keyed hash, re-encrypted
under a new key by ``rotate_field_keys``; altered ciphertext fails loudly."""

import base64
import hashlib
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from ecitizen.accounts.models import Profile
from ecitizen.accounts.selectors import profile_by_national_id
from ecitizen.accounts.services import ProfileData, profile_update
from ecitizen.accounts.tests.factories import UserFactory
from ecitizen.audit.models import AuditEntry
from ecitizen.core import crypto

pytestmark = pytest.mark.django_db

CONTEXT = "accounts.profile.national_id"
OLD_KEY = "old:" + base64.urlsafe_b64encode(b"o" * 32).decode()
NEW_KEY = "new:" + base64.urlsafe_b64encode(b"n" * 32).decode()


def with_national_id(national_id: str) -> Profile:
    user = UserFactory()
    data = ProfileData(legal_name="Test Person", national_id=national_id)
    return profile_update(actor=user, profile=user.profile, data=data)


def raw_national_ids() -> dict[int, str]:
    """The column as stored, without the field decrypting it."""
    table = connection.ops.quote_name(Profile._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, national_id FROM {table}")  # noqa: S608 (no user input)
        return dict(cursor.fetchall())


def test_a_raw_dump_of_the_profile_table_holds_no_plaintext_national_id():
    profile = with_national_id("ab 123-456")
    table = connection.ops.quote_name(Profile._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 (no user input)
        dump = repr(cursor.fetchall())
    assert "Test Person" in dump  # the dump does hold the row
    assert "AB123456" not in dump and "ab 123-456" not in dump.lower()
    assert hashlib.sha256(b"AB123456").hexdigest() not in dump  # the hash is keyed
    token = raw_national_ids()[profile.pk]
    assert token.startswith(f"v1:{crypto.current_key_id()}:")
    assert Profile.objects.get(pk=profile.pk).national_id == "AB123456"


def test_lookup_by_national_id_uses_the_keyed_hash():
    profile = with_national_id("XK 987654")
    with_national_id("ZZ111111")
    assert profile_by_national_id("xk-987-654") == profile
    assert profile_by_national_id("XK987655") is None
    with override_settings(ECITIZEN_HASH_KEY="another-key"):
        assert profile_by_national_id("XK987654") is None


def test_a_national_id_already_on_another_account_is_refused():
    with_national_id("XK987654")
    other = UserFactory()
    with pytest.raises(ValidationError) as refused:
        profile_update(actor=other, profile=other.profile, data=ProfileData(national_id="xk987654"))
    assert "national_id" in refused.value.message_dict
    other.profile.refresh_from_db()
    assert other.profile.national_id == "" and other.profile.national_id_hash == ""


def test_encryption_uses_a_fresh_nonce_and_binds_the_context():
    first, second = (crypto.encrypt("AB123456", context=CONTEXT) for _ in range(2))
    assert first != second
    assert crypto.decrypt(first, context=CONTEXT) == "AB123456"
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(first, context="accounts.profile.phone")


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:],
        lambda token: token[:12] + token[13:],
        lambda token: token.replace(":", ":x", 1),
        lambda token: "v2" + token[2:],
        lambda token: token.split(":")[0],
    ],
    ids=["flipped", "truncated", "unknown-key", "unknown-version", "malformed"],
)
def test_altered_ciphertext_fails_to_decrypt(tamper):
    token = crypto.encrypt("AB123456", context=CONTEXT)
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(tamper(token), context=CONTEXT)


def test_an_altered_row_raises_instead_of_returning_garbage():
    profile = with_national_id("AB123456")
    token = raw_national_ids()[profile.pk]
    altered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    table = connection.ops.quote_name(Profile._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET national_id = %s WHERE id = %s",  # noqa: S608
            [altered, profile.pk],
        )
    with pytest.raises(crypto.DecryptionError):
        Profile.objects.get(pk=profile.pk)


def rotate(batch_size: int = 2) -> str:
    out = io.StringIO()
    call_command("rotate_field_keys", batch_size=batch_size, stdout=out)
    return out.getvalue()


def test_key_rotation_re_encrypts_every_value_under_the_current_key():
    with override_settings(ECITIZEN_FIELD_KEYS=OLD_KEY):
        profiles = {with_national_id(f"ID{n:06d}").pk: f"ID{n:06d}" for n in range(5)}
        UserFactory()  # a profile without a national ID
    assert {crypto.key_id_of(t) for t in raw_national_ids().values() if t} == {"old"}

    with override_settings(ECITIZEN_FIELD_KEYS=f"{NEW_KEY},{OLD_KEY}"):
        # Old values still read; new writes use the new (first) key.
        assert {p.pk: p.national_id for p in Profile.objects.filter(pk__in=profiles)} == profiles
        newest = with_national_id("ID999999")
        profiles[newest.pk] = "ID999999"
        assert crypto.key_id_of(raw_national_ids()[newest.pk]) == "new"

        report = rotate()
        assert "accounts.profile.national_id: 5 re-encrypted, 1 already under key 'new'" in report
        assert {crypto.key_id_of(t) for t in raw_national_ids().values() if t} == {"new"}
        assert AuditEntry.objects.filter(action="core.encrypted_field.rotated").count() == 3

        assert "0 re-encrypted, 6 already under key 'new'" in rotate()  # idempotent

    with override_settings(ECITIZEN_FIELD_KEYS=NEW_KEY):  # the old key can now be dropped
        assert {p.pk: p.national_id for p in Profile.objects.filter(pk__in=profiles)} == profiles
        assert profile_by_national_id("ID000003").pk in profiles


def test_rotation_stops_on_a_value_whose_key_is_gone():
    with override_settings(ECITIZEN_FIELD_KEYS=OLD_KEY):
        with_national_id("AB123456")
    with override_settings(ECITIZEN_FIELD_KEYS=NEW_KEY), pytest.raises(CommandError, match="old"):
        rotate()
