"""/api/v1 payments: a payer reads their own payment and downloads its receipt. Anybody
else's payment answers 404."""

import datetime
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Router, Schema
from pydantic import Field

from ecitizen.api.auth import ApiPrincipal, api_auth
from ecitizen.api.schemas import error_responses
from ecitizen.api.scopes import PAYMENTS_READ
from ecitizen.core.i18n import tr
from ecitizen.core.money import format_money
from ecitizen.payments.models import Payment
from ecitizen.payments.receipts import receipt_pdf
from ecitizen.payments.selectors import payment_for_payer

router = Router(tags=["payments"])


def _user(request: HttpRequest):  # type: ignore[no-untyped-def]
    principal: ApiPrincipal = request.auth  # type: ignore[attr-defined]
    return principal.user


def _scopes_extra(*scopes: str) -> dict[str, list[str]]:
    return {"x-required-scopes": list(scopes)}


class MoneyOut(Schema):
    amount: int = Field(description="In minor units (cents).")
    currency: str = Field(description="ISO 4217 code.")
    formatted: str = Field(description="For people, in the request's language.")


def money_out(amount: int, currency: str) -> MoneyOut:
    return MoneyOut(amount=amount, currency=currency, formatted=format_money(amount, currency))


class PaymentSummaryOut(Schema):
    reference: str
    amount: MoneyOut
    status: str = Field(
        description="created, pending, succeeded, declined, abandoned, refunded or "
        "partially_refunded."
    )
    status_label: str
    created_at: datetime.datetime
    paid_at: datetime.datetime | None
    url: str = Field(description="This payment in the API.")
    receipt_url: str | None = Field(description="The PDF receipt in the API, once paid.")


class PaymentOut(PaymentSummaryOut):
    application: str | None = Field(description="The reference of the application it pays for.")
    service: str = Field(description="The title of the service, in the request's language.")
    agency: str
    method: str = Field(description="card or mobile_money, once known.")
    receipt_web_url: str | None = Field(description="The receipt on the website, once paid.")


def payment_summary_out(request: HttpRequest, payment: Payment) -> PaymentSummaryOut:
    return PaymentSummaryOut(**_summary_fields(request, payment))


def _summary_fields(request: HttpRequest, payment: Payment) -> dict[str, Any]:
    paid = payment.paid_at is not None
    return {
        "reference": payment.reference,
        "amount": money_out(payment.amount, payment.currency),
        "status": payment.status,
        "status_label": str(payment.get_status_display()),
        "created_at": payment.created_at,
        "paid_at": payment.paid_at,
        "url": request.build_absolute_uri(reverse("api:payment_detail", args=[payment.reference])),
        "receipt_url": request.build_absolute_uri(
            reverse("api:payment_receipt", args=[payment.reference])
        )
        if paid
        else None,
    }


def _payment(request: HttpRequest, reference: str) -> Payment:
    payment = payment_for_payer(user=_user(request), reference=reference)
    if payment is None:
        raise Http404
    return payment


@router.get(
    "/payments/{reference}",
    url_name="payment_detail",
    auth=api_auth(PAYMENTS_READ),
    response={200: PaymentOut, **error_responses(401, 403, 404, 429)},
    summary="One of your payments",
    description="A payment you made, with its status and a link to its receipt once paid. "
    "Anybody else's payment answers 404. Scope: `payments:read`.",
    openapi_extra=_scopes_extra(PAYMENTS_READ),
)
def payment_detail(request: HttpRequest, reference: str) -> PaymentOut:
    payment = _payment(request, reference)
    application = payment.application
    return PaymentOut(
        **_summary_fields(request, payment),
        application=application.reference if application else None,
        service=tr(application.service_version.title) if application else "",
        agency=payment.agency.localized_name(),
        method=payment.method,
        receipt_web_url=request.build_absolute_uri(
            reverse("payments:receipt", args=[payment.reference])
        )
        if payment.paid_at
        else None,
    )


@router.get(
    "/payments/{reference}/receipt",
    url_name="payment_receipt",
    auth=api_auth(PAYMENTS_READ),
    response={**error_responses(401, 403, 404, 429)},
    summary="The receipt of one of your payments (PDF)",
    description="The PDF receipt, in your language, once the payment succeeded. A payment "
    "not yet paid, or anybody else's, answers 404. Scope: `payments:read`.",
    openapi_extra={
        **_scopes_extra(PAYMENTS_READ),
        "responses": {
            "200": {
                "description": "The receipt.",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        },
    },
)
def payment_receipt(request: HttpRequest, reference: str) -> HttpResponse:
    payment = _payment(request, reference)
    if payment.paid_at is None:
        raise Http404
    response = HttpResponse(receipt_pdf(payment), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="receipt-{payment.reference}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
