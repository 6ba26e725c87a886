"""Opinion mapping core: recovery of planted groups, determinism, statistics, edge cases, SVG.

No database: the module under test is pure numpy.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections import Counter
from functools import cache

import numpy as np
import pytest

from ecitizen.consultations import opinion
from ecitizen.consultations.opinion import (
    GROUP_COLOURS,
    INK,
    MapStatus,
    OpinionMap,
    SyntheticConsultation,
    compute_opinion_map,
    synthetic_consultation,
)

SVG_NS = "{http://www.w3.org/2000/svg}"


def adjusted_rand_index(a: list[int], b: list[int]) -> float:
    """Hubert & Arabie's ARI from the contingency table."""
    n = len(a)
    pairs = Counter(zip(a, b, strict=True))
    rows, cols = Counter(a), Counter(b)

    def comb2(x: int) -> float:
        return x * (x - 1) / 2

    index = sum(comb2(v) for v in pairs.values())
    sum_rows = sum(comb2(v) for v in rows.values())
    sum_cols = sum(comb2(v) for v in cols.values())
    expected = sum_rows * sum_cols / comb2(n)
    maximum = (sum_rows + sum_cols) / 2
    if maximum == expected:
        return 1.0
    return (index - expected) / (maximum - expected)


def recovered_vs_planted(result: OpinionMap, syn: SyntheticConsultation) -> float:
    planted = [syn.planted_group[p.participant_id] for p in result.positions]
    found = [p.group_id for p in result.positions]
    return adjusted_rand_index(planted, found)


def planted_of(result: OpinionMap, syn: SyntheticConsultation) -> dict[int, int]:
    """Recovered group id -> the planted group most of its members come from."""
    return {
        g.id: Counter(syn.planted_group[m] for m in g.member_ids).most_common(1)[0][0]
        for g in result.groups
    }


@cache
def three_groups() -> tuple[SyntheticConsultation, OpinionMap]:
    syn = synthetic_consultation(
        n_participants=360, n_statements=45, n_groups=3, signature_per_group=8, seed=3
    )
    return syn, compute_opinion_map(syn.votes)


@cache
def sparse_three_groups() -> tuple[SyntheticConsultation, OpinionMap]:
    """Sparse voting: each person sees 20-60 of 150 statements, ids not contiguous."""
    syn = synthetic_consultation(
        n_participants=1500,
        n_statements=150,
        n_groups=3,
        signature_per_group=25,
        votes_per_participant=(20, 60),
        seed=11,
        id_mapper=lambda i: 1000 + 7 * i,
    )
    return syn, compute_opinion_map(syn.votes)


# --------------------------------------------------------------------------- the test oracle


def test_adjusted_rand_index_oracle() -> None:
    assert adjusted_rand_index([0, 0, 1, 1], [5, 5, 9, 9]) == 1.0
    assert adjusted_rand_index([0, 0, 1, 1], [0, 1, 0, 1]) == pytest.approx(-0.5)
    # Worked by hand: pairs together in both = 2, expected 6 * 3 / 15 = 1.2, max (6 + 3) / 2.
    a = [0, 0, 0, 1, 1, 1]
    b = [0, 0, 1, 1, 2, 2]
    assert adjusted_rand_index(a, b) == pytest.approx(0.8 / 3.3)  # (2 - 1.2) / (4.5 - 1.2)


# --------------------------------------------------------------------------- recovery


def test_recovers_three_planted_groups() -> None:
    syn, result = three_groups()
    assert result.status is MapStatus.CLUSTERED
    assert len(result.groups) == 3
    assert max(result.silhouette_by_k, key=result.silhouette_by_k.__getitem__) == 3
    assert recovered_vs_planted(result, syn) >= 0.9


def test_recovers_three_planted_groups_from_sparse_votes() -> None:
    syn, result = sparse_three_groups()
    assert result.status is MapStatus.CLUSTERED
    assert len(result.groups) == 3
    assert recovered_vs_planted(result, syn) >= 0.9
    assert sorted(planted_of(result, syn).values()) == [0, 1, 2]


