"""Counts of open cases, maintained by the database (see ``models.CaseCount``).

Triggers on ``applications_application`` append a -1 row for the bucket an open case leaves
and a +1 row for the bucket it enters, in the writing transaction. Appending never waits on
another writer (no counter row is updated in place, so no lock is taken that could order
against the audit chain's lock), and a reader adds the rows up in its own snapshot, so the
counts always agree with the applications it can see. ``compact`` folds the rows into one
per bucket; ``rebuild`` recounts from scratch (after a restore, or to repair).
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Sum

from ecitizen.applications.models import OPEN_STATUS_VALUES, CaseCount

TABLE = "applications_application"
COUNTS = "applications_casecount"
_OPEN = ", ".join(f"'{status}'" for status in OPEN_STATUS_VALUES)
_COLUMNS = "agency_id, service_id, status, due_date, paused, unassigned, n"


def _values(row: str, n: int) -> str:
    return (
        f"{row}.agency_id, {row}.service_id, {row}.status, {row}.due_date, "
        f"{row}.clock_paused_at IS NOT NULL, {row}.assignee_id IS NULL, {n}"
    )


def _same_bucket() -> str:
    return (
        "OLD.status = NEW.status AND OLD.agency_id = NEW.agency_id "
        "AND OLD.service_id = NEW.service_id "
        "AND OLD.due_date IS NOT DISTINCT FROM NEW.due_date "
        "AND (OLD.clock_paused_at IS NULL) = (NEW.clock_paused_at IS NULL) "
        "AND (OLD.assignee_id IS NULL) = (NEW.assignee_id IS NULL)"
    )


POSTGRESQL_INSTALL = [
    f"""
CREATE OR REPLACE FUNCTION applications_case_count() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.status IN ({_OPEN}) THEN
        INSERT INTO {COUNTS} ({_COLUMNS}) VALUES ({_values("OLD", -1)});
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.status IN ({_OPEN}) THEN
        INSERT INTO {COUNTS} ({_COLUMNS}) VALUES ({_values("NEW", 1)});
    END IF;
    RETURN NULL;
END
$$""",  # noqa: S608
    f"DROP TRIGGER IF EXISTS applications_case_count_insert ON {TABLE}",
    f"""CREATE TRIGGER applications_case_count_insert AFTER INSERT ON {TABLE}
FOR EACH ROW WHEN (NEW.status IN ({_OPEN})) EXECUTE FUNCTION applications_case_count()""",
    f"DROP TRIGGER IF EXISTS applications_case_count_update ON {TABLE}",
    f"""CREATE TRIGGER applications_case_count_update AFTER UPDATE ON {TABLE}
FOR EACH ROW WHEN ((OLD.status IN ({_OPEN}) OR NEW.status IN ({_OPEN}))
AND NOT ({_same_bucket()})) EXECUTE FUNCTION applications_case_count()""",
    f"DROP TRIGGER IF EXISTS applications_case_count_delete ON {TABLE}",
    f"""CREATE TRIGGER applications_case_count_delete AFTER DELETE ON {TABLE}
FOR EACH ROW WHEN (OLD.status IN ({_OPEN})) EXECUTE FUNCTION applications_case_count()""",
]
POSTGRESQL_REMOVE = [
    f"DROP TRIGGER IF EXISTS applications_case_count_insert ON {TABLE}",
    f"DROP TRIGGER IF EXISTS applications_case_count_update ON {TABLE}",
    f"DROP TRIGGER IF EXISTS applications_case_count_delete ON {TABLE}",
    "DROP FUNCTION IF EXISTS applications_case_count()",
]
SQLITE_INSTALL = [
    f"""CREATE TRIGGER IF NOT EXISTS applications_case_count_insert AFTER INSERT ON {TABLE}
FOR EACH ROW WHEN NEW.status IN ({_OPEN}) BEGIN
    INSERT INTO {COUNTS} ({_COLUMNS}) VALUES ({_values("NEW", 1)});
END""",  # noqa: S608
    f"""CREATE TRIGGER IF NOT EXISTS applications_case_count_update AFTER UPDATE ON {TABLE}
