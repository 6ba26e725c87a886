"""The open-case counts the work queue reads (``CaseCount``, kept by database triggers): after
every kind of write (services, bulk inserts, queryset updates, deletes) the queue's summary
and page counts equal a direct count of the cases; compacting and rebuilding keep them."""

import datetime
import io
import itertools
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from ecitizen.applications import case_counts, case_selectors, casework
from ecitizen.applications.case_selectors import QueueFilters, case_queue
from ecitizen.applications.models import Application, CaseCount
from ecitizen.applications.services import application_info_respond, application_withdraw
from ecitizen.applications.tests.case_factories import (
    bulk_cases,
    service_of,
    staff,
    submitted_case,
)
from ecitizen.applications.tests.factories import make_service
from ecitizen.core.workdays import add_working_days, public_holidays

pytestmark = pytest.mark.django_db
Status = Application.Status
TODAY = timezone.localdate()
OPEN_FILTERS = ["", *Application.OPEN_STATUSES]


def sla_filter(code: str, today: datetime.date, holidays: set[datetime.date]) -> Q:
    """The SLA filters in the ORM, as the queue wrote them before its SQL was written out."""
    soon_limit = add_working_days(today, case_selectors.DUE_SOON_WORKING_DAYS, holidays)
    running = Q(status__in=Application.OPEN_STATUSES, clock_paused_at__isnull=True)
    if code == "overdue":
        return running & Q(due_date__lt=today)
    if code == "due_soon":
        return running & Q(due_date__gte=today, due_date__lte=soon_limit)
    if code == "on_track":
        return running & Q(due_date__gt=soon_limit)
    if code == "paused":
        return Q(status__in=Application.OPEN_STATUSES, clock_paused_at__isnull=False)
    return Q()


def orm_queue(user: Any, agency: Any, filters: QueueFilters) -> QuerySet[Application]:
    """The queue's cases, in its order, as the ORM selects them (the reference for its SQL)."""
    cases = Application.objects.filter(agency=agency).exclude(status__in=case_selectors.NOT_CASES)
    if filters.status == "":
        cases = cases.filter(status__in=Application.OPEN_STATUSES)
    elif filters.status != "all":
        cases = cases.filter(status=filters.status)
    if filters.service:
        cases = cases.filter(service_id=filters.service)
    cases = cases.filter(sla_filter(filters.sla, TODAY, public_holidays()))
    if filters.assignee == "me":
        cases = cases.filter(assignee=user)
    elif filters.assignee == "none":
        cases = cases.filter(assignee__isnull=True)
    elif filters.assignee.isdigit():
        cases = cases.filter(assignee_id=int(filters.assignee))
    return cases.order_by(
        F("due_date").asc(nulls_last=True), F("submitted_at").asc(nulls_last=True), "pk"
    )


def direct_summary(agency: Any) -> tuple[int, int, int, int]:
    """The summary as the queue used to count it: filtered COUNTs over the agency's cases."""
    holidays = public_holidays()
    row = Application.objects.filter(agency=agency).aggregate(
        open=Count("pk", filter=Q(status__in=Application.OPEN_STATUSES)),
        overdue=Count("pk", filter=sla_filter("overdue", TODAY, holidays)),
        due_soon=Count("pk", filter=sla_filter("due_soon", TODAY, holidays)),
        unassigned=Count(
            "pk", filter=Q(status__in=Application.OPEN_STATUSES, assignee__isnull=True)
        ),
    )
    return row["open"], row["overdue"], row["due_soon"], row["unassigned"]


def assert_counts_agree(user: Any, agency: Any, services: list[Any], monkeypatch: Any) -> None:
    """The summary and the count of every filter combination the counts can answer, against
    the same queue counted by the database (the counts switched off) and by the ORM, whose
    first page it also shows."""
    summary = case_queue(user=user, agency=agency, filters=QueueFilters(), today=TODAY).summary
    assert (summary.open, summary.overdue, summary.due_soon, summary.unassigned) == (
        direct_summary(agency)
    )
    combinations = itertools.product(
        # the last three: counted by the database (drafts are never cases)
        [*OPEN_FILTERS, "all", Status.APPROVED, Status.DRAFT],
        [None, *(s.pk for s in services)],
        ["", "overdue", "due_soon", "on_track", "paused"],
        ["", "none", "me"],  # "me": counted by the database
    )
    for status, service, sla, assignee in combinations:
        filters = QueueFilters(service=service, status=status, sla=sla, assignee=assignee)
        counted = case_queue(user=user, agency=agency, filters=filters, today=TODAY)
        with monkeypatch.context() as patch:
            patch.setattr(case_selectors, "_count_from_buckets", lambda *a, **k: None)
            direct = case_queue(user=user, agency=agency, filters=filters, today=TODAY)
        assert counted.page.paginator.count == direct.page.paginator.count, filters
        assert [r.case.pk for r in counted.rows] == [r.case.pk for r in direct.rows]
        reference = orm_queue(user, agency, filters)
        assert counted.page.paginator.count == reference.count(), filters
        pks = list(reference.values_list("pk", flat=True)[: case_selectors.PER_PAGE])
        assert [r.case.pk for r in counted.rows] == pks, filters


