"""Staff views of money: payments report with CSV export, reconciliation, refunds."""

import csv
import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from ecitizen.accounts.models import StaffRole
from ecitizen.accounts.permissions import staff_required
from ecitizen.accounts.selectors import staff_roles, user_has_role
from ecitizen.accounts.types import AuthedRequest
from ecitizen.core.models import Agency
from ecitizen.core.money import to_major, to_minor
from ecitizen.payments.forms import RefundForm, ReportForm
from ecitizen.payments.models import Payment
from ecitizen.payments.selectors import (
    applications_without_payment,
    ledger_entries,
    ledger_report,
    payments_without_application,
)
from ecitizen.payments.services import refund_create, refunded_amount

Role = StaffRole.Role
MONEY_ROLES = (Role.CASE_OFFICER, Role.AGENCY_ADMIN)


def _agencies(request: AuthedRequest) -> list[Agency]:
    """Agencies whose money this member of staff may see."""
    if user_has_role(request.user, Role.PLATFORM_ADMIN):
        return list(Agency.objects.all())
    return [role.agency for role in staff_roles(request.user) if role.agency is not None]


def _selected_agency(request: AuthedRequest) -> tuple[Agency, list[Agency]]:
    agencies = _agencies(request)
    if not agencies:
        raise Http404
    wanted = request.GET.get("agency")
    agency = next((a for a in agencies if a.code == wanted), agencies[0])
    return agency, agencies


@staff_required(*MONEY_ROLES)
def report(request: AuthedRequest) -> HttpResponse:
    agency, agencies = _selected_agency(request)
    today = timezone.localdate()
    form = ReportForm(
        request.GET if "start" in request.GET else None,
        initial={
            "start": today.replace(day=1),
            "end": today,
        },
    )
    start, end = today.replace(day=1), today
    if form.is_bound and form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    if request.GET.get("format") == "csv" and (not form.is_bound or form.is_valid()):
        return _csv(agency, start, end)
    context = {
        "form": form,
        "agency": agency,
        "agencies": agencies,
        "start": start,
        "end": end,
        "totals": ledger_report(agency_id=agency.pk, start=start, end=end),
        "entries": ledger_entries(agency_id=agency.pk, start=start, end=end)[:200],
    }
    return render(request, "backoffice/payments/report.html", context)


def _csv(agency: Agency, start: datetime.date, end: datetime.date) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"payments-{agency.code}-{start:%Y%m%d}-{end:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(
        [
            "date",
            "kind",
            "amount",
            "currency",
            "application",
            "payment",
            "provider_reference",
            "reason",
        ]
    )
    for entry in ledger_entries(agency_id=agency.pk, start=start, end=end).iterator():
        writer.writerow(
            [
                timezone.localtime(entry.created_at).isoformat(),
                entry.kind,
                f"{to_major(entry.amount, entry.currency)}",
                entry.currency,
                entry.application.reference if entry.application else "",
                entry.payment.reference if entry.payment else "",
                entry.payment.provider_reference if entry.payment else "",
                entry.reason,
            ]
        )
    return response


@staff_required(*MONEY_ROLES)
def reconciliation(request: AuthedRequest) -> HttpResponse:
    agency, agencies = _selected_agency(request)
    context = {
        "agency": agency,
        "agencies": agencies,
        "orphan_payments": payments_without_application(agency_id=agency.pk).select_related(
            "application"
        ),
        "unpaid_applications": applications_without_payment(agency_id=agency.pk),
    }
    return render(request, "backoffice/payments/reconciliation.html", context)


@staff_required(*MONEY_ROLES)
def refund(request: AuthedRequest, reference: str) -> HttpResponse:
    payment = get_object_or_404(
        Payment.objects.select_related("application", "agency"), reference=reference
    )
    if payment.agency not in _agencies(request):
        raise Http404
    remaining = payment.amount - refunded_amount(payment)
    form = RefundForm(
        request.POST or None, initial={"amount": to_major(remaining, payment.currency)}
    )
    if request.method == "POST" and form.is_valid():
        try:
            refund_create(
                actor=request.user,
                payment=payment,
                amount=to_minor(form.cleaned_data["amount"], payment.currency),
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.error_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                form.add_error(None, exc)
        else:
            messages.success(request, _("The refund has been made."))
            return redirect(f"{request.path}")
    context = {"payment": payment, "remaining": remaining, "form": form}
    return render(request, "backoffice/payments/refund.html", context)