def test_recovers_two_planted_groups() -> None:
    syn = synthetic_consultation(
        n_participants=600,
        n_statements=80,
        n_groups=2,
        signature_per_group=15,
        votes_per_participant=(15, 40),
        seed=5,
    )
    result = compute_opinion_map(syn.votes)
    assert len(result.groups) == 2
    assert recovered_vs_planted(result, syn) >= 0.9


# --------------------------------------------------------------------------- determinism


def test_same_votes_in_any_order_give_identical_output() -> None:
    syn, result = sparse_three_groups()
    rng = np.random.default_rng(42)
    for _ in range(2):
        shuffled = syn.votes[rng.permutation(len(syn.votes))]
        again = compute_opinion_map([tuple(row) for row in shuffled.tolist()])
        assert again == result
        assert again.positions == result.positions  # floats bit-identical
        svg = dict(title="t", description="d")
        assert again.to_svg(**svg) == result.to_svg(**svg)


def test_group_ids_are_ordered_by_size() -> None:
    _, result = sparse_three_groups()
    sizes = [g.size for g in result.groups]
    assert sizes == sorted(sizes, reverse=True)
    assert [g.label for g in result.groups] == ["A", "B", "C"]
    assert all(g.member_ids == tuple(sorted(g.member_ids)) for g in result.groups)


# --------------------------------------------------------------------------- statistics


@pytest.mark.parametrize("case", [three_groups, sparse_three_groups])
def test_representative_statements_are_where_the_group_really_differs(case) -> None:
    syn, result = case()
    planted = planted_of(result, syn)
    for group in result.groups:
        reps = result.representative[group.id]
        assert reps, f"group {group.label} has no representative statement"
        own = set(syn.signature[planted[group.id]])
        others = set().union(*(set(s) for g, s in syn.signature.items() if g != planted[group.id]))
        # The strongest one is a statement this group alone agrees with.
        assert reps[0].direction == "agree" and reps[0].statement_id in own
        for rep in reps:
            assert rep.group_id == group.id
            if rep.direction == "agree":
                assert rep.statement_id in own
            else:  # it rejects what another group stands for, more than the rest do
                assert rep.statement_id in others
            assert rep.z_probability > opinion.Z_90 and rep.z_difference > opinion.Z_90
            assert rep.probability > rep.probability_rest
            assert rep.probability == pytest.approx((rep.n_success + 1) / (rep.n_seen + 2))
        metrics = [r.metric for r in reps]
        assert metrics == sorted(metrics, reverse=True)


@pytest.mark.parametrize("case", [three_groups, sparse_three_groups])
def test_consensus_statements_are_those_every_group_shares(case) -> None:
    syn, result = case()
    assert {c.statement_id for c in result.consensus_agree} == set(syn.consensus_agree)
    assert {c.statement_id for c in result.consensus_disagree} == set(syn.consensus_disagree)
    for c in (*result.consensus_agree, *result.consensus_disagree):
        assert len(c.group_probabilities) == len(result.groups)
        assert min(c.group_probabilities) > 0.5
        assert c.score == pytest.approx(math.prod(c.group_probabilities))


def test_repness_matches_polis_formulas_on_a_hand_count() -> None:
    # Group A (p1..p6) agrees with statement 1, group B (p7..p12) rejects it; statement 2 splits
    # the other way. Hand-check statement 1 for group A against Polis's formulas.
    votes = []
    for p in range(1, 13):
        in_a = p <= 6
        votes.append((p, 1, 1 if in_a else -1))
        votes.append((p, 2, -1 if in_a else 1))
    votes.append((1, 3, 0))  # a pass still counts as "seen"
    result = compute_opinion_map(votes, min_votes=2, min_participants=4)
    assert [set(g.member_ids) for g in result.groups] == [set(range(1, 7)), set(range(7, 13))]
    rep = next(r for r in result.representative[0] if r.statement_id == 1)
    assert rep.direction == "agree"
    assert (rep.n_success, rep.n_seen) == (6, 6)
    assert rep.probability == pytest.approx(7 / 8)
    assert rep.probability_rest == pytest.approx(1 / 8)
    assert rep.ratio == pytest.approx(7.0)
    assert rep.z_probability == pytest.approx(2 * math.sqrt(7) * (7 / 7 - 0.5))
    pooled = (7 + 1) / (7 + 7)
    z = (7 / 7 - 1 / 7) / math.sqrt(pooled * (1 - pooled) * (2 / 7))
    assert rep.z_difference == pytest.approx(z)


