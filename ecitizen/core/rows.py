"""Model instances from one hand-written SELECT, for the few reads made on every request.

Django's ORM spends far longer building a query than SQLite or PostgreSQL take to run it
(about 0.4 ms against 0.03 ms for a user by primary key, more with each join). The session's
user and an API token's owner are read on every signed-in request, and the work queue's page
on every look at it, so those reads write their SQL once and build the instances here,
converting each value exactly as the ORM does (the backend's converters, then the field's
``from_db_value``: dates on SQLite, JSON, encrypted fields). Everything else uses the ORM.
"""

import weakref
from collections import namedtuple
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model

Converter = Callable[[Any, Any, BaseDatabaseWrapper], Any]
# The columns that need converting (most need none): position, column expression, converters.
Conversions = tuple[tuple[int, Any, tuple[Converter, ...]], ...]


@dataclass(frozen=True)
class Prepared:
    """A statement made ready for one connection: its SQL, the conversions of a whole row
    (positions in the row) and those of each part (positions in the part's columns)."""

    sql: str
    row: Conversions
    parts: tuple[Conversions, ...]


@dataclass(frozen=True)
class Part:
    """One model of the SELECT: its table alias, and the fields to leave deferred or (as
    ``QuerySet.only``) the only fields to load besides the primary key."""

    model: type[Model]
    alias: str
    deferred: tuple[str, ...] = ()
    only: tuple[str, ...] = ()
    fields: list[Field] = field(init=False)
    # ``Model.from_db`` only asks whether each field is loaded: a set answers faster.
    attnames: frozenset[str] = field(init=False)
    pk_index: int = field(init=False)

    def __post_init__(self) -> None:
        concrete = [
            f
            for f in self.model._meta.concrete_fields
            if f.name not in self.deferred
            and (not self.only or f.primary_key or f.name in self.only or f.attname in self.only)
        ]
        object.__setattr__(self, "fields", concrete)
        object.__setattr__(self, "attnames", frozenset(f.attname for f in concrete))
        object.__setattr__(self, "pk_index", concrete.index(self.model._meta.pk))


