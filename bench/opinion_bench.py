"""Opinion mapping benchmark: 10,000 participants x 500 statements, sparse voting.

    .venv/bin/python bench/opinion_bench.py [--participants 10000] [--statements 500]

Prints our timings (wall and CPU, best and median of --repeats runs) and, in the same run,
two baselines on the same votes:

* a pure-Python per-participant implementation of the same pipeline, run on a slice of
  --naive-participants people and scaled up stage by stage (per-participant stages linearly,
  the silhouette quadratically, the eigenvector step not at all), so the estimate is
  labelled as such;
* scikit-learn's PCA + KMeans + silhouette_score on the same imputed matrix, if installed
  (it is not a project dependency).

Wall time depends on what else the machine runs; the load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ecitizen.consultations.opinion import (
    compute_opinion_map,
    synthetic_consultation,
)


def timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def ari(a: list[int], b: list[int]) -> float:
    def comb2(x: int) -> float:
        return x * (x - 1) / 2

    index = sum(comb2(v) for v in Counter(zip(a, b, strict=True)).values())
    rows = sum(comb2(v) for v in Counter(a).values())
    cols = sum(comb2(v) for v in Counter(b).values())
    expected = rows * cols / comb2(len(a))
    return (index - expected) / ((rows + cols) / 2 - expected)


# --------------------------------------------------------------------------- naive baseline


def naive_pipeline(votes: list[tuple[int, int, int]], n_statements: int) -> dict[str, float]:
    """The same method written as plain per-participant Python loops; returns stage times."""
    times: dict[str, float] = {}
    t = time.process_time()
    by_person: dict[int, dict[int, int]] = {}
    for p, s, v in votes:
        by_person.setdefault(p, {})[s] = v
    people = sorted(pid for pid, row in by_person.items() if len(row) >= 7)
    statements = sorted({s for _, s, _ in votes})
    sums = dict.fromkeys(statements, 0.0)
    seen = dict.fromkeys(statements, 0)
    for p in people:
        for s, v in by_person[p].items():
            sums[s] += v
            seen[s] += 1
    mean = {s: sums[s] / seen[s] for s in statements}
    index = {s: i for i, s in enumerate(statements)}
    n = len(statements)
    cov = [[0.0] * n for _ in range(n)]
    for p in people:
        row = [(index[s], v - mean[s]) for s, v in by_person[p].items()]
        for i, x in row:
            ci = cov[i]
            for j, y in row:
                ci[j] += x * y
    times["covariance (per participant)"] = time.process_time() - t

    t = time.process_time()
    comps: list[list[float]] = []
    rng = random.Random(0)
    for _ in range(2):  # power iteration with deflation, as Polis does
        vec = [rng.random() for _ in range(n)]
        for _iteration in range(50):
            nxt = [sum(a * b for a, b in zip(r, vec, strict=True)) for r in cov]
            for c in comps:
                dot = sum(a * b for a, b in zip(nxt, c, strict=True))
                nxt = [a - dot * b for a, b in zip(nxt, c, strict=True)]
            norm = math.sqrt(sum(a * a for a in nxt)) or 1.0
            vec = [a / norm for a in nxt]
        comps.append(vec)
    times["eigenvectors (power iteration)"] = time.process_time() - t

    t = time.process_time()
    points = []
    for p in people:
        row = by_person[p]
        x = sum((v - mean[s]) * comps[0][index[s]] for s, v in row.items())
        y = sum((v - mean[s]) * comps[1][index[s]] for s, v in row.items())
        scale = math.sqrt(n_statements / len(row))
        points.append((x * scale, y * scale))
    times["projection (per participant)"] = time.process_time() - t

    t = time.process_time()
    labelings = []
    for k in range(2, 6):
        centres = rng.sample(points, k)
        labels = [0] * len(points)
        for _iteration in range(30):
            labels = [
                min(
                    range(k),
                    key=lambda c, x=x, y=y: (x - centres[c][0]) ** 2 + (y - centres[c][1]) ** 2,
                )
                for x, y in points
            ]
            for c in range(k):
                members = [pt for pt, lab in zip(points, labels, strict=True) if lab == c]
                if members:
                    centres[c] = (
                        sum(m[0] for m in members) / len(members),
                        sum(m[1] for m in members) / len(members),
                    )
        labelings.append(labels)
    times["k-means k=2..5 (per participant)"] = time.process_time() - t

    t = time.process_time()
    for labels in labelings:
        total = 0.0
        size = Counter(labels)
        for i, (x, y) in enumerate(points):
            dist_sum: dict[int, float] = {}
            for j, (u, w) in enumerate(points):
                if i != j:
                    dist_sum[labels[j]] = dist_sum.get(labels[j], 0.0) + math.hypot(x - u, y - w)
            own = labels[i]
            if size[own] > 1:
                a = dist_sum.get(own, 0.0) / (size[own] - 1)
                b = min(dist_sum[c] / size[c] for c in size if c != own)
                total += (b - a) / max(a, b)
    times["silhouette k=2..5 (all pairs)"] = time.process_time() - t
    return times


# --------------------------------------------------------------------------- scikit-learn


def sklearn_pipeline(votes: np.ndarray, min_votes: int = 7) -> tuple[list[int], list[int]] | None:
    try:
        from sklearn.cluster import KMeans
        from sklearn.decomposition import PCA
        from sklearn.metrics import silhouette_score
    except ImportError:
        return None
    pids, rows = np.unique(votes[:, 0], return_inverse=True)
    sids, cols = np.unique(votes[:, 1], return_inverse=True)
    counts = np.bincount(rows, minlength=len(pids))
    keep = counts >= min(min_votes, len(sids))
    matrix = np.full((len(pids), len(sids)), np.nan)
    matrix[rows, cols] = votes[:, 2]
    matrix = matrix[keep]
    means = np.nanmean(matrix, axis=0)
    missing = np.isnan(matrix)
    imputed = np.where(missing, means, matrix)
    proj = PCA(n_components=2, random_state=0).fit_transform(imputed)
    proj *= np.sqrt(len(sids) / (~missing).sum(axis=1))[:, None]
    best: tuple[float, np.ndarray] | None = None
    for k in range(2, 6):
        labels = KMeans(n_clusters=k, n_init=8, random_state=0).fit_predict(proj)
        score = silhouette_score(proj, labels)
        if best is None or score > best[0]:
            best = (score, labels)
    assert best is not None
    return pids[keep].tolist(), best[1].tolist()


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--statements", type=int, default=500)
    parser.add_argument("--groups", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--naive-participants", type=int, default=1_000)
    parser.add_argument("--no-sklearn", action="store_true")
    args = parser.parse_args()

    syn, wall, _ = timed(
        lambda: synthetic_consultation(
            n_participants=args.participants,
            n_statements=args.statements,
            n_groups=args.groups,
            signature_per_group=args.statements // 12,
            votes_per_participant=(20, min(100, args.statements)),
            seed=2026,
        )
    )
    votes = syn.votes
    as_tuples = [tuple(v) for v in votes.tolist()]
    print(
        f"data: {args.participants:,} participants x {args.statements} statements, "
        f"{len(votes):,} votes ({len(votes) / args.participants:.0f} per person), "
        f"{args.groups} planted groups; generated in {wall:.1f} s"
    )
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")

    runs = [timed(lambda: compute_opinion_map(as_tuples)) for _ in range(args.repeats)]
    result = runs[0][0]
    assert all(r[0] == result for r in runs), "not deterministic"
    walls, cpus = [r[1] for r in runs], [r[2] for r in runs]
    planted = [syn.planted_group[p.participant_id] for p in result.positions]
    ours = [p.group_id for p in result.positions]
    print(
        f"ours (numpy), from tuples: wall best {min(walls):.2f} s, median "
        f"{statistics.median(walls):.2f} s; CPU best {min(cpus):.2f} s "
        f"({args.repeats} runs, identical results)"
    )
    _, arr_wall, arr_cpu = timed(lambda: compute_opinion_map(votes))
    print(f"ours (numpy), from an int array: wall {arr_wall:.2f} s, CPU {arr_cpu:.2f} s")
    print(
        f"  -> {len(result.groups)} groups {[g.size for g in result.groups]}, "
        f"silhouette { ({k: round(v, 3) for k, v in result.silhouette_by_k.items()}) }, "
        f"ARI vs planted {ari(planted, ours):.3f}, "
        f"{sum(len(r) for r in result.representative.values())} representative and "
        f"{len(result.consensus_agree) + len(result.consensus_disagree)} consensus statements"
    )
    svg, svg_wall, _ = timed(lambda: result.to_svg(title="Map", description="Groups"))
    print(f"  SVG rendering: {svg_wall * 1000:.0f} ms, {len(svg):,} bytes")

    # Naive baseline on a slice of the same people, scaled stage by stage.
    slice_ids = set(sorted(syn.planted_group)[: args.naive_participants])
    small = [v for v in as_tuples if v[0] in slice_ids]
    stage_times = naive_pipeline(small, args.statements)
    factor = args.participants / args.naive_participants
    scaling = {
        "covariance (per participant)": factor,
        "eigenvectors (power iteration)": 1.0,
        "projection (per participant)": factor,
        "k-means k=2..5 (per participant)": factor,
        "silhouette k=2..5 (all pairs)": factor**2,
    }
    print(f"naive Python baseline, measured on {args.naive_participants:,} participants (CPU):")
    estimate = 0.0
    for stage, seconds in stage_times.items():
        scaled = seconds * scaling[stage]
        estimate += scaled
        print(f"  {stage:34s} {seconds:7.2f} s  -> x{scaling[stage]:g} = {scaled:8.1f} s")
    print(
        f"  estimated at {args.participants:,}: {estimate:,.0f} s CPU; "
        f"ours is {estimate / min(cpus):,.0f}x faster (CPU)"
    )

    if not args.no_sklearn:
        outcome = timed(lambda: sklearn_pipeline(votes))
        if outcome[0] is None:
            print("scikit-learn baseline: not installed (pip install scikit-learn to compare)")
        else:
            (ids, labels), sk_wall, sk_cpu = outcome
            ours_by_id = {p.participant_id: p.group_id for p in result.positions}
            agreement = ari([ours_by_id[i] for i in ids], labels)
            print(
                f"scikit-learn PCA+KMeans+silhouette_score, same votes: wall {sk_wall:.2f} s, "
                f"CPU {sk_cpu:.2f} s; ours is {sk_wall / min(walls):.1f}x faster (wall), "
                f"{sk_cpu / min(cpus):.1f}x (CPU); ARI ours vs sklearn {agreement:.3f}"
            )
    print(f"load average at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
