import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ecitizen.applications.models import IssuedPermit
from ecitizen.applications.permits import InvalidPermit, extract_jws, permit_state, verify_jws


class Command(BaseCommand):
    help = "Verify a permit (its PDF, or a file holding its signed code) against the signing keys."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--jwks", type=Path, help="JWKS file to verify with (default: ours)")

    def handle(self, *args: Any, file: Path, jwks: Path | None, **options: Any) -> None:
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}") from exc
        keyset = json.loads(jwks.read_text()) if jwks else None
        try:
            facts = verify_jws(extract_jws(data), keyset)
        except InvalidPermit as exc:
            raise CommandError(f"NOT VALID: {exc}.") from exc
        self.stdout.write(f"Signature valid. Permit {facts['num']} for {facts['holder']}:")
        self.stdout.write(json.dumps(facts, indent=2, ensure_ascii=False))
        permit = IssuedPermit.objects.filter(number=facts["num"]).first()
        if permit is None:
            raise CommandError("The signature is valid but this platform has no such permit.")
        state = permit_state(permit)
        self.stdout.write(f"Status: {state.state}")
        if state.state != "valid":
            raise CommandError(f"Permit {permit.number} is {state.state}.")
