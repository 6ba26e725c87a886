import pytest

from ecitizen.api import ratelimit
from ecitizen.api.models import RateCounter

RATE = ratelimit.Rate(limit=3, period=60)


@pytest.mark.django_db
def test_counts_in_one_row_per_caller_and_refuses_past_the_limit() -> None:
    start = 6_000_000.0  # a window boundary (multiple of 60)
    assert [ratelimit.hit("token:a", RATE, now=start + i) for i in range(3)] == [None] * 3
    assert ratelimit.hit("token:a", RATE, now=start + 10) == 50  # seconds to the next window
    assert ratelimit.hit("token:b", RATE, now=start + 10) is None  # another caller's count
    assert RateCounter.objects.get(key="token:a:60").hits == 4
    assert RateCounter.objects.count() == 2


@pytest.mark.django_db
def test_a_new_window_starts_the_count_again() -> None:
    start = 6_000_000.0
    for i in range(5):
        ratelimit.hit("token:a", RATE, now=start + i)
    assert ratelimit.hit("token:a", RATE, now=start + 60) is None
    counter = RateCounter.objects.get()
    assert (counter.window_number, counter.hits) == (100_001, 1)


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_the_count_commits_without_waiting_and_only_itself() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no synchronous_commit")
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO on")  # this session's default
    with CaptureQueriesContext(connection) as queries:
        assert ratelimit.hit("token:a", RATE) is None
    assert "set_config('synchronous_commit', 'off', true)" in queries[0]["sql"]
    with connection.cursor() as cursor:  # the setting was the upsert's transaction's only
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"
    assert RateCounter.objects.get().hits == 1