def test_representative_needs_both_tests_in_the_direction_shown() -> None:
    # Two groups, four statements; counts per group as (agree, disagree, seen).
    table = {
        0: [(60, 40, 100), (80, 10, 100), (10, 80, 100), (52, 40, 100)],
        1: [(30, 10, 100), (82, 8, 100), (70, 20, 100), (30, 10, 100)],
    }
    counts = opinion._GroupCounts(
        *(np.array([[row[i] for row in table[g]] for g in (0, 1)]) for i in range(3))
    )
    reps = opinion._representative(counts, np.array([11, 12, 13, 14]), limit=5)
    found = {g: {(r.statement_id, r.direction) for r in reps[g]} for g in reps}
    # 11: group 0 agrees 60 % against the rest's 30 %. Polis's rule (rat > rdt) would call it
    #     "disagree", since the group also disagrees more than the rest; we list it as agree.
    # 12: everyone agrees: significant within each group, no difference, not representative.
    # 13: opposite sides: disagree for group 0, agree for group 1.
    # 14: a 52 % majority is not significantly above one half (z < 1.28): not listed.
    assert found == {0: {(11, "agree"), (13, "disagree")}, 1: {(13, "agree")}}
    assert [r.statement_id for r in reps[0]] == [13, 11]  # ranked by metric
    assert reps[0][1].z_difference < opinion._two_prop_test(
        np.float64(40), np.float64(10), np.float64(100), np.float64(100)
    )


# --------------------------------------------------------------------------- PCA and silhouette


