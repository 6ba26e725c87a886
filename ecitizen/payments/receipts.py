"""Receipts as PDF, in the payer's language."""

import io

from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ecitizen.core.i18n import tr
from ecitizen.core.money import format_money
from ecitizen.payments.models import Payment


def receipt_pdf(payment: Payment, language: str | None = None) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    language = language or payment.payer.profile.preferred_language
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    height = A4[1]
    with translation.override(language):
        application = payment.application
        service = tr(application.service_version.title) if application else ""
        pdf.setTitle(_("Receipt %(reference)s") % {"reference": payment.reference})
        pdf.setFont("Helvetica-Bold", 20)
        pdf.drawString(20 * mm, height - 30 * mm, _("Payment receipt"))
        pdf.setFont("Helvetica", 11)
        pdf.drawString(20 * mm, height - 38 * mm, str(payment.agency))
        rows = [
            (_("Receipt number"), payment.reference),
            (
                _("Date paid"),
                date_format(payment.paid_at, "DATETIME_FORMAT") if payment.paid_at else "",
            ),
            (_("Paid by"), payment.payer.profile.legal_name or payment.payer.email),
            (_("Amount"), format_money(payment.amount, payment.currency)),
            (_("Payment method"), payment.get_method_display()),
            (_("Application"), application.reference if application else "-"),
            (_("Service"), service),
            (_("Provider reference"), payment.provider_reference),
        ]
        y = height - 55 * mm
        for label, value in rows:
            pdf.setFont("Helvetica-Bold", 11)
            pdf.drawString(20 * mm, y, label)
            pdf.setFont("Helvetica", 11)
            pdf.drawString(75 * mm, y, str(value)[:80])
            y -= 9 * mm
        pdf.setFont("Helvetica", 9)
        pdf.drawString(20 * mm, 15 * mm, _("Keep this receipt for your records."))
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
