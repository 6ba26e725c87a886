"""Reads about money, scoped to who asks."""

import datetime
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet, Sum

from ecitizen.accounts.models import User
from ecitizen.applications.models import Application
from ecitizen.payments.models import LedgerEntry, Payment


def payment_for_payer(*, user: User, reference: str) -> Payment | None:
    """A payment by its reference, only if ``user`` made it (others get None → 404)."""
    return (
        Payment.objects.select_related("application__service_version", "agency")
        .filter(reference=reference, payer=user)
        .first()
    )


def payments_for_application(application: Application) -> QuerySet[Payment]:
    return Payment.objects.filter(application=application).order_by("created_at")


@dataclass(frozen=True)
class LedgerTotals:
    currency: str
    charges: int
    payments: int
    refunds: int

    @property
    def net(self) -> int:
        return self.payments - self.refunds


def ledger_report(
    *, agency_id: int, start: datetime.date, end: datetime.date
) -> list[LedgerTotals]:
    """Totals per currency for an agency between two dates (inclusive), one query."""
    rows = (
        LedgerEntry.objects.filter(
            agency_id=agency_id, created_at__date__gte=start, created_at__date__lte=end
        )
        .values("currency")
        .annotate(
            charges=Sum("amount", filter=Q(kind=LedgerEntry.Kind.CHARGE), default=0),
            payments=Sum("amount", filter=Q(kind=LedgerEntry.Kind.PAYMENT), default=0),
            refunds=Sum("amount", filter=Q(kind=LedgerEntry.Kind.REFUND), default=0),
        )
        .order_by("currency")
    )
    return [LedgerTotals(**row) for row in rows]


def ledger_entries(
    *, agency_id: int, start: datetime.date, end: datetime.date
) -> QuerySet[LedgerEntry]:
    return (
        LedgerEntry.objects.filter(
            agency_id=agency_id, created_at__date__gte=start, created_at__date__lte=end
        )
        .select_related("application", "payment")
        .order_by("created_at", "id")
    )


def payments_without_application(*, agency_id: int) -> QuerySet[Payment]:
    """Money received that no application accounts for (or whose application never moved on)."""
    return Payment.objects.filter(agency_id=agency_id, status=Payment.Status.SUCCEEDED).filter(
        Q(application__isnull=True)
        | Q(application__status__in=[Application.Status.DRAFT, Application.Status.AWAITING_PAYMENT])
    )


def applications_without_payment(*, agency_id: int) -> QuerySet[Application]:
    """Applications past payment whose charge has no successful payment behind it."""
    paid = Payment.objects.filter(
        application=OuterRef("pk"),
        status__in=[
            Payment.Status.SUCCEEDED,
            Payment.Status.PARTIALLY_REFUNDED,
            Payment.Status.REFUNDED,
        ],
    )
    charged = LedgerEntry.objects.filter(application=OuterRef("pk"), kind=LedgerEntry.Kind.CHARGE)
    return (
        Application.objects.filter(agency_id=agency_id, fee_amount__gt=0)
        .exclude(
            status__in=[
                Application.Status.DRAFT,
                Application.Status.AWAITING_PAYMENT,
                Application.Status.WITHDRAWN,
                Application.Status.EXPIRED,
            ]
        )
        .filter(Exists(charged))
        .exclude(Exists(paid))
        .select_related("service_version")
    )
