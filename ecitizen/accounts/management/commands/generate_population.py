"""``manage.py generate_population --citizens N``: synthetic residents for benchmarks."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ecitizen.accounts.population import (
    DEFAULT_PASSWORD,
    EMAIL_DOMAIN,
    PopulationResult,
    population_generate,
)


class Command(BaseCommand):
    help = (
        "Add N synthetic residents (verified email, profile, encrypted national ID) for load "
        "tests. Running it again adds N more with fresh emails and national IDs. All of them "
        "share one password (one Argon2 hash, computed once). One audit entry records the run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--citizens", type=int, required=True, help="how many residents")
        parser.add_argument("--seed", type=int, default=None, help="random seed (reproducible)")
        parser.add_argument("--batch", type=int, default=5000, help="rows per transaction")
        parser.add_argument(
            "--password", default=DEFAULT_PASSWORD, help="the password every resident shares"
        )
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="run even under production settings (it refuses by default)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["citizens"] < 1 or options["batch"] < 1:
            raise CommandError("--citizens and --batch must be positive.")
        if settings.SETTINGS_MODULE.endswith(".production") and not options["allow_production"]:
            raise CommandError(
                "Refusing to add synthetic residents under production settings "
                "(pass --allow-production if this really is a load-test environment)."
            )
        verbose = options["verbosity"] >= 2

        def progress(result: PopulationResult) -> None:
            if verbose:
                self.stdout.write(
                    f"  {result.created:>9,} / {result.requested:,}"
                    f"  {result.seconds:7.1f} s  {result.rate:8,.0f} residents/s"
                )

        result = population_generate(
            count=options["citizens"],
            seed=options["seed"],
            batch_size=options["batch"],
            password=options["password"],
            progress=progress,
        )
        shown = "(the one given)" if options["password"] != DEFAULT_PASSWORD else DEFAULT_PASSWORD
        languages = ", ".join(f"{k} {v:,}" for k, v in sorted(result.by_language.items()))
        self.stdout.write(
            f"Generated {result.created:,} residents in {result.seconds:.1f} s "
            f"({result.rate:,.0f} residents/s), seed {result.seed}, "
            f"serials {result.first_serial}-{result.last_serial}.\n"
            f"  languages: {languages}; with accessibility needs: "
            f"{result.with_accessibility_needs:,}\n"
            f"  sign in as any <...>.<serial>@{EMAIL_DOMAIN} with the shared password "
            f"{shown!r}"
        )
