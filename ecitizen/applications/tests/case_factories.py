"""Case-work test data: staff of an agency, submitted cases (through the residents' services),
cases in bulk for the queue, and paying through the sandbox provider."""

import copy
import datetime
import uuid
from typing import Any

from allauth.mfa.totp.internal.auth import TOTP
from django.utils import timezone

from ecitizen.accounts.models import StaffRole, User
from ecitizen.accounts.services import staff_role_grant
from ecitizen.accounts.tests.factories import UserFactory
from ecitizen.accounts.tests.fixtures import TOTP_SECRET
from ecitizen.applications.models import Application
from ecitizen.applications.services import application_submit
from ecitizen.applications.tests.factories import (
    DEFINITION,
    complete_draft,
    make_resident,
    make_service,
    t,
)
from ecitizen.catalogue.models import Service
from ecitizen.core.models import Agency
from ecitizen.payments.models import Payment
from ecitizen.payments.providers import get_provider
from ecitizen.payments.sandbox import sandbox_complete
from ecitizen.payments.services import payment_refresh, payment_start

Status = Application.Status
ISSUES = {
    "document_type": t("Building permit"),
    "permitted": t("Build an extension"),
    "validity_days": 365,
}


def definition(**changes: Any) -> dict[str, Any]:
    """The applications test definition with top-level keys changed (``workflow`` merged)."""
    result = copy.deepcopy(DEFINITION)
    workflow = changes.pop("workflow", None)
    result.update(changes)
    if workflow:
        result["workflow"] = {**result["workflow"], **workflow}
    return result


def staff(agency: Agency | None, role: str = StaffRole.Role.CASE_OFFICER, name: str = "") -> User:
    """A member of staff with a second factor (so staff pages let them in)."""
    user = UserFactory()
    if name:
        user.profile.legal_name = name
        user.profile.save(update_fields=["legal_name"])
    staff_role_grant(actor=None, user=user, role=role, agency=agency)
    TOTP.activate(user, TOTP_SECRET)
    return user


def submitted_case(
    service: Service | None = None, resident: User | None = None, **changes: Any
) -> Application:
    """A case waiting for a decision, made as a resident makes it (draft, answers, a PDF,
    submit). ``changes`` alter the service definition (``fee``, ``workflow``, ``issues``...)."""
    service = service or make_service(definition(**changes) if changes else None)
    resident = resident or make_resident()
    application = complete_draft(resident, service)
    result = application_submit(
        actor=resident, application=application, idempotency_key=str(uuid.uuid4())
    )
    application = result.application
    application.refresh_from_db()
    return application


def pay(application: Application) -> Payment:
    """The resident pays what is due through the sandbox provider (service calls only)."""
    payment = payment_start(
        actor=application.applicant, application=application, idempotency_key=str(uuid.uuid4())
    )
    provider = get_provider(payment.provider)
    provider.checkout_url(payment)
    record = provider._open(payment)  # type: ignore[attr-defined]
    sandbox_complete(
        provider_reference=record.provider_reference, status="succeeded", method="card"
    )
    payment = payment_refresh(payment=payment)
    assert payment.status == Payment.Status.SUCCEEDED
    return payment


def bulk_cases(
    service: Service,
    count: int,
    *,
    due: datetime.date | None = None,
    status: str = Status.SUBMITTED,
    **fields: Any,
) -> list[Application]:
    """``count`` cases created directly (fast), for queue tests."""
    version = service.published_version
    assert version is not None
    resident = UserFactory()
    now = timezone.now()
    cases = [
        Application(
            reference=f"{service.code}-Q{service.pk}-{uuid.uuid4().hex[:8].upper()}",
            service_version=version,
            service=service,
            agency_id=service.agency_id,
            applicant=resident,
            status=status,
            submitted_at=now,
            due_date=due or timezone.localdate() + datetime.timedelta(days=30),
            **fields,
        )
        for _ in range(count)
    ]
    return Application.objects.bulk_create(cases)


def service_of(agency: Agency, *, code: str, title: str, **changes: Any) -> Service:
    """Another published service of ``agency``."""
    from ecitizen.catalogue.models import ServiceVersion

    service = Service.objects.create(agency=agency, slug=f"{code.lower()}-{agency.pk}", code=code)
    version = ServiceVersion.objects.create(
        service=service,
        number=1,
        status=ServiceVersion.Status.PUBLISHED,
        title=t(title),
        definition=definition(**changes),
    )
    service.published_version = version
    service.save(update_fields=["published_version"])
    return service
