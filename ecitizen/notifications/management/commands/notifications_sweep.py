from typing import Any

from django.core.management.base import BaseCommand

from ecitizen.notifications import delivery
from ecitizen.notifications.tasks import enqueue_delivery


class Command(BaseCommand):
    help = (
        "Re-queue messages whose delivery task was lost (a killed worker, a retry on a backend "
        "that cannot defer) or whose worker died mid-send (lease run out). Idempotent; run it "
        "every minute, e.g. from cron."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        ids = delivery.sweep_ids()
        tasks = enqueue_delivery(ids)
        self.stdout.write(f"{len(ids)} messages re-queued in {tasks} tasks.")
