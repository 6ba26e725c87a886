"""Two submissions of the same draft at the same moment (a double click that reaches two
server processes) create exactly one submission. Real threads, real transactions: SQLite
serialises the writers, PostgreSQL locks the draft's row."""

import threading
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from ecitizen.applications.models import Application
from ecitizen.applications.services import application_submit
from ecitizen.applications.tests.factories import complete_draft, make_resident, make_service
from ecitizen.audit.models import AuditEntry
from ecitizen.audit.services import audit_chain_verify


def run_in_parallel(count: int, work: Any) -> list[Any]:
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        try:
            results[index] = work(barrier)
        except Exception as exc:  # reported by the assertions below
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("same_key", [True, False])
def test_two_parallel_submit_requests_send_once(same_key: bool) -> None:
    resident = make_resident()
    application = complete_draft(resident, make_service())
    path = reverse("applications:submit", args=[application.reference])
    shared_key = str(uuid.uuid4())

    def submit(barrier: threading.Barrier) -> tuple[int, str]:
        client = Client()
        client.force_login(resident)
        key = shared_key if same_key else str(uuid.uuid4())
        barrier.wait()
        response = client.post(path, {"declaration": "on", "idempotency_key": key})
        return response.status_code, response["Location"]

    results = run_in_parallel(2, submit)
    confirmation = reverse("applications:confirmation", args=[application.reference])
    assert results == [(302, confirmation), (302, confirmation)], results
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED
    assert application.events.filter(kind="submitted").count() == 1
    assert AuditEntry.objects.filter(action="applications.application.submitted").count() == 1
    assert Application.objects.count() == 1
    assert audit_chain_verify() is None


@pytest.mark.django_db(transaction=True)
def test_parallel_service_calls_return_the_same_application() -> None:
    resident = make_resident()
    application = complete_draft(resident, make_service())
    key = str(uuid.uuid4())

    def submit(barrier: threading.Barrier) -> tuple[int, bool]:
        draft = Application.objects.get(pk=application.pk)
        barrier.wait()
        result = application_submit(actor=resident, application=draft, idempotency_key=key)
        return result.application.pk, result.created

    results = run_in_parallel(2, submit)
    assert sorted(results, key=lambda r: r[1]) == [
        (application.pk, False),
        (application.pk, True),
    ], results


@pytest.mark.django_db(transaction=True)
def test_many_residents_submitting_at_once_keep_the_audit_chain_and_the_counts() -> None:
    """Eight residents send at the same moment (and each a second time with the same key):
    each draft is sent once, the audit chain stays gapless and verifies, and the open-case
    counts the work queue reads equal the cases."""
    from ecitizen.applications import case_counts

    service = make_service()
    drafts = [complete_draft(make_resident(), service) for _ in range(8)]
    keys = [str(uuid.uuid4()) for _ in drafts]
    entries_before = AuditEntry.objects.count()

    def submit(barrier: threading.Barrier, index: int) -> bool:
        draft = Application.objects.get(pk=drafts[index % 8].pk)
        barrier.wait()
        result = application_submit(
            actor=draft.applicant, application=draft, idempotency_key=keys[index % 8]
        )
        return result.created

    barrier = threading.Barrier(16)
    results: list[Any] = [None] * 16

    def run(index: int) -> None:
        try:
            results[index] = submit(barrier, index)
        except Exception as exc:  # reported by the assertions below
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == [False] * 8 + [True] * 8, results
    submitted = Application.objects.filter(status=Application.Status.SUBMITTED)
    assert submitted.count() == 8
    assert AuditEntry.objects.filter(action="applications.application.submitted").count() == 8
    seqs = list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, entries_before + 9))
    assert audit_chain_verify() is None
    assert case_counts.total(case_counts.open_buckets(service.agency_id)) == 8
