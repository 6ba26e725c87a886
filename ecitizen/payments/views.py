"""Paying for an application, the sandbox provider's hosted page, and provider webhooks."""

import logging
import uuid

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ecitizen.accounts.types import AuthedRequest
from ecitizen.applications.models import Application
from ecitizen.payments import sandbox
from ecitizen.payments.forms import MethodForm, SandboxCardForm, SandboxMobileMoneyForm
from ecitizen.payments.models import Payment, SandboxTransaction
from ecitizen.payments.providers import WebhookRejected, get_provider
from ecitizen.payments.receipts import receipt_pdf
from ecitizen.payments.selectors import payment_for_payer, payments_for_application
from ecitizen.payments.services import amount_due, payment_refresh, payment_start, webhook_receive

security_log = logging.getLogger("ecitizen.security")


@login_required
def start(request: AuthedRequest, reference: str) -> HttpResponse:
    """Choose how to pay what is due on one's own application, then go to the provider."""
    application = get_object_or_404(
        Application.objects.select_related("service_version", "agency"),
        reference=reference,
        applicant=request.user,
    )
    due = amount_due(application)
    form = MethodForm(request.POST or None, initial={"idempotency_key": uuid.uuid4()})
    if request.method == "POST" and form.is_valid() and due > 0:
        payment = payment_start(
            actor=request.user,
            application=application,
            idempotency_key=str(form.cleaned_data["idempotency_key"]),
        )
        url = get_provider(payment.provider).checkout_url(payment)
        return redirect(f"{url}?method={form.cleaned_data['method']}")
    context = {
        "application": application,
        "due": due,
        "form": form,
        "payments": payments_for_application(application),
    }
    return render(request, "payments/start.html", context)


@login_required
def payment_return(request: AuthedRequest, reference: str) -> HttpResponse:
    """Where the provider sends the payer back: show the outcome (asking the provider if its
    notification has not arrived yet)."""
    payment = payment_for_payer(user=request.user, reference=reference)
    if payment is None:
        raise Http404
    payment = payment_refresh(payment=payment)
    return render(request, "payments/return.html", {"payment": payment})


@login_required
def receipt(request: AuthedRequest, reference: str) -> HttpResponse:
    payment = payment_for_payer(user=request.user, reference=reference)
    if payment is None or payment.paid_at is None:
        raise Http404
    response = HttpResponse(receipt_pdf(payment), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="receipt-{payment.reference}.pdf"'
    return response


def sandbox_checkout(request: HttpRequest, provider_reference: str) -> HttpResponse:
    """The sandbox provider's hosted payment page (a real provider hosts this elsewhere)."""
    record = get_object_or_404(SandboxTransaction, provider_reference=provider_reference)
    payment = get_object_or_404(Payment, reference=record.payment_reference)
    method = request.POST.get("method") or request.GET.get("method") or Payment.Method.CARD
    if method not in Payment.Method.values:
        method = Payment.Method.CARD
    form_class = SandboxCardForm if method == Payment.Method.CARD else SandboxMobileMoneyForm
    form = form_class(request.POST or None)
    return_url = reverse("payments:return", args=[payment.reference])
    if record.status != SandboxTransaction.Status.OPEN:
        return redirect(return_url)
    if request.method == "POST":
        if "abandon" in request.POST:
            sandbox.sandbox_complete(
                provider_reference=provider_reference,
                status=SandboxTransaction.Status.ABANDONED,
                method=method,
            )
            return redirect(return_url)
        if form.is_valid():
            if method == Payment.Method.CARD:
                status, reason = sandbox.card_outcome(form.cleaned_data["card_number"])
            else:
                status, reason = sandbox.mobile_money_outcome(form.cleaned_data["phone"])
            sandbox.sandbox_complete(
                provider_reference=provider_reference, status=status, method=method, reason=reason
            )
            return redirect(return_url)
    context = {"record": record, "payment": payment, "form": form, "method": method}
    return render(request, "payments/sandbox_checkout.html", context)


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, provider: str) -> HttpResponse:
    """Provider notifications: verified, deduplicated, applied once. Forged, stale or
    replayed notifications change nothing and are logged."""
    try:
        get_provider(provider)
    except KeyError:
        raise Http404 from None
    headers = {key: value for key, value in request.headers.items()}
    try:
        applied = webhook_receive(provider=provider, headers=headers, body=request.body)
    except WebhookRejected as exc:
        security_log.warning(
            "refused %s webhook from %s: %s", provider, request.META.get("REMOTE_ADDR"), exc
        )
        return HttpResponse(status=400)
    except (ValidationError, Payment.DoesNotExist, PermissionDenied):
        security_log.warning(
            "unusable %s webhook from %s", provider, request.META.get("REMOTE_ADDR")
        )
        return HttpResponse(status=422)
    return HttpResponse("ok" if applied else "duplicate", content_type="text/plain")