FOR EACH ROW WHEN (OLD.status IN ({_OPEN}) OR NEW.status IN ({_OPEN}))
AND NOT ({_same_bucket().replace("IS NOT DISTINCT FROM", "IS")}) BEGIN
    INSERT INTO {COUNTS} ({_COLUMNS}) SELECT {_values("OLD", -1)} WHERE OLD.status IN ({_OPEN});
    INSERT INTO {COUNTS} ({_COLUMNS}) SELECT {_values("NEW", 1)} WHERE NEW.status IN ({_OPEN});
END""",
    f"""CREATE TRIGGER IF NOT EXISTS applications_case_count_delete AFTER DELETE ON {TABLE}
FOR EACH ROW WHEN OLD.status IN ({_OPEN}) BEGIN
    INSERT INTO {COUNTS} ({_COLUMNS}) VALUES ({_values("OLD", -1)});
END""",  # noqa: S608
]
SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS applications_case_count_insert",
    "DROP TRIGGER IF EXISTS applications_case_count_update",
    "DROP TRIGGER IF EXISTS applications_case_count_delete",
]


def _statements(vendor: str, install: bool) -> list[str]:
    if vendor == "postgresql":
        return POSTGRESQL_INSTALL if install else POSTGRESQL_REMOVE
    if vendor == "sqlite":
        return SQLITE_INSTALL if install else SQLITE_REMOVE
    raise NotImplementedError(f"case counts need triggers written for {vendor}")


def install_triggers(db: BaseDatabaseWrapper) -> None:
    with db.cursor() as cursor:
        for statement in _statements(db.vendor, install=True):
            cursor.execute(statement)


def remove_triggers(db: BaseDatabaseWrapper) -> None:
    with db.cursor() as cursor:
        for statement in _statements(db.vendor, install=False):
            cursor.execute(statement)


_RECOUNT = f"""
INSERT INTO {COUNTS} ({_COLUMNS})
SELECT agency_id, service_id, status, due_date, clock_paused_at IS NOT NULL,
       assignee_id IS NULL, COUNT(*)
FROM {TABLE} WHERE status IN ({_OPEN})
GROUP BY agency_id, service_id, status, due_date, clock_paused_at IS NOT NULL,
         assignee_id IS NULL"""  # noqa: S608


@transaction.atomic
def rebuild() -> None:
    """Recount every open case from the applications (writers wait meanwhile)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {TABLE} IN SHARE MODE")
        cursor.execute(f"DELETE FROM {COUNTS}")  # noqa: S608
        cursor.execute(_RECOUNT)


_GROUP = "agency_id, service_id, status, due_date, paused, unassigned"


@transaction.atomic
def compact() -> int:
    """Fold the delta rows into one row per bucket (dropping buckets that add up to zero);
    returns how many rows were folded. Safe while cases are being written: on PostgreSQL one
    statement deletes the rows its snapshot sees and inserts their sums, rows appended
    meanwhile stay as they are; SQLite runs one writer at a time."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"""WITH gone AS (DELETE FROM {COUNTS} RETURNING {_COLUMNS}),
                folded AS (INSERT INTO {COUNTS} ({_COLUMNS})
                    SELECT {_GROUP}, SUM(n) FROM gone GROUP BY {_GROUP} HAVING SUM(n) <> 0
                    RETURNING 1)
                SELECT (SELECT COUNT(*) FROM gone), (SELECT COUNT(*) FROM folded)"""  # noqa: S608
            )
            before, _after = cursor.fetchone()
            return int(before)
        cursor.execute(f"SELECT MAX(id), COUNT(*) FROM {COUNTS}")  # noqa: S608
        last, before = cursor.fetchone()
        if not last:
            return 0
        cursor.execute(
            f"""CREATE TEMP TABLE applications_casecount_fold AS
            SELECT {_GROUP}, SUM(n) AS n FROM {COUNTS} WHERE id <= %s GROUP BY {_GROUP}
            HAVING SUM(n) <> 0""",  # noqa: S608
            [last],
        )
        cursor.execute(f"DELETE FROM {COUNTS} WHERE id <= %s", [last])  # noqa: S608
        cursor.execute(
            f"INSERT INTO {COUNTS} ({_COLUMNS}) SELECT {_COLUMNS} FROM applications_casecount_fold"  # noqa: S608
        )
        cursor.execute("DROP TABLE applications_casecount_fold")
        return int(before)


@dataclass(frozen=True)
class Bucket:
    service_id: int
    status: str
    due_date: datetime.date | None
    paused: bool
    unassigned: bool
    count: int


def open_buckets(agency_id: int) -> list[Bucket]:
    """The agency's open cases by bucket (one query, over a few hundred rows at most)."""
    rows = (
        CaseCount.objects.filter(agency_id=agency_id)
        .values_list("service_id", "status", "due_date", "paused", "unassigned")
        .annotate(total=Sum("n"))
        .filter(total__gt=0)
        .order_by()
    )
    return [Bucket(*row) for row in rows]