def test_the_triggers_are_installed() -> None:
    service = make_service()
    assert CaseCount.objects.count() == 0
    bulk_cases(service, 3)
    assert case_counts.total(case_counts.open_buckets(service.agency_id)) == 3


def test_counts_follow_every_kind_of_write(monkeypatch: Any) -> None:
    case = submitted_case(workflow={"second_approval": True})
    service, agency = case.service, case.agency
    other = service_of(agency, code="TR", title="Tree felling")
    officer, second, admin = staff(agency), staff(agency), staff(agency, "agency_admin")
    services = [service, other]
    check = lambda: assert_counts_agree(officer, agency, services, monkeypatch)  # noqa: E731
    check()
    # Bulk inserts (no service function) in every status, due dates all around today.
    for days, status in zip(range(-6, 9, 2), itertools.cycle(Status.values), strict=False):
        bulk_cases(other, 2, due=TODAY + datetime.timedelta(days=days), status=status)
    bulk_cases(service, 2, due=TODAY, status=Status.INFO_REQUESTED, clock_paused_at=timezone.now())
    bulk_cases(make_service(code="XX"), 4)  # another agency's: never counted here
    check()
    # Services: claim, assign, release, request information (clock paused), answer.
    casework.case_claim(actor=officer, application=case)
    check()
    casework.case_release(actor=officer, application=case)
    casework.case_assign(actor=admin, application=case, assignee=officer)
    check()
    casework.case_request_info(actor=officer, application=case, message="The drawings, please")
    check()
    application_info_respond(actor=case.applicant, application=case, answer="Attached")
    check()
    # The two-step approval: waiting for the second officer, then approved; a rejection.
    casework.case_approve(actor=officer, application=case)
    case.refresh_from_db()
    assert case.status == Status.AWAITING_SECOND_APPROVAL
    check()
    casework.case_approve(actor=second, application=case)
    check()
    rejected = submitted_case(service)
    casework.case_reject(actor=admin, application=rejected, reason="Incomplete")
    withdrawn = submitted_case(service)
    application_withdraw(actor=withdrawn.applicant, application=withdrawn)
    check()
    # Queryset updates and deletes (as a data fix would do them).
    Application.objects.filter(service=other, status=Status.SUBMITTED).update(
        due_date=TODAY - datetime.timedelta(days=1)
    )
    Application.objects.filter(service=other, status=Status.INFO_REQUESTED).update(
        status=Status.SUBMITTED
    )
    check()
    Application.objects.filter(service=other, status=Status.SUBMITTED)[:1].get().delete()
    check()
    assert case_queue(user=officer, agency=agency, filters=QueueFilters()).summary.open > 0


def test_compact_and_rebuild_keep_the_counts(monkeypatch: Any) -> None:
    service = make_service()
    officer = staff(service.agency)
    cases = bulk_cases(service, 6, due=TODAY)
    bulk_cases(service, 3, due=TODAY + datetime.timedelta(days=10), status=Status.INFO_REQUESTED)
    for case in cases[:4]:
        casework.case_claim(actor=officer, application=case)
    Application.objects.filter(pk=cases[5].pk).update(status=Status.REJECTED)
    rows_before = CaseCount.objects.count()
    before = sorted(case_counts.open_buckets(service.agency_id), key=repr)

    folded = case_counts.compact()
    assert folded == rows_before
    # One row per bucket: unassigned submitted, assigned submitted, info requested.
    assert CaseCount.objects.count() == 3 < rows_before
    assert sorted(case_counts.open_buckets(service.agency_id), key=repr) == before
    assert case_counts.compact() == 3  # folding folded rows changes nothing
    assert sorted(case_counts.open_buckets(service.agency_id), key=repr) == before

    CaseCount.objects.all().delete()  # lost (e.g. a restore without them): recount
    assert case_counts.open_buckets(service.agency_id) == []
    case_counts.rebuild()
    assert sorted(case_counts.open_buckets(service.agency_id), key=repr) == before
    assert_counts_agree(officer, service.agency, [service], monkeypatch)


def test_the_command_checks_compacts_and_rebuilds() -> None:
    service = make_service()
    officer = staff(service.agency)
    cases = bulk_cases(service, 4, due=TODAY)
    bulk_cases(service, 2, status=Status.INFO_REQUESTED, clock_paused_at=timezone.now())
    casework.case_claim(actor=officer, application=cases[0])
    out = io.StringIO()
    call_command("case_counts", "--check", stdout=out)
    assert "agree" in out.getvalue()
    call_command("case_counts", "--compact", stdout=out)
    assert "row(s) folded" in out.getvalue()
    call_command("case_counts", "--check", stdout=out)

    CaseCount.objects.filter(status=Status.INFO_REQUESTED).update(n=5)  # corrupted
    with pytest.raises(CommandError, match="differ from a recount"):
        call_command("case_counts", "--check", stdout=out)
    call_command("case_counts", "--rebuild", stdout=out)
    call_command("case_counts", "--check", stdout=out)
    assert case_counts.total(case_counts.open_buckets(service.agency_id)) == 6
