"""Working-day arithmetic for service-level targets (weekends and public holidays off)."""

import datetime
from collections.abc import Iterable


def is_working_day(day: datetime.date, holidays: set[datetime.date]) -> bool:
    return day.weekday() < 5 and day not in holidays


def add_working_days(
    start: datetime.date, days: int, holidays: Iterable[datetime.date]
) -> datetime.date:
    """The date ``days`` working days after ``start`` (``start`` itself does not count)."""
    off = set(holidays)
    day = start
    remaining = days
    while remaining > 0:
        day += datetime.timedelta(days=1)
        if is_working_day(day, off):
            remaining -= 1
    return day


def working_days_between(
    start: datetime.date, end: datetime.date, holidays: Iterable[datetime.date]
) -> int:
    """Working days after ``start`` up to and including ``end`` (negative if end < start)."""
    if end < start:
        return -working_days_between(end, start, holidays)
    off = set(holidays)
    count, day = 0, start
    while day < end:
        day += datetime.timedelta(days=1)
        count += is_working_day(day, off)
    return count


def public_holidays() -> set[datetime.date]:
    """Every public holiday. Written out (no ORM query to build): the work queue and every
    SLA computation read them (SQLite gives dates as ISO text)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute('SELECT "date" FROM "core_holiday"')
        days = [day for (day,) in cursor.fetchall()]
    return {
        day if isinstance(day, datetime.date) else datetime.date.fromisoformat(day) for day in days
    }
