from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ecitizen.audit.models import AuditEntry
from ecitizen.audit.services import audit_chain_verify


class Command(BaseCommand):
    help = "Verify the hash chain of the audit trail; report the first altered or deleted entry."

    def handle(self, *args: Any, **options: Any) -> None:
        broken = audit_chain_verify()
        if broken:
            raise CommandError(f"Audit trail broken at entry #{broken.seq}: {broken.reason}.")
        count = AuditEntry.objects.count()
        self.stdout.write(self.style.SUCCESS(f"Audit trail intact: {count} entries verified."))