class JoinedRows:
    """``sql`` has a ``{columns}`` placeholder for the columns of ``parts``, in order;
    ``fetch_one`` returns one instance per part (``None`` for a part that an outer join did not
    find), or ``None`` when no row matched. ``fetch_rows`` gives every row's instances with the
    columns the SQL selects after ``{columns}``, as they come, under the names in
    ``annotations``. ``fetch_all`` returns the instances of every row; its ``fragments`` fill
    the SQL's other placeholders (``{where}``, say: SQL the caller wrote, never input).
    ``fetch_values`` gives every row as a named tuple of converted values instead, no
    instances: fields ``<alias>_<attname>`` (``a_reference``), then the annotations."""

    def __init__(
        self, sql: str, *parts: Part, annotations: tuple[str, ...] = (), using: str = "default"
    ) -> None:
        self.parts = parts
        self.annotations = annotations
        self.using = using
        self._template = sql
        names = [f"{part.alias}_{f.attname}" for part in parts for f in part.fields]
        self.Row: Any = namedtuple("Row", [*names, *annotations])  # type: ignore[misc]
        # Per connection (one per thread): the converters are bound to its operations.
        self._prepared: weakref.WeakKeyDictionary[BaseDatabaseWrapper, Prepared] = (
            weakref.WeakKeyDictionary()
        )

    def _prepare(self, connection: BaseDatabaseWrapper) -> Prepared:
        quote = connection.ops.quote_name
        columns: list[str] = []
        row: list[tuple[int, Any, tuple[Converter, ...]]] = []
        parts: list[Conversions] = []
        for part in self.parts:
            start, in_part = len(columns), []
            for model_field in part.fields:
                col = model_field.get_col(part.alias)
                assert model_field.column is not None  # concrete fields have a column
                converters = tuple(
                    connection.ops.get_db_converters(col) + col.get_db_converters(connection)
                )
                if converters:
                    row.append((len(columns), col, converters))
                    in_part.append((len(columns) - start, col, converters))
                columns.append(f"{quote(part.alias)}.{quote(model_field.column)}")
            parts.append(tuple(in_part))
        sql = self._template.replace("{columns}", ", ".join(columns))
        return Prepared(sql, tuple(row), tuple(parts))

    def _execute(
        self, params: Sequence[Any], fragments: dict[str, str], fetch: Callable[[Any], Any]
    ) -> tuple[Any, BaseDatabaseWrapper, Prepared]:
        connection = connections[self.using]
        prepared = self._prepared.get(connection)
        if prepared is None:
            prepared = self._prepared[connection] = self._prepare(connection)
        sql = prepared.sql
        for name, fragment in fragments.items():
            sql = sql.replace(f"{{{name}}}", fragment)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return fetch(cursor), connection, prepared

    def fetch_one(self, params: Sequence[Any]) -> list[Model | None] | None:
        row, connection, prepared = self._execute(params, {}, lambda cursor: cursor.fetchone())
        return None if row is None else self._instances(row, connection, prepared)[0]

    def fetch_rows(self, params: Sequence[Any]) -> list[tuple[list[Model | None], dict[str, Any]]]:
        """Every row's instances, and the values of its annotations (not set on any instance)."""
        rows, connection, prepared = self._execute(params, {}, lambda cursor: cursor.fetchall())
        return [self._instances(row, connection, prepared) for row in rows]

    def fetch_all(self, params: Sequence[Any], **fragments: str) -> list[list[Model | None]]:
        rows, connection, prepared = self._execute(
            params, fragments, lambda cursor: cursor.fetchall()
        )
        return [self._instances(row, connection, prepared)[0] for row in rows]

    def fetch_values(self, params: Sequence[Any], **fragments: str) -> list[Any]:
        rows, connection, prepared = self._execute(
            params, fragments, lambda cursor: cursor.fetchall()
        )
        return [self.Row._make(_converted(list(row), prepared.row, connection)) for row in rows]

    def _instances(
        self,
        row: Sequence[Any],
        connection: BaseDatabaseWrapper,
        prepared: Prepared,
    ) -> tuple[list[Model | None], dict[str, Any]]:
        instances: list[Model | None] = []
        start = 0
        for part, conversions in zip(self.parts, prepared.parts, strict=True):
            end = start + len(part.fields)
            instance = None
            if row[start + part.pk_index] is not None:  # an outer join found it
                values = _converted(list(row[start:end]), conversions, connection)
                instance = part.model.from_db(self.using, part.attnames, values)
            instances.append(instance)
            start = end
        return instances, dict(zip(self.annotations, row[start:], strict=True))


def _converted(
    values: list[Any], conversions: Conversions, connection: BaseDatabaseWrapper
) -> list[Any]:
    """``values`` (columns of parts; annotations come as they are) converted in place as the
    ORM converts them."""
    for position, expression, converters in conversions:
        value = values[position]
        for convert in converters:
            value = convert(value, expression, connection)
        values[position] = value
    return values


class Pages:
    """What ``Paginator`` pages, counted and sliced by written-out statements: ``count()``
    gives the number of rows (called once, and not at all when ``known``), ``rows(limit,
    offset)`` one page of them."""

    def __init__(
        self,
        count: Callable[[], int],
        rows: Callable[[int, int], list[Any]],
        known: int | None = None,
    ) -> None:
        self._count, self._rows, self._known = count, rows, known

    def count(self) -> int:
        if self._known is None:
            self._known = self._count()
        return self._known

    def __getitem__(self, page: slice) -> list[Any]:
        return self._rows(page.stop - page.start, page.start)


def fetch_count(sql: str, params: Sequence[Any], using: str = "default") -> int:
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.fetchone()[0])


def set_prefetched(instance: Model, name: str, objects: list[Any]) -> None:
    """As ``prefetch_related(name)`` leaves ``instance`` (what Django's prefetching does):
    ``instance.<name>.all()`` answers ``objects`` without a query."""
    queryset = getattr(instance, name).all()
    queryset._result_cache = objects
    queryset._prefetch_done = True
    cache = instance.__dict__.setdefault("_prefetched_objects_cache", {})
    cache[name] = queryset