@dataclass(frozen=True)
class SlaBucket:
    """Open cases of an agency by service, status, SLA state and assignment."""

    service_id: int
    status: str
    sla: str  # "overdue" | "due_soon" | "on_track" | "paused" | "" (no due date)
    unassigned: bool
    count: int


def open_sla_buckets(
    agency_id: int, today: datetime.date, soon_limit: datetime.date
) -> list[SlaBucket]:
    """The agency's open cases by service, status, SLA state (overdue: due before ``today``;
    due soon: due by ``soon_limit``; on track: later; paused: the clock is paused) and
    assignment: one statement, grouped in the database, a few dozen rows whatever the number
    of due dates (what the work queue's summary and page count need).

    The agency and the days are written into the statement (an integer and ISO dates, never
    text from outside): with them as parameters PostgreSQL planned it anew on every request,
    finding its generic plan dearer; without parameters it keeps one plan a connection."""
    sql = f"""SELECT service_id, status,
        CASE WHEN paused THEN 'paused' WHEN due_date IS NULL THEN ''
             WHEN due_date < {_date_literal(today)} THEN 'overdue'
             WHEN due_date <= {_date_literal(soon_limit)} THEN 'due_soon'
             ELSE 'on_track' END AS sla,
        unassigned, SUM(n)
        FROM {COUNTS} WHERE agency_id = {int(agency_id)}
        GROUP BY 1, 2, 3, 4 HAVING SUM(n) > 0"""  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    return [
        SlaBucket(service, status, sla, bool(unassigned), int(n))
        for service, status, sla, unassigned, n in rows
    ]


def _date_literal(day: datetime.date) -> str:
    """``day`` as an SQL literal both databases compare with a date column."""
    if type(day) is not datetime.date:
        raise TypeError(f"a date, not {type(day).__name__}")
    return f"'{day.isoformat()}'"


def total(buckets: Iterable[Bucket | SlaBucket]) -> int:
    return sum(bucket.count for bucket in buckets)


def differences() -> list[tuple[tuple[object, ...], int, int]]:
    """Buckets whose count differs from a recount of the applications: (bucket, counted,
    actual). Empty when the counts are right."""
    from django.db.models import Count, Q

    from ecitizen.applications.models import Application

    counted: dict[tuple[object, ...], int] = {
        (b.service_id, b.status, b.due_date, b.paused, b.unassigned, agency): b.count
        for agency in CaseCount.objects.values_list("agency_id", flat=True).distinct()
        for b in open_buckets(agency)
    }
    actual: dict[tuple[object, ...], int] = {}
    rows = (
        Application.objects.filter(status__in=OPEN_STATUS_VALUES)
        .values_list("service_id", "status", "due_date", "agency_id")
        .annotate(
            paused=Count("pk", filter=Q(clock_paused_at__isnull=False)),
            unassigned=Count("pk", filter=Q(assignee__isnull=True)),
            paused_unassigned=Count(
                "pk", filter=Q(clock_paused_at__isnull=False, assignee__isnull=True)
            ),
            n=Count("pk"),
        )
        .order_by()
    )
    for service, status, due, agency, paused, unassigned, both, n in rows:
        split = {
            (True, True): both,
            (True, False): paused - both,
            (False, True): unassigned - both,
            (False, False): n - paused - unassigned + both,
        }
        for (is_paused, is_unassigned), count in split.items():
            if count:
                actual[(service, status, due, is_paused, is_unassigned, agency)] = count
    return [
        (key, counted.get(key, 0), actual.get(key, 0))
        for key in sorted(set(counted) | set(actual), key=repr)
        if counted.get(key, 0) != actual.get(key, 0)
    ]
