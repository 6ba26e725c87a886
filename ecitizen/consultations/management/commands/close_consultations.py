from typing import Any

from django.core.management.base import BaseCommand

from ecitizen.consultations.services import consultations_close_due


class Command(BaseCommand):
    help = (
        "Close every consultation past its closing time: destroy the key that lets anonymous "
        "respondents find their response (idempotent; run it from cron, e.g. hourly)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        closed = consultations_close_due()
        self.stdout.write(f"{closed} consultation(s) closed.")
