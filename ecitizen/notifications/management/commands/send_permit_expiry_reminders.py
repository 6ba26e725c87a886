from typing import Any

from django.core.management.base import BaseCommand

from ecitizen.notifications.services import permit_expiry_reminders_send


class Command(BaseCommand):
    help = (
        "Remind holders of permits that expire soon (NOTIFICATIONS_PERMIT_REMINDER_DAYS before; "
        "each reminder is sent once). Run it daily, e.g. from cron."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        count = permit_expiry_reminders_send()
        self.stdout.write(f"{count} reminder messages written.")
