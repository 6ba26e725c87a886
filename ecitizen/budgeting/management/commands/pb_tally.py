"""``manage.py pb_tally FILE.pb --rule greedy|equal-shares [--threshold N] [--json]``.

Computes the winners of a participatory-budgeting election stored in a pabulib ``.pb`` file.
It reads only the file: no database query, no system checks.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ecitizen.budgeting.pabulib import PabulibError, parse_file, parse_number
from ecitizen.budgeting.rules import RULES, RuleResult, tally


class Command(BaseCommand):
    help = (
        "Compute the winning projects of a pabulib .pb election with the greedy rule or the "
        "Method of Equal Shares (Add1 completion). Prints one project id per line, or JSON."
    )
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="path to a pabulib .pb file")
        parser.add_argument("--rule", required=True, choices=sorted(RULES), help="winner rule")
        parser.add_argument(
            "--threshold",
            help="greedy only: minimum votes (points) a project needs; overrides the file's "
            "min_project_score_threshold, 0 switches it off",
        )
        parser.add_argument("--json", action="store_true", help="print a JSON object")
        parser.add_argument(
            "--explain", action="store_true", help="also say why each project was (not) funded"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        rule: str = options["rule"]
        threshold = None
        if options["threshold"] is not None:
            if rule != "greedy":
                raise CommandError("--threshold applies to the greedy rule only")
            try:
                threshold = parse_number(options["threshold"], what="--threshold")
            except PabulibError as exc:
                raise CommandError(str(exc)) from exc
            if threshold < 0:
                raise CommandError("--threshold must not be negative")
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            election = parse_file(path)
        except PabulibError as exc:
            raise CommandError(f"{path} is not a valid .pb file: {exc}") from exc
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror or exc}") from exc
        try:
            result = tally(election, rule, threshold=threshold)
        except (PabulibError, ValueError) as exc:
            raise CommandError(f"{path}: {exc}") from exc
        self._print(result, as_json=options["json"], explain=options["explain"])

    def _print(self, result: RuleResult, *, as_json: bool, explain: bool) -> None:
        if as_json:
            data = result.as_dict()
            data.pop("budget", None)
            if explain:
                data["decisions"] = [
                    {
                        "project_id": d.project_id,
                        "selected": d.selected,
                        "reason": str(d.reason),
                        "explanation": d.explanation,
                    }
                    for d in result.decisions.values()
                ]
            self.stdout.write(json.dumps(data, ensure_ascii=False))
            return
        for pid in result.selected:
            self.stdout.write(pid)
        if explain:
            self.stdout.write("")
            for d in result.decisions.values():
                self.stdout.write(f"{d.project_id}\t{d.reason}\t{d.explanation}")
