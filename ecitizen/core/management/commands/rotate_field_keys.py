from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ecitizen.core import crypto
from ecitizen.core.services import encrypted_field_rotate_batch, encrypted_fields


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted field value under the current (first) key of "
        "ECITIZEN_FIELD_KEYS, in batches (one transaction each). Safe to run again. Once it "
        "has run, older keys can be removed from ECITIZEN_FIELD_KEYS."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        kid = crypto.current_key_id()
        total = 0
        for model, field in encrypted_fields():
            label = f"{model._meta.label_lower}.{field.name}"
            rotated = current = empty = 0
            after_pk = None
            while True:
                try:
                    batch = encrypted_field_rotate_batch(
                        model=model, field=field, after_pk=after_pk, batch_size=batch_size
                    )
                except crypto.DecryptionError as exc:
                    raise CommandError(
                        f"{label}: a value after pk {after_pk} cannot be decrypted ({exc}); "
                        "is its key still in ECITIZEN_FIELD_KEYS?"
                    ) from exc
                if batch.last_pk is None:
                    break
                rotated, current = rotated + batch.rotated, current + batch.current
                empty += batch.empty
                after_pk = batch.last_pk
            total += rotated
            self.stdout.write(
                f"{label}: {rotated} re-encrypted, {current} already under key {kid!r}, "
                f"{empty} empty."
            )
        self.stdout.write(self.style.SUCCESS(f"Done: {total} values re-encrypted under {kid!r}."))
