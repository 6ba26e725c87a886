"""Participatory budgeting from the database: tally 1,000,000 stored ballots end to end.

    .venv/bin/python bench/pb_db_bench.py                       # PostgreSQL, 1,000,000 ballots
    .venv/bin/python bench/pb_db_bench.py --ballots 200000 --equal-shares
    .venv/bin/python bench/pb_db_bench.py --skip-pabutools

Without DATABASE_URL it re-runs itself under ``scripts/with-postgres`` (a throw-away
PostgreSQL cluster, deleted afterwards). Steps:

1. migrate; a process whose voting has ended, one city-wide approval budget with
   ``--projects`` projects (costs 20,000 to 400,000), greedy rule;
2. ``--ballots`` synthetic anonymous ballots (1 to 5 projects each, project popularity
   following a Zipf-like law, seed 1), written with PostgreSQL ``COPY`` - not timed;
3. **timed, end to end**: ``budget_close`` (destroys the voter/ballot link) and
   ``budget_tally`` - read every ballot from the database, build the election, run
   ``rules.greedy``, store the result with the reason for every project. Also timed apart:
   reading the ballots into an election, and the rule alone;
4. a subsample (``--subsample`` ballots, copied into a second budget) tallied the same way,
   against pabutools on the same ballots (its ``.pb`` parser on our export, then
   ``greedy_utilitarian_welfare`` with cost satisfaction, which is greedy by votes): both
   must pick the same projects; the ratio is printed;
5. with ``--equal-shares``, the same budget is also counted with the Method of Equal Shares
   (Add1) - this grows with the number of Add1 steps (see docs/budgeting-rules.md).

Prints wall and CPU time; on a busy machine the CPU column is the fairer one. Never asserts
a time. pabutools (GPL-3.0) is only the baseline here, as in the tests.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def timed[T](func: Callable[[], T]) -> tuple[float, float, T]:
    start, start_cpu = time.perf_counter(), time.process_time()
    result = func()
    return time.perf_counter() - start, time.process_time() - start_cpu, result


def generate(n: int, project_ids: list[int], seed: int) -> list[str]:
    """``n`` ballots as JSON arrays of project ids (sorted), 1 to 5 projects each."""
    import numpy as np

    rng = np.random.default_rng(seed)
    weights = 1 / np.arange(1, len(project_ids) + 1) ** 0.8
    rng.shuffle(weights)
    weights /= weights.sum()
    picks = rng.choice(len(project_ids), size=(n, 5), p=weights)
    lengths = rng.choice([1, 2, 3, 4, 5], size=n, p=[0.15, 0.2, 0.2, 0.2, 0.25])
    ids = np.array(project_ids)
    out = []
    for row, k in zip(picks.tolist(), lengths.tolist(), strict=True):
        chosen = sorted({int(ids[j]) for j in row[:k]})
        out.append(json.dumps(chosen))
    return out


def copy_ballots(budget_id: int, ballots: list[str]) -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg 3
        with raw.copy(
            "COPY budgeting_ballotcontent (id, budget_id, projects, source) FROM STDIN"
        ) as copy:
            for text in ballots:
                copy.write_row((uuid.uuid4(), budget_id, text, "imported"))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE budgeting_ballotcontent")


def make_budget(slug: str, projects: int, seed: int) -> Any:
    from django.utils import timezone

    from ecitizen.budgeting.models import Project
    from ecitizen.budgeting.services import budget_save, process_save
    from ecitizen.core.models import Agency

    agency, _ = Agency.objects.get_or_create(code="bench", defaults={"name": "Bench"})
    now = timezone.now()
    day = datetime.timedelta(days=1)
    process = process_save(
        actor=None,
        agency=agency,
        slug=slug,
        title={"en": f"Benchmark {slug}"},
        description={},
        ideas_from=now - 40 * day,
        review_from=now - 30 * day,
        voting_from=now - 20 * day,
        results_from=now - day,
        implementation_from=now,
        is_published=True,
    )
    rng = random.Random(seed)
    costs = [rng.randrange(20_000, 400_000, 1_000) * 100 for _ in range(projects)]
    budget = budget_save(
        actor=None,
        process=process,
        area=None,
        amount=sum(costs) // 4,
        currency="EUR",
        max_projects=5,
        budget_limit=False,
    )
    Project.objects.bulk_create(
        Project(
            budget=budget,
            code=str(i),
            title={"en": f"Project {i}"},
            estimated_cost=cost,
            final_cost=cost,
            status=Project.Status.ACCEPTED,
        )
        for i, cost in enumerate(costs, start=1)
    )
    return budget


def pabutools_greedy(text: str) -> tuple[float, float, set[str]]:
    from pabutools.election import Cost_Sat
    from pabutools.election.pabulib import parse_pabulib_from_string
    from pabutools.rules import greedy_utilitarian_welfare

    def run() -> set[str]:
        instance, profile = parse_pabulib_from_string(text)
        return {p.name for p in greedy_utilitarian_welfare(instance, profile, sat_class=Cost_Sat)}

    return timed(run)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ballots", type=int, default=1_000_000)
    parser.add_argument("--projects", type=int, default=100)
    parser.add_argument("--subsample", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--equal-shares", action="store_true", help="also time MES + Add1")
    parser.add_argument("--skip-pabutools", action="store_true")
    args = parser.parse_args()

    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        script = REPO / "scripts" / "with-postgres"
        os.execv(str(script), [str(script), sys.executable, __file__, *sys.argv[1:]])  # noqa: S606

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.bench")
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from ecitizen.budgeting import pabulib, rules
    from ecitizen.budgeting.election import budget_election
    from ecitizen.budgeting.models import Budget, Project
    from ecitizen.budgeting.services import budget_close, budget_tally

    call_command("migrate", verbosity=0)
    print(f"PostgreSQL {connection.pg_version // 10000}, Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")  # fmt: skip

    budget = make_budget("bench-full", args.projects, args.seed)
    project_ids = list(Project.objects.filter(budget=budget).values_list("pk", flat=True))
    wall, _, ballots = timed(lambda: generate(args.ballots, project_ids, args.seed))
    print(f"generated {len(ballots):,} ballots over {len(project_ids)} projects in {wall:.1f} s")
    wall, _, _ = timed(lambda: copy_ballots(budget.pk, ballots))
    print(f"stored them with COPY in {wall:.1f} s (not part of the tally)")
    sample = ballots[: args.subsample]
    ballots = []  # free the memory before the timed part

    # --- the figure: close and tally, end to end --------------------------------------
    w_close, c_close, _ = timed(lambda: budget_close(actor=None, budget=budget))
    w_tally, c_tally, result = timed(lambda: budget_tally(actor=None, budget=budget))
    total_wall, total_cpu = w_close + w_tally, c_close + c_tally
    print()
    print(f"END TO END (close + tally, {result.ballots_counted:,} ballots, greedy): "
          f"{total_wall:.2f} s wall, {total_cpu:.2f} s CPU (target <= 30 s)")  # fmt: skip
    print(f"  close {w_close:.2f} s; tally {w_tally:.2f} s; "
          f"{len(result.selected)} projects funded")  # fmt: skip
    budget.refresh_from_db()

    def read() -> Any:
        with transaction.atomic():
            return budget_election(budget, for_counting=True)

    w_load, c_load, election = timed(read)
    w_rule, c_rule, outcome = timed(lambda: rules.greedy(election, threshold=0))
    print(f"  of which: read ballots into an election {w_load:.2f} s ({c_load:.2f} s CPU), "
          f"greedy {w_rule:.2f} s ({c_rule:.2f} s CPU)")  # fmt: skip
    code = dict(Project.objects.filter(budget=budget).values_list("pk", "code"))
    same = [code[pk] for pk in result.selected] == outcome.selected
    print(f"  stored result equals rules.greedy on the same election: {same}")
    ok = same

    if args.equal_shares:
        Budget.objects.filter(pk=budget.pk).update(rule="equal-shares", status="closed")
        budget.refresh_from_db()
        w, c, mes = timed(lambda: budget_tally(actor=None, budget=budget))
        print(f"  equal shares + Add1 on the same budget: {w:.2f} s wall, {c:.2f} s CPU, "
              f"{mes.add1_steps} Add1 steps, {len(mes.selected)} projects")  # fmt: skip
    election = None

    # --- subsample, side by side with pabutools ---------------------------------------
    if args.subsample:
        small = make_budget("bench-sample", args.projects, args.seed)
        remap = dict(zip(project_ids, Project.objects.filter(budget=small).order_by("id")
                         .values_list("pk", flat=True), strict=True))  # fmt: skip
        copy_ballots(small.pk, [json.dumps([remap[p] for p in json.loads(t)]) for t in sample])
        budget_close(actor=None, budget=small)
        ours = []
        for _ in range(3):
            Budget.objects.filter(pk=small.pk).update(status="closed")
            small.refresh_from_db()
            ours.append(timed(lambda: budget_tally(actor=None, budget=small)))
        w_ours = statistics.median(t[0] for t in ours)
        c_ours = statistics.median(t[1] for t in ours)
        sample_result = ours[-1][2]
        print()
        print(f"SUBSAMPLE of {len(sample):,} ballots, tally from the database: "
              f"{w_ours:.3f} s wall, {c_ours:.3f} s CPU (median of 3)")  # fmt: skip
        if not args.skip_pabutools:
            small.refresh_from_db()
            text = pabulib.write(budget_election(small))
            w_pabu, c_pabu, theirs = pabutools_greedy(text)
            scode = dict(Project.objects.filter(budget=small).values_list("pk", "code"))
            mine = {scode[pk] for pk in sample_result.selected}
            print(f"  pabutools (parse our .pb export + greedy): {w_pabu:.2f} s wall, "
                  f"{c_pabu:.2f} s CPU; same winners: {mine == theirs}")  # fmt: skip
            print(f"  ratio pabutools / ours: {w_pabu / w_ours:.0f}x wall, "
                  f"{c_pabu / c_ours:.0f}x CPU")  # fmt: skip
            ok &= mine == theirs
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
