"""The demo seeds applications in every state for the demo residents, idempotently."""

from collections import Counter

import pytest

from ecitizen.applications import demo
from ecitizen.applications.models import Application
from ecitizen.audit.services import audit_chain_verify
from ecitizen.catalogue import demo as catalogue_demo
from ecitizen.catalogue.schema import iter_questions
from ecitizen.core import demo as core_demo

pytestmark = pytest.mark.django_db
Status = Application.Status


def test_demo_applications_in_every_state() -> None:
    core_demo.seed_reference_data()
    core_demo.seed_accounts()
    catalogue_demo.seed()
    demo.seed()
    statuses = Counter(Application.objects.values_list("status", flat=True))
    expected = {plan.status for plan in demo.PLANS}
    assert set(statuses) == expected, statuses
    assert {
        Status.DRAFT,
        Status.SUBMITTED,
        Status.INFO_REQUESTED,
        Status.APPROVED,
        Status.REJECTED,
        Status.ISSUED,
        Status.REVOKED,
    } <= set(statuses)
    assert Application.objects.count() == len(demo.PLANS)
    issued = Application.objects.get(status=Status.ISSUED)
    assert issued.permit.status == "valid"
    revoked = Application.objects.get(status=Status.REVOKED)
    assert revoked.permit.status == "revoked"
    # Staff texts are written in the resident's language (the second demo resident is French).
    assert revoked.applicant.email == demo.RESIDENT2
    assert revoked.permit.revoked_reason.startswith("La licence")
    info = Application.objects.get(status=Status.INFO_REQUESTED)
    assert info.info_requests.get().answered_at is None and info.clock_paused_at is not None
    assisted = Application.objects.get(assisted_by__email=demo.AGENT)
    assert assisted.events.get(kind="submitted").on_behalf_of == assisted.applicant
    submitted = Application.objects.filter(status=Status.SUBMITTED)
    assert all(app.due_date and app.submitted_at for app in submitted)
    with_files = [
        app
        for app in Application.objects.exclude(status=Status.DRAFT)
        if any(q["type"] == "file" for _, q in iter_questions(app.service_version.definition))
    ]
    assert with_files and all(app.documents.exists() for app in with_files)
    assert audit_chain_verify() is None

    demo.seed()  # idempotent
    assert Application.objects.count() == len(demo.PLANS)
