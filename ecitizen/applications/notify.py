"""The seam between case work and notifications: "this application's status changed".

Services call ``application_status_changed_on_commit`` from inside their transaction; once it
commits, ``application_status_changed`` hands the email to the task worker. For now the
resident gets a plain email in their language (the notifications issue will route it
through its templates, channels and preferences by replacing the body of
``application_status_changed``).

Emails say what happened and where to read more; they never carry the reason or the
officer's message (those are read after signing in).
"""

import functools
import logging

from django.db import transaction
from django.tasks import task
from django.utils.translation import gettext_lazy as _

from ecitizen.applications.models import Application

log = logging.getLogger("ecitizen.applications")

# kind → email subject (the template is ``applications/email/case_<kind>.txt``).
SUBJECTS = {
    "info_requested": _("We need more information about your application %(reference)s"),
    "approved": _("Your application %(reference)s has been approved"),
    "rejected": _("Decision on your application %(reference)s"),
    "issued": _("Your permit for application %(reference)s is ready"),
    "revoked": _("Your permit for application %(reference)s has been revoked"),
}


def application_status_changed(application_id: int, kind: str) -> None:
    """Tell the resident about ``kind`` (one of ``SUBJECTS``). Call after commit."""
    if kind not in SUBJECTS:
        raise ValueError(f"Unknown status change {kind!r}")
    send_status_email.enqueue(application_id, kind)


def application_status_changed_on_commit(application: Application, kind: str) -> None:
    """Call from inside a service: the resident is told only if the change commits."""
    transaction.on_commit(functools.partial(application_status_changed, application.pk, kind))


@task
def send_status_email(application_id: int, kind: str) -> bool:
    from ecitizen.applications.tasks import _email_resident

    application = (
        Application.objects.select_related("applicant", "service_version")
        .filter(pk=application_id)
        .first()
    )
    if application is None or kind not in SUBJECTS:
        return False
    _email_resident(application, f"case_{kind}", SUBJECTS[kind])
    return True
