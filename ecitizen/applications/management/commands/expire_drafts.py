from typing import Any

from django.core.management.base import BaseCommand

from ecitizen.applications.services import (
    application_draft_reminders_send,
    application_drafts_expire,
)


class Command(BaseCommand):
    help = (
        "Remind residents whose draft applications expire soon, and expire drafts past their "
        "date (idempotent; run it daily, e.g. from cron)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        reminded = application_draft_reminders_send()
        expired = application_drafts_expire()
        self.stdout.write(f"{reminded} reminder(s) sent, {expired} draft(s) expired.")
