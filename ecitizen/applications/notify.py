"""The seam between case work (and payments) and notifications: "this application's status
changed".

Services call ``application_status_changed_on_commit`` from inside their transaction: the
resident's messages (inbox, and email/SMS as their preferences say) are written in that same
transaction (the outbox), so they exist if and only if the change commits; delivery is
queued once it commits. ``application_status_changed`` does the same from outside a
transaction (e.g. a task), in its own.

Messages say what happened and where to read more; they never carry the reason or the
officer's message (those are read after signing in). Each (application, kind, occurrence)
is told once, however often this is called (idempotency keys).
"""

from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone, translation

from ecitizen.applications.models import Application, IssuedPermit
from ecitizen.core.i18n import tr
from ecitizen.core.money import format_money

KINDS = {
    "submitted": "application.submitted",
    "info_requested": "application.info_requested",
    "approved": "application.approved",
    "rejected": "application.rejected",
    "issued": "application.issued",
    "revoked": "application.revoked",
    "draft_reminder": "application.draft_reminder",
    "payment_receipt": "payment.receipt",
}
# Kept for callers of the first version of this seam.
SUBJECTS = dict.fromkeys(KINDS)


def _url(path: str) -> str:
    from ecitizen.notifications.rendering import public_url

    return public_url(path)


def _language(application: Application) -> str:
    profile = getattr(application.applicant, "profile", None)
    return profile.preferred_language if profile else "en"


def application_values(application: Application, language: str) -> dict[str, Any]:
    profile = getattr(application.applicant, "profile", None)
    return {
        "name": (profile.legal_name if profile else "") or application.applicant.email,
        "reference": application.reference,
        "service": tr(application.service_version.title, language),
        "url": _url(reverse("applications:detail", args=[application.reference])),
    }


def permit_values(permit: IssuedPermit) -> dict[str, Any]:
    application = permit.application
    language = _language(application)
    values = application_values(application, language)
    with translation.override(language):
        values["expires_on"] = (
            formats.date_format(permit.valid_until, "DATE_FORMAT") if permit.valid_until else ""
        )
    values["permit_number"] = permit.number
    return values


def _occurrence(application: Application, kind: str) -> tuple[str, dict[str, Any]]:
    """What makes this occurrence unique, and extra values/attachments for it."""
    if kind == "info_requested":
        last = application.info_requests.order_by("-pk").values_list("pk", flat=True).first()
        return f"{last}", {}
    if kind == "draft_reminder":
        expires = application.draft_expires_at
        language = _language(application)
        with translation.override(language):
            shown = (
                formats.date_format(timezone.localtime(expires), "DATE_FORMAT") if expires else ""
            )
        return f"{expires.date() if expires else ''}", {"expires_on": shown}
    if kind == "payment_receipt":
        from ecitizen.payments.models import Payment

        payment = (
            Payment.objects.filter(application=application, status=Payment.Status.SUCCEEDED)
            .order_by("-paid_at", "-pk")
            .first()
        )
        if payment is None:
            return "", {}
        return f"{payment.pk}", {
            "receipt": payment.reference,
            "amount": format_money(payment.amount, payment.currency),
            "_attachments": [{"kind": "receipt", "payment_id": payment.pk}],
        }
    return "", {}


def _tell(application_id: int, kind: str) -> int:
    from ecitizen.notifications.services import notification_send

    application = (
        Application.objects.select_related("applicant__profile", "service_version")
        .filter(pk=application_id)
        .first()
    )
    if application is None:
        return 0
    occurrence, extra = _occurrence(application, kind)
    if kind == "payment_receipt" and not occurrence:
        return 0
    attachments = extra.pop("_attachments", None)
    language = _language(application)
    values = {**application_values(application, language), **extra}
    messages = notification_send(
        actor=None,
        recipient=application.applicant,
        event=KINDS[kind],
        values=values,
        idempotency_key=f"application:{application.pk}:{kind}:{occurrence}",
        url=values["url"],
        attachments=attachments,
    )
    return len(messages)


def application_status_changed(application_id: int, kind: str) -> None:
    """Tell the resident about ``kind`` (one of ``KINDS``): in the current transaction if
    there is one, otherwise in a transaction of its own."""
    if kind not in KINDS:
        raise ValueError(f"Unknown status change {kind!r}")
    with transaction.atomic():
        _tell(application_id, kind)


def application_status_changed_on_commit(application: Application, kind: str) -> None:
    """Call from inside a service: the messages are written in the service's transaction, so
    the resident is told if and only if the change commits."""
    application_status_changed(application.pk, kind)
