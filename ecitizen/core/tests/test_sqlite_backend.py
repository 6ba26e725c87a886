"""The SQLite backend converts placeholders as Django's does, only faster."""

import sqlite3

import pytest
from django.db import connection, connections
from django.db.backends.sqlite3.base import SQLiteCursorWrapper as DjangoCursor

from ecitizen.accounts.models import User
from ecitizen.core.sqlite.base import SQLiteCursorWrapper

QUERIES = [
    "SELECT 1",
    'SELECT "a" FROM "t" WHERE "b" = %s AND "c" IN (%s, %s)',
    "SELECT '100%%' WHERE x LIKE %s",
    "SELECT '%%s', %s",  # an escaped percent sign before an s is not a placeholder
    "SELECT %s%%s%s",
    "SELECT '%d', %s",
]


@pytest.mark.parametrize("query", QUERIES)
def test_placeholders_are_converted_as_django_converts_them(query: str) -> None:
    with sqlite3.connect(":memory:") as db:
        ours, django = db.cursor(SQLiteCursorWrapper), db.cursor(DjangoCursor)
        assert ours.convert_query(query) == django.convert_query(query)
        named = "SELECT %(a)s, %(b)s"
        assert ours.convert_query(named, param_names=["a", "b"]) == "SELECT :a, :b"


@pytest.mark.django_db
def test_the_platform_runs_on_it_with_percent_signs_in_sql_and_values() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    assert type(connections["default"]).__module__ == "ecitizen.core.sqlite.base"
    User.objects.create_user(email="100%@example.org", password="x" * 12)
    assert User.objects.filter(email__contains="%").count() == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT '50%%', COUNT(*) FROM accounts_user WHERE email LIKE %s", ["100%"])
        assert cursor.fetchone() == ("50%", 1)