@pytest.mark.parametrize("seed", range(6))
def test_projection_follows_polis_definition(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_p, n_s = 40, 12
    votes = [
        (p, s, int(rng.integers(-1, 2)))
        for p in range(n_p)
        for s in range(n_s)
        if rng.random() < 0.7 or s < 7
    ]
    result = compute_opinion_map(votes, min_participants=1000)  # map only, no clustering
    # Reference: dense matrix, column-mean imputation, SVD, then Polis's per-person scaling.
    matrix = np.full((n_p, n_s), np.nan)
    for p, s, v in votes:
        matrix[p, s] = v
    means = np.nanmean(matrix, axis=0)
    centred = np.where(np.isnan(matrix), 0.0, matrix - means)
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    expected = []
    for p in range(n_p):
        n_votes = int((~np.isnan(matrix[p])).sum())
        expected.append(centred[p] @ vt[:2].T * math.sqrt(n_s / n_votes))
    expected = np.array(expected)
    got = np.array([(q.x, q.y) for q in result.positions])
    for i in range(2):
        # Sign convention, so the map does not mirror at random: largest loading positive.
        sign = np.sign(vt[i][np.argmax(np.abs(vt[i]))])
        np.testing.assert_allclose(got[:, i], sign * expected[:, i], atol=1e-9)
    variance = singular**2
    assert result.explained_variance == pytest.approx(tuple(variance[:2] / variance.sum()))


def test_kmeans_keeps_the_best_restart() -> None:
    rng = np.random.default_rng(0)
    centres = [(0, 0), (0, 3), (3, 0), (3, 3), (10, 10), (10, 12)]
    points = np.vstack([np.array(c) + rng.normal(scale=0.6, size=(60, 2)) for c in centres])

    def inertia(labels: np.ndarray) -> float:
        return float(
            sum(
                ((points[labels == c] - points[labels == c].mean(axis=0)) ** 2).sum()
                for c in np.unique(labels)
            )
        )

    for seed in (1, 2, 3):
        # The first restarts of a longer run replay a shorter run, so more restarts never lose.
        values = [inertia(opinion._kmeans(points, 5, seed=seed, restarts=r)) for r in range(1, 9)]
        assert values == sorted(values, reverse=True)
        assert values[0] > values[-1] == pytest.approx(368.0, abs=0.1)


def reference_silhouette(points: np.ndarray, labels: np.ndarray) -> float:
    dist = np.sqrt(((points[:, None, :] - points[None, :, :]) ** 2).sum(axis=2))
    scores = []
    for i in range(len(points)):
        own = labels == labels[i]
        if own.sum() == 1:
            scores.append(0.0)
            continue
        a = dist[i, own].sum() / (own.sum() - 1)
        b = min(dist[i, labels == c].mean() for c in set(labels.tolist()) - {labels[i]})
        scores.append((b - a) / max(a, b))
    return float(np.mean(scores))


def test_silhouette_is_exact() -> None:
    rng = np.random.default_rng(1)
    points = np.vstack([rng.normal(size=(300, 2)), [[40.0, 40.0]]])  # last one is alone
    labelings = [(points[:, 0] > 0).astype(np.int64), rng.integers(3, size=301)]
    labelings[1][-1] = 3
    got = opinion._silhouette_scores(points, labelings)
    for labels, score in zip(labelings, got, strict=True):
        assert score == pytest.approx(reference_silhouette(points, labels), abs=1e-5)


# --------------------------------------------------------------------------- input rules


def test_only_participants_with_enough_votes_are_mapped() -> None:
    syn, _ = three_groups()
    few = [(99_001, s, 1) for s in range(1, 7)]  # 6 votes: below the Polis minimum of 7
    result = compute_opinion_map([*syn.votes.tolist(), *few])
    assert result.excluded_participant_ids == (99_001,)
    assert result.group_of(99_001) is None and result.position_of(99_001) is None
    assert len(result.positions) == len(syn.planted_group)


def test_minimum_is_all_statements_when_there_are_fewer_than_seven() -> None:
    votes = [(p, s, 1 if (p + s) % 2 else -1) for p in range(12) for s in range(3)]
    votes += [(50, 0, 1), (50, 1, 1)]  # saw two of three statements
    result = compute_opinion_map(votes)
    assert result.excluded_participant_ids == (50,)
    assert len(result.positions) == 12


def test_statement_list_adds_unvoted_and_drops_moderated_statements() -> None:
    votes = [(p, s, 1 if p % 2 else -1) for p in range(20) for s in (1, 2, 3)]
    votes += [(p, 9, 1) for p in range(20)]  # statement 9 was moderated out
    result = compute_opinion_map(votes, statement_ids=[1, 2, 3, 4])
    assert result.statement_ids == (1, 2, 3, 4)
    all_reps = [r.statement_id for reps in result.representative.values() for r in reps]
    assert 9 not in all_reps and 4 not in all_reps


def test_duplicate_votes_are_rejected() -> None:
    with pytest.raises(ValueError, match="participant 3 has more than one vote on statement 8"):
        compute_opinion_map([(3, 8, 1), (4, 8, 1), (3, 8, -1)])


@pytest.mark.parametrize(
    ("votes", "message"),
    [([(1, 2, 2)], "vote 2 by participant 1 on statement 2"), ([(1, 2)], "triples")],
)
def test_invalid_votes_are_rejected(votes, message) -> None:
    with pytest.raises(ValueError, match=message):
        compute_opinion_map(votes)


# --------------------------------------------------------------------------- edge cases


def test_too_few_participants_gives_one_group_and_no_repness() -> None:
    votes = [(p, s, 1 if s < 5 else -1) for p in range(1, 6) for s in range(8)]
    result = compute_opinion_map(votes)
    assert result.status is MapStatus.TOO_FEW_PARTICIPANTS
    assert len(result.groups) == 1 and result.groups[0].member_ids == (1, 2, 3, 4, 5)
    assert result.representative == {0: ()}
    assert result.silhouette_by_k == {}
    assert [c.statement_id for c in result.consensus_agree] == [0, 1, 2, 3, 4]
    assert [c.statement_id for c in result.consensus_disagree] == [5, 6, 7]


def test_no_votes_at_all() -> None:
    result = compute_opinion_map([])
    assert result.status is MapStatus.TOO_FEW_PARTICIPANTS
    assert result.groups == () and result.positions == ()
    assert result.consensus_agree == () and result.table_rows() == []
    assert "<svg" in result.to_svg(title="Empty", description="No votes yet")


def test_all_pass_votes_cannot_be_separated() -> None:
    votes = [(p, s, 0) for p in range(30) for s in range(10)]
    result = compute_opinion_map(votes)
    assert result.status is MapStatus.NO_VARIATION
    assert len(result.groups) == 1 and result.groups[0].size == 30
    assert {(p.x, p.y) for p in result.positions} == {(0.0, 0.0)}
    assert result.consensus_agree == () and result.consensus_disagree == ()
    assert result.explained_variance == (0.0, 0.0)


def test_one_statement_splits_agree_from_disagree() -> None:
    votes = [(p, 1, 1) for p in range(20)] + [(p, 1, -1) for p in range(20, 50)]
    result = compute_opinion_map(votes)
    assert result.status is MapStatus.CLUSTERED
    assert [set(g.member_ids) for g in result.groups] == [set(range(20, 50)), set(range(20))]
    assert [(r.statement_id, r.direction) for r in result.representative[0]] == [(1, "disagree")]
    assert [(r.statement_id, r.direction) for r in result.representative[1]] == [(1, "agree")]
    assert result.consensus_agree == ()


# --------------------------------------------------------------------------- presentation


def contrast_with_white(colour: str) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    luminance = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    return 1.05 / (luminance + 0.05)


def test_svg_is_accessible_and_needs_no_inline_css() -> None:
    _, result = sparse_three_groups()
    member = result.groups[1].member_ids[0]
    svg = result.to_svg(
        title="How people voted <draft> & more",
        description="Three groups: A, B and C.",
        group_names={0: "Group A", 1: "Group B", 2: "Group C"},
        highlight=(member, "You"),
    )
    root = ET.fromstring(svg)  # noqa: S314 - our own output, not untrusted input
    assert root.tag == f"{SVG_NS}svg"
    assert root.get("role") == "img"
    assert root.get("aria-label") == "How people voted <draft> & more"
    assert root.get("aria-describedby") == "opinion-map-desc"
    first, second = list(root)[:2]
    assert first.tag == f"{SVG_NS}title" and first.text == "How people voted <draft> & more"
    assert second.tag == f"{SVG_NS}desc" and second.text == "Three groups: A, B and C."
    for element in root.iter():
        assert element.tag != f"{SVG_NS}style"
        assert "style" not in element.attrib
    texts = [t.text for t in root.iter(f"{SVG_NS}text")]
    assert texts == ["You", "Group A", "Group B", "Group C"]
    colours = set(re.findall(r'(?:fill|stroke)="(#[0-9a-f]{6})"', svg)) - {"#ffffff", "#71767a"}
    assert colours <= {*GROUP_COLOURS, INK}
    for colour in colours:
        assert contrast_with_white(colour) >= 4.5, colour
    # Thinned to one marker per 4 px cell: far fewer elements than 1,500 participants.
    assert 50 < len(list(root.iter(f"{SVG_NS}use"))) < len(result.positions)


def test_palette_contrast() -> None:
    assert min(contrast_with_white(c) for c in (*GROUP_COLOURS, INK)) >= 4.5
    assert len(set(GROUP_COLOURS)) == len(opinion._MARKERS) == 5


def test_table_alternative() -> None:
    _, result = three_groups()
    rows = result.table_rows()
    assert [r.group_id for r in rows] == [g.id for g in result.groups]
    assert sum(r.size for r in rows) == len(result.positions)
    assert sum(r.share for r in rows) == pytest.approx(1.0)
    for row in rows:
        reps = result.representative[row.group_id]
        assert row.agreed_statement_ids == tuple(
            r.statement_id for r in reps if r.direction == "agree"
        )
        assert (row.centroid_x, row.centroid_y) == result.groups[row.group_id].centroid


def test_lookups_by_participant() -> None:
    _, result = three_groups()
    for group in result.groups:
        member = group.member_ids[-1]
        assert result.group_of(member) == group.id
        position = result.position_of(member)
        assert position is not None and position.participant_id == member
