"""Password rules follow NIST SP 800-63B-4: at least 15 characters, long passphrases allowed,
a blocklist of common passwords, no composition rules; stored with Argon2."""

import pytest
from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import override_settings

import config.settings.base as base_settings
from ecitizen.accounts.models import User


def refusal_codes(password: str, user: User | None = None) -> set[str]:
    try:
        validate_password(password, user)
    except ValidationError as error:
        return {e.code for e in error.error_list}
    return set()


def test_14_characters_are_refused():
    assert refusal_codes("abcdefghijklmn") == {"password_too_short"}


def test_15_characters_are_accepted():
    assert refusal_codes("abcdefghijklmno") == set()


@pytest.mark.parametrize("length", [64, 100, 128])
def test_long_passphrases_are_accepted(length):
    assert refusal_codes(("correct horse battery staple " * 5)[:length]) == set()


def test_absurdly_long_passwords_are_refused():
    assert refusal_codes("x" * 129 + " long") == {"password_too_long"}


def test_a_common_password_is_refused_even_when_long_enough():
    password = "1q2w3e4r5t6y7u8i9o0p"  # 20 characters, on the blocklist
    assert len(password) >= 15
    assert refusal_codes(password) == {"password_too_common"}


def test_no_composition_rule():
    assert refusal_codes("all lowercase words and spaces") == set()
    assert refusal_codes("sixteendigits098") == set()


def test_a_password_too_close_to_the_email_is_refused():
    user = User(email="margaret.hamilton@example.org")
    assert "password_too_similar" in refusal_codes("margaret.hamilton@example.org", user)


def test_argon2_is_the_first_hasher_in_base_settings():
    assert base_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    with override_settings(PASSWORD_HASHERS=base_settings.PASSWORD_HASHERS):
        encoded = make_password("a long enough passphrase")
        assert identify_hasher(encoded).algorithm == "argon2"
        assert encoded.startswith("argon2$argon2id$")
        assert check_password("a long enough passphrase", encoded)
