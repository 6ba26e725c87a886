from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ecitizen.applications import case_counts


class Command(BaseCommand):
    help = (
        "The open-case counts the work queues read (kept by database triggers). --compact "
        "folds the rows written since the last run (run it every few minutes, e.g. from cron; "
        "safe while cases are being worked on); --check compares them with a recount; "
        "--rebuild recounts them from the applications (after a restore, or to repair)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        action = parser.add_mutually_exclusive_group(required=True)
        action.add_argument("--compact", action="store_true")
        action.add_argument("--check", action="store_true")
        action.add_argument("--rebuild", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["compact"]:
            folded = case_counts.compact()
            self.stdout.write(f"{folded} row(s) folded.")
        elif options["rebuild"]:
            case_counts.rebuild()
            self.stdout.write("Open-case counts rebuilt.")
        else:
            wrong = case_counts.differences()
            if wrong:
                raise CommandError(
                    f"{len(wrong)} bucket(s) differ from a recount, e.g. {wrong[:3]}; "
                    "run --rebuild."
                )
            self.stdout.write("Open-case counts agree with the applications.")
