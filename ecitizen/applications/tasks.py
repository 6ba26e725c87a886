"""Background work for applications (Django's Tasks API; the worker is ``manage.py db_worker``).

Tasks take ids, call services or read fresh state, and are safe to run twice.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ecitizen.accounts.selectors import profile_for
from ecitizen.applications.models import Application
from ecitizen.core.i18n import tr


def _email_resident(application: Application, template: str, subject: Promise) -> None:
    """Send one email to the applicant in their own language. (The notifications issue will
    route this through templates, channels and preferences.)"""
    applicant = application.applicant
    with translation.override(profile_for(applicant).preferred_language):
        context = {
            "application": application,
            "service_title": tr(application.service_version.title),
            "name": profile_for(applicant).legal_name,
            "url": settings.PUBLIC_BASE_URL.rstrip("/")
            + reverse("applications:detail", args=[application.reference]),
            "platform": settings.PLATFORM_NAME,
        }
        body = render_to_string(f"applications/email/{template}.txt", context)
        subject_text = str(subject) % {"reference": application.reference}
    send_mail(subject_text, body, None, [applicant.email])


@task
def send_draft_reminder(application_id: int) -> bool:
    """Tell the resident their draft will be deleted soon (only if it is still a draft)."""
    application = (
        Application.objects.select_related("applicant", "service_version")
        .filter(pk=application_id, status=Application.Status.DRAFT)
        .first()
    )
    if application is None:
        return False
    _email_resident(
        application,
        "draft_reminder",
        _("Your draft application %(reference)s will be deleted soon"),
    )
    return True


@task
def send_submission_confirmation(application_id: int) -> bool:
    application = (
        Application.objects.select_related("applicant", "service_version")
        .filter(pk=application_id, status=Application.Status.SUBMITTED)
        .first()
    )
    if application is None:
        return False
    _email_resident(application, "submitted", _("We have received your application %(reference)s"))
    return True


@task
def expire_drafts() -> dict[str, int]:
    """Remind residents of drafts about to expire, then expire those past their date."""
    from ecitizen.applications.services import (
        application_draft_reminders_send,
        application_drafts_expire,
    )

    return {"reminded": application_draft_reminders_send(), "expired": application_drafts_expire()}
