import pytest

from ecitizen.api.selectors import api_token_for, api_token_from_plaintext, api_tokens_for

pytestmark = pytest.mark.django_db


def test_tokens_are_scoped_to_their_owner(user, other_user, make_token):
    mine, _ = make_token(user)
    theirs, _ = make_token(other_user)

    assert list(api_tokens_for(user)) == [mine]
    assert api_token_for(user, mine.pk) == mine
    from django.http import Http404

    with pytest.raises(Http404):
        api_token_for(user, theirs.pk)


def test_token_lookup_needs_the_whole_secret(user, make_token):
    token, plaintext = make_token(user)

    assert api_token_from_plaintext(plaintext) == token
    assert api_token_from_plaintext(plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B")) is None
    assert api_token_from_plaintext(f"ect_{token.prefix}_") is None
    assert api_token_from_plaintext(token.secret_hash) is None
    assert api_token_from_plaintext("") is None
