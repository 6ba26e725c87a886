"""Participatory-budgeting rules: our implementation against pabutools, timed in the same run.

    .venv/bin/python bench/pb_bench.py                  # both benchmarks, about 5 minutes
    .venv/bin/python bench/pb_bench.py --skip-pabutools  # our figures only, a few seconds

1. Warszawa 2026 (61,668 ballots): parse the .pb file, then greedy with the 3,000-vote
   eligibility threshold. pabutools: parse_pabulib + greedy_utilitarian_welfare (cost
   satisfaction) on the eligible projects.
2. Wieliczka 2023 Green Budget (6,586 ballots): Method of Equal Shares with Add1 completion.
   pabutools: exhaustion_by_budget_increase(method_of_equal_shares, Cost_Sat,
   budget_step=number of voters, exhaustive_stop=False), which reproduces the official result.

Both sides must find the same winners (and the city's), or the script says so and exits 1.
pabutools is GPL-3.0: it is only ever the baseline here and in the tests.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ecitizen.budgeting import pabulib, rules  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "data" / "pabulib"
WARSZAWA = "Poland_Warszawa_2026.pb"
WIELICZKA = "Poland_Wieliczka_2023_Green_Budget.pb"


@dataclass
class Timing:
    wall: float
    cpu: float
    """On a busy machine wall time includes waiting for a core; CPU time does not."""


def timed[T](func: Callable[[], T], repeat: int) -> tuple[Timing, T]:
    """Median wall and CPU time of ``repeat`` calls, and the last result."""
    walls, cpus = [], []
    result: Any = None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = func()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - start_cpu)
    return Timing(statistics.median(walls), statistics.median(cpus)), result


def ours_greedy(path: Path) -> set[str]:
    return set(rules.greedy(pabulib.parse_file(path)).selected)


def ours_mes(election: pabulib.Election) -> set[str]:
    return set(rules.equal_shares(election).selected)


def pabutools_greedy(path: Path) -> set[str]:
    from pabutools.election import Cost_Sat, Instance, parse_pabulib
    from pabutools.rules import greedy_utilitarian_welfare

    instance, profile = parse_pabulib(str(path))
    threshold = int(instance.meta.get("min_project_score_threshold", 0))
    votes = {p: 0 for p in instance}
    for ballot in profile:
        for p in ballot:
            votes[p] += 1
    eligible = Instance(
        [p for p in instance if votes[p] >= threshold], budget_limit=instance.budget_limit
    )
    return {p.name for p in greedy_utilitarian_welfare(eligible, profile, sat_class=Cost_Sat)}


def pabutools_mes(path: Path) -> set[str]:
    from pabutools.election import Cost_Sat, parse_pabulib
    from pabutools.rules import exhaustion_by_budget_increase, method_of_equal_shares

    instance, profile = parse_pabulib(str(path))
    outcome = exhaustion_by_budget_increase(
        instance,
        profile,
        method_of_equal_shares,
        {"sat_class": Cost_Sat},
        budget_step=profile.num_ballots(),
        exhaustive_stop=False,
    )
    return {p.name for p in outcome}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="pabulib files folder")
    parser.add_argument("--repeat", type=int, default=5, help="runs of our code (median)")
    parser.add_argument("--skip-pabutools", action="store_true", help="only time our code")
    args = parser.parse_args()
    for name in (WARSZAWA, WIELICZKA):
        if not (args.data / name).is_file():
            print(f"missing {args.data / name}", file=sys.stderr)
            return 2
    warszawa, wieliczka = args.data / WARSZAWA, args.data / WIELICZKA
    ok = True
    rows: list[tuple[str, Timing, Timing | None]] = []

    t_parse, election = timed(lambda: pabulib.parse_file(warszawa), args.repeat)
    official = election.official_selection()
    t_ours, winners = timed(lambda: ours_greedy(warszawa), args.repeat)
    print(f"Warszawa 2026: {len(election.ballots):,} ballots; parse alone {t_parse.wall:.3f} s")
    ok &= check("ours, greedy", winners, official)
    t_theirs = None
    if not args.skip_pabutools:
        t_theirs, theirs = timed(lambda: pabutools_greedy(warszawa), 1)
        ok &= check("pabutools, greedy", theirs, official)
    rows.append(("Warszawa 2026: parse + greedy-threshold", t_ours, t_theirs))

    election = pabulib.parse_file(wieliczka)
    official = election.official_selection()
    t_ours, winners = timed(lambda: ours_mes(election), args.repeat)
    result = rules.equal_shares(election)
    print(
        f"Wieliczka 2023: {len(election.ballots):,} ballots; Add1 raised the shares by "
        f"{result.add1_steps} units in {result.runs} MES runs"
    )
    ok &= check("ours, MES + Add1", winners, official)
    t_theirs = None
    if not args.skip_pabutools:
        print("pabutools' MES + Add1 takes several minutes...", flush=True)
        t_theirs, theirs = timed(lambda: pabutools_mes(wieliczka), 1)
        ok &= check("pabutools, MES + Add1", theirs, official)
    rows.append(("Wieliczka 2023: MES + Add1 (parsed)", t_ours, t_theirs))

    print()
    print(f"{'benchmark':40} {'':5} {'ours':>9} {'pabutools':>10} {'speed-up':>9}")
    for label, our_time, their_time in rows:
        for kind in ("wall", "cpu"):
            mine = getattr(our_time, kind)
            other = getattr(their_time, kind) if their_time is not None else None
            their_txt = f"{other:9.2f}s" if other is not None else "  skipped"
            ratio = f"{other / mine:8.0f}x" if other is not None else ""
            print(f"{label:40} {kind:5} {mine:8.3f}s {their_txt:>10} {ratio:>9}")
            label = ""
    version = sys.version.split()[0]
    print(f"ours: median of {args.repeat} runs; pabutools: one run; Python {version}")
    return 0 if ok else 1


def check(label: str, winners: set[str], official: set[str]) -> bool:
    same = winners == official
    status = "matches the official outcome" if same else "DIFFERS from the official outcome"
    print(f"  {label}: {len(winners)} projects, {status}")
    return same


if __name__ == "__main__":
    sys.exit(main())
