"""Polis-style opinion mapping: the numerical core, with no database and no Django.

Input is one vote per (participant, statement): ``+1`` agree, ``-1`` disagree, ``0`` pass.
The caller deduplicates beforehand (the latest vote per pair wins); a duplicate pair is an
error here, because silently keeping "one of them" would make the result depend on row order.

Pipeline (after Polis, https://compdemocracy.org/ and its ``polismath`` code):

1. Participants with at least ``min(min_votes, n_statements)`` votes (passes count) are
   "in the conversation"; only they are mapped and clustered.
2. PCA to two components of their participant-by-statement matrix, missing votes imputed with
   the statement's mean vote (so a missing vote contributes nothing once centred). Each
   participant's projection is multiplied by ``sqrt(n_statements / n_votes)`` (Polis's
   sparsity-aware projection) so people who voted on little are not all pulled to the middle.
3. k-means on the 2-D positions for k = 2..5 (k-means++ with a fixed seed, several restarts),
   keeping the k with the best exact silhouette score.
4. Representative statements per group (Polis "repness") and group-informed consensus.

Everything is deterministic: votes are sorted by (participant id, statement id) before any
floating-point work, so the same votes in any order give bit-identical results.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal
from xml.sax.saxutils import escape, quoteattr

import numpy as np
from numpy.typing import NDArray

try:  # Optional: only used to keep BLAS single-threaded, see _blas_single_thread().
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover - depends on the environment
    threadpool_limits = None

AGREE = 1
DISAGREE = -1
PASS = 0

#: One-tailed z for 90 % confidence, as in Polis (``z-sig-90?``).
Z_90 = 1.2816

Direction = Literal["agree", "disagree"]
FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

# Text and group colours, each at least 4.5:1 against white (WCAG 2.2 AA for text, and so
# well above the 3:1 needed for graphical objects). Groups also differ by marker shape and
# letter, so colour is never the only cue.
INK = "#1b1b1b"
GROUP_COLOURS = ("#005ea2", "#b50909", "#216e1f", "#6b3fa0", "#8a4b08")
_MARKERS = (
    "M0,-3A3,3 0 1 1 0,3A3,3 0 1 1 0,-3Z",  # circle
    "M-2.6,-2.6H2.6V2.6H-2.6Z",  # square
    "M0,-3.6L3.6,0L0,3.6L-3.6,0Z",  # diamond
    "M0,-3.4L3.2,2.6H-3.2Z",  # triangle
    "M-1,-3.4H1V-1H3.4V1H1V3.4H-1V1H-3.4V-1H-1Z",  # plus
)


class MapStatus(StrEnum):
    CLUSTERED = "clustered"
    #: Fewer participants in the conversation than ``min_participants``: one group (or none).
    TOO_FEW_PARTICIPANTS = "too_few_participants"
    #: Everyone voted alike (e.g. all passes): nothing to separate, one group.
    NO_VARIATION = "no_variation"


@dataclass(frozen=True, slots=True)
class OpinionGroup:
    id: int
    label: str
    member_ids: tuple[int, ...]
    centroid: tuple[float, float]

    @property
    def size(self) -> int:
        return len(self.member_ids)


@dataclass(frozen=True, slots=True)
class ParticipantPosition:
    participant_id: int
    x: float
    y: float
    group_id: int


@dataclass(frozen=True, slots=True)
class RepresentativeStatement:
    """A statement on which a group differs from everyone else (Polis "repness")."""

    statement_id: int
    group_id: int
    direction: Direction
    n_success: int  # agrees (or disagrees) within the group
    n_seen: int  # votes within the group, passes included
    probability: float  # (n_success + 1) / (n_seen + 2)
    probability_rest: float  # same for all other groups together
    ratio: float  # probability / probability_rest
    z_probability: float  # one-proportion test against 1/2
    z_difference: float  # two-proportion test, group vs rest
    metric: float  # ratio * z_difference * probability * z_probability (ranking)


@dataclass(frozen=True, slots=True)
class ConsensusStatement:
    """A statement every group leans the same way on (group-informed consensus)."""

    statement_id: int
    direction: Direction
    score: float  # product over groups of the group's probability
    group_probabilities: tuple[float, ...]  # in group id order


@dataclass(frozen=True, slots=True)
class GroupTableRow:
    """One row of the table alternative to the SVG map."""

    group_id: int
    label: str
    size: int
    share: float  # of everyone mapped
    centroid_x: float
    centroid_y: float
    agreed_statement_ids: tuple[int, ...]
    disagreed_statement_ids: tuple[int, ...]


@dataclass(frozen=True)
class OpinionMap:
    status: MapStatus
    statement_ids: tuple[int, ...]
    groups: tuple[OpinionGroup, ...]
    positions: tuple[ParticipantPosition, ...]  # participants in the conversation, by id
    excluded_participant_ids: tuple[int, ...]  # voted, but too little to be mapped
    representative: Mapping[int, tuple[RepresentativeStatement, ...]]
    consensus_agree: tuple[ConsensusStatement, ...]
    consensus_disagree: tuple[ConsensusStatement, ...]
    silhouette_by_k: Mapping[int, float]
    explained_variance: tuple[float, float]  # share of total variance per component
    _by_participant: Mapping[int, int] = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_statements(self) -> int:
        return len(self.statement_ids)

    def group_of(self, participant_id: int) -> int | None:
        index = self._by_participant.get(participant_id)
        return None if index is None else self.positions[index].group_id

    def position_of(self, participant_id: int) -> ParticipantPosition | None:
        index = self._by_participant.get(participant_id)
        return None if index is None else self.positions[index]

    def table_rows(self) -> list[GroupTableRow]:
        total = sum(g.size for g in self.groups) or 1
        rows = []
        for g in self.groups:
            reps = self.representative.get(g.id, ())
            rows.append(
                GroupTableRow(
                    group_id=g.id,
                    label=g.label,
                    size=g.size,
                    share=g.size / total,
                    centroid_x=g.centroid[0],
                    centroid_y=g.centroid[1],
                    agreed_statement_ids=tuple(
                        r.statement_id for r in reps if r.direction == "agree"
                    ),
                    disagreed_statement_ids=tuple(
                        r.statement_id for r in reps if r.direction == "disagree"
                    ),
                )
            )
        return rows

    def to_svg(
        self,
        *,
        title: str,
        description: str,
        width: int = 640,
        height: int = 440,
        group_names: Mapping[int, str] | None = None,
        highlight: tuple[int, str] | None = None,
        id_prefix: str = "opinion-map",
    ) -> str:
        """Render the map as a self-contained, accessible SVG string.

        ``title``, ``description``, ``group_names`` and the highlight label are shown to people,
        so the caller passes them already translated. ``highlight`` is ``(participant_id,
        label)``, e.g. to mark "You" on a resident's own map. ``width`` and ``height`` set the
        drawing's proportions; it scales to the width of its container. Presentation attributes
        only: no ``style`` attribute or element, so it passes a CSP without ``unsafe-inline``.
        """
        return _render_svg(
            self,
            title=title,
            description=description,
            width=width,
            height=height,
            group_names=group_names or {},
            highlight=highlight,
            id_prefix=id_prefix,
        )


# --------------------------------------------------------------------------- entry point


def compute_opinion_map(
    votes: Iterable[tuple[int, int, int]] | NDArray[np.integer],
    *,
    statement_ids: Iterable[int] | None = None,
    min_votes: int = 7,
    min_participants: int = 10,
    max_groups: int = 5,
    n_representative: int = 5,
    n_consensus: int = 5,
    seed: int = 0,
    kmeans_restarts: int = 8,
) -> OpinionMap:
    """Map participants by how they voted and find each group's distinctive statements.

    ``votes``: (participant_id, statement_id, vote) rows, or an integer array of shape (n, 3);
    at most one row per pair (deduplicate first: the latest vote wins).
    ``statement_ids``: the statements in play. Statements without votes still count towards
    ``n_statements``; votes on statements not listed (e.g. moderated out) are ignored.
    """
    if min_votes < 1 or min_participants < 1 or max_groups < 2:
        raise ValueError("min_votes and min_participants must be >= 1, max_groups >= 2")
    data = _ingest(votes, statement_ids)
    n_s = len(data.statement_ids)
    threshold = min(min_votes, n_s)
    counts = np.bincount(data.rows, minlength=len(data.participant_ids))
    eligible = counts >= threshold if n_s else np.zeros(len(counts), dtype=bool)
    excluded = tuple(int(p) for p in data.participant_ids[~eligible])
    pids = data.participant_ids[eligible]
    n_p = len(pids)

    # Keep the votes of eligible participants and renumber their rows 0..n_p-1.
    keep = eligible[data.rows]
    new_row = np.cumsum(eligible) - 1
    rows = new_row[data.rows[keep]]
    cols = data.cols[keep]
    vals = data.vals[keep]

    with _blas_single_thread():
        points, explained = _pca_project(rows, cols, vals, n_p, n_s)

    status = MapStatus.CLUSTERED
    silhouettes: dict[int, float] = {}
    labels = np.zeros(n_p, dtype=np.int64)
    if n_p < min_participants:
        status = MapStatus.TOO_FEW_PARTICIPANTS
    else:
        distinct = len(np.unique(points, axis=0))
        ks = [k for k in range(2, max_groups + 1) if k <= distinct and k < n_p]
        if explained == (0.0, 0.0) or not ks:
            status = MapStatus.NO_VARIATION
        else:
            labelings = [_kmeans(points, k, seed=seed, restarts=kmeans_restarts) for k in ks]
            with _blas_single_thread():
                scores = _silhouette_scores(points, labelings)
            silhouettes = {k: float(s) for k, s in zip(ks, scores, strict=True)}
            best = max(ks, key=lambda k: (silhouettes[k], -k))  # ties: fewer groups
            labels = labelings[ks.index(best)]

    labels, n_groups = _relabel(labels, pids) if n_p else (labels, 0)
    groups = _make_groups(labels, n_groups, pids, points)
    positions = tuple(
        ParticipantPosition(int(p), float(x), float(y), int(g))
        for p, (x, y), g in zip(pids.tolist(), points.tolist(), labels.tolist(), strict=True)
    )

    counts_by_group = _group_counts(labels[rows], cols, vals, n_groups, n_s)
    representative: dict[int, tuple[RepresentativeStatement, ...]] = {g.id: () for g in groups}
    if status is MapStatus.CLUSTERED:
        representative = _representative(counts_by_group, data.statement_ids, n_representative)
    consensus_agree, consensus_disagree = _consensus(
        counts_by_group, data.statement_ids, n_consensus
    )
    return OpinionMap(
        status=status,
        statement_ids=tuple(int(s) for s in data.statement_ids),
        groups=groups,
        positions=positions,
        excluded_participant_ids=excluded,
        representative=representative,
        consensus_agree=consensus_agree,
        consensus_disagree=consensus_disagree,
        silhouette_by_k=silhouettes,
        explained_variance=explained,
        _by_participant={p.participant_id: i for i, p in enumerate(positions)},
    )


def _blas_single_thread() -> contextlib.AbstractContextManager[object]:
    """Run BLAS/LAPACK on one thread.

    Our matrix products are small (500 x 500 covariance, 512-row distance blocks). Measured on
    a busy 2-core machine, multi-threaded OpenBLAS made them 5-8x slower than one thread,
    because its threads spin while competing with the web and task processes. Without
    threadpoolctl installed, set OPENBLAS_NUM_THREADS=1 in the worker's environment instead.
    """
    if threadpool_limits is None:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


# --------------------------------------------------------------------------- input


@dataclass(frozen=True, slots=True)
class _Votes:
    participant_ids: IntArray  # sorted, unique
    statement_ids: IntArray  # sorted, unique
    rows: IntArray  # index into participant_ids, votes sorted by (row, col)
    cols: IntArray
    vals: IntArray


def _ingest(
    votes: Iterable[tuple[int, int, int]] | NDArray[np.integer],
    statement_ids: Iterable[int] | None,
) -> _Votes:
    if isinstance(votes, np.ndarray):
        arr = votes.astype(np.int64, copy=False)
        if arr.size == 0:
            arr = arr.reshape(0, 3)
    else:
        try:
            arr = np.fromiter(votes, dtype=np.dtype((np.int64, 3)))
        except (TypeError, ValueError) as exc:
            raise ValueError("votes must be (participant_id, statement_id, vote) triples") from exc
    if arr.ndim != 2 or arr.shape[1] != 3:
        raise ValueError("votes must be (participant_id, statement_id, vote) triples")
    bad = ~np.isin(arr[:, 2], (AGREE, DISAGREE, PASS))
    if bad.any():
        p, s, v = arr[np.argmax(bad)].tolist()
        raise ValueError(f"vote {v} by participant {p} on statement {s} is not -1, 0 or +1")

    if statement_ids is not None:
        sids = np.unique(np.fromiter(statement_ids, dtype=np.int64))
        arr = arr[np.isin(arr[:, 1], sids)]
    else:
        sids = np.unique(arr[:, 1])
    pids, rows = np.unique(arr[:, 0], return_inverse=True)
    rows = rows.reshape(-1).astype(np.int64)
    cols = np.searchsorted(sids, arr[:, 1]).astype(np.int64)

    key = rows * max(len(sids), 1) + cols
    order = np.argsort(key, kind="stable")
    key = key[order]
    dup = np.flatnonzero(key[1:] == key[:-1])
    if dup.size:
        p, s = arr[order[dup[0]], :2].tolist()
        raise ValueError(
            f"participant {p} has more than one vote on statement {s}; keep only the latest"
        )
    return _Votes(pids, sids, rows[order], cols[order], arr[order, 2])


# --------------------------------------------------------------------------- PCA


def _pca_project(
    rows: IntArray, cols: IntArray, vals: IntArray, n_p: int, n_s: int
) -> tuple[FloatArray, tuple[float, float]]:
    """Polis PCA: column-mean imputation, top-2 eigenvectors, sparsity-aware projection.

    With mean imputation the centred matrix is zero wherever a vote is missing, so it is as
    sparse as the votes. Its covariance (n_s by n_s) is accumulated from dense blocks of
    participants, which keeps memory at O(block * n_s) and hands the work to BLAS.
    """
    points = np.zeros((n_p, 2))
    if n_p == 0 or n_s == 0:
        return points, (0.0, 0.0)
    seen = np.bincount(cols, minlength=n_s)
    center = np.bincount(cols, weights=vals, minlength=n_s) / np.maximum(seen, 1)
    centred = vals - center[cols]

    cov = np.zeros((n_s, n_s))
    block = max(1, min(n_p, (1 << 22) // n_s))
    bounds = np.searchsorted(rows, np.arange(0, n_p + block, block))
    dense = np.zeros((block, n_s))
    for start, lo, hi in zip(range(0, n_p, block), bounds[:-1], bounds[1:], strict=False):
        r, c = rows[lo:hi] - start, cols[lo:hi]
        dense[r, c] = centred[lo:hi]
        cov += dense.T @ dense
        dense[r, c] = 0.0  # cheaper than clearing the whole block
    cov /= n_p

    eigvals, eigvecs = np.linalg.eigh(cov)
    total = float(np.trace(cov))
    comps = np.zeros((n_s, 2))
    explained = [0.0, 0.0]
    for i in range(min(2, n_s)):
        value = float(eigvals[-1 - i])
        if total <= 0.0 or value <= 1e-12 * total:
            break
        vec = eigvecs[:, -1 - i]
        if vec[np.argmax(np.abs(vec))] < 0:  # fix the sign: largest loading positive
            vec = -vec
        comps[:, i] = vec
        explained[i] = value / total

    n_votes = np.bincount(rows, minlength=n_p)
    scale = np.sqrt(n_s / np.maximum(n_votes, 1))
    for i in range(2):
        points[:, i] = np.bincount(rows, weights=centred * comps[cols, i], minlength=n_p) * scale
    return points, (explained[0], explained[1])


# --------------------------------------------------------------------------- clustering


def _kmeans(points: FloatArray, k: int, *, seed: int, restarts: int) -> IntArray:
    """Lloyd's k-means from k-means++ seeds; the restart with the lowest inertia wins."""
    rng = np.random.default_rng([seed, k])
    n = len(points)
    best_labels = np.zeros(n, dtype=np.int64)
    best_inertia = math.inf
    for _ in range(restarts):
        centers = _kmeans_plus_plus(points, k, rng)
        labels = np.full(n, -1, dtype=np.int64)
        for _iteration in range(300):
            new_labels, nearest = _assign(points, centers)
            if np.array_equal(new_labels, labels):
                break
            labels = new_labels
            sizes = np.bincount(labels, minlength=k)
            for empty in np.flatnonzero(sizes == 0):
                # Re-seed an empty cluster with the point worst served by its centre.
                far = int(np.argmax(nearest))
                labels[far] = empty
                nearest[far] = 0.0
            sizes = np.bincount(labels, minlength=k)
            for dim in range(2):
                centers[:, dim] = np.bincount(labels, weights=points[:, dim], minlength=k) / sizes
        inertia = float(_assign(points, centers)[1].sum())
        if inertia < best_inertia:
            best_inertia, best_labels = inertia, labels
    return best_labels


def _kmeans_plus_plus(points: FloatArray, k: int, rng: np.random.Generator) -> FloatArray:
    centers = np.empty((k, 2))
    centers[0] = points[rng.integers(len(points))]
    d2 = _assign(points, centers[:1])[1]
    for i in range(1, k):
        total = d2.sum()
        if total > 0:
            idx = int(np.searchsorted(np.cumsum(d2), rng.random() * total, side="right"))
            idx = min(idx, len(points) - 1)
        else:
            idx = int(rng.integers(len(points)))
        centers[i] = points[idx]
        d2 = np.minimum(d2, _assign(points, centers[i : i + 1])[1])
    return centers


def _assign(points: FloatArray, centers: FloatArray) -> tuple[IntArray, FloatArray]:
    """Nearest centre (ties: lowest index) and squared distance to it, one centre at a time."""
    xs, ys = points[:, 0], points[:, 1]
    labels = np.zeros(len(points), dtype=np.int64)
    best = np.full(len(points), np.inf)
    for c, (cx, cy) in enumerate(centers.tolist()):
        dx, dy = xs - cx, ys - cy
        d = dx * dx + dy * dy
        closer = d < best
        labels[closer] = c
        np.minimum(best, d, out=best)
    return labels, best


def _silhouette_scores(points: FloatArray, labelings: Sequence[IntArray]) -> list[float]:
    """Exact mean silhouette for several labelings of the same points, in one O(n²) pass.

    Distances are computed once per block of rows (in float32: half the memory traffic, and
    ~1e-6 relative error, far below any gap worth choosing k on) and summed per cluster by a
    matrix product with the stacked one-hot matrices of all labelings. A point alone in its
    cluster scores 0 (Rousseeuw's convention, as in scikit-learn).
    """
    n = len(points)
    widths = [int(labels.max()) + 1 for labels in labelings]
    offsets = np.concatenate([[0], np.cumsum(widths)]).astype(np.int64)
    onehot = np.zeros((n, int(offsets[-1])), dtype=np.float32)
    for labels, off in zip(labelings, offsets, strict=False):
        onehot[np.arange(n), off + labels] = 1.0
    sizes = np.concatenate(
        [np.bincount(labels, minlength=w) for labels, w in zip(labelings, widths, strict=True)]
    ).astype(np.float64)
    totals = np.zeros(len(labelings))
    xs = points[:, 0].astype(np.float32)
    ys = points[:, 1].astype(np.float32)
    block = max(1, min(n, 512))
    dist = np.empty((block, n), dtype=np.float32)
    tmp = np.empty((block, n), dtype=np.float32)
    for start in range(0, n, block):
        stop = min(n, start + block)
        b = stop - start
        d, t = dist[:b], tmp[:b]
        np.subtract(xs[start:stop, None], xs[None, :], out=d)
        np.multiply(d, d, out=d)
        np.subtract(ys[start:stop, None], ys[None, :], out=t)
        np.multiply(t, t, out=t)
        np.add(d, t, out=d)
        np.sqrt(d, out=d)
        sums = (d @ onehot).astype(np.float64)
        rows = np.arange(b)
        for j, labels in enumerate(labelings):
            lo, hi = offsets[j], offsets[j + 1]
            own = labels[start:stop]
            own_size = sizes[lo + own]
            a = sums[rows, lo + own] / np.maximum(own_size - 1, 1)
            means = sums[:, lo:hi] / sizes[lo:hi]
            means[rows, own] = np.inf
            nearest = means.min(axis=1)
            denom = np.maximum(a, nearest)
            ok = (own_size > 1) & (denom > 0)
            totals[j] += float(((nearest[ok] - a[ok]) / denom[ok]).sum())
    return [float(t / n) for t in totals]


def _relabel(labels: IntArray, pids: IntArray) -> tuple[IntArray, int]:
    """Number groups by size (largest first), ties by smallest member id: stable ids."""
    present = np.unique(labels)
    order = sorted(
        present.tolist(),
        key=lambda c: (-int((labels == c).sum()), int(pids[labels == c].min())),
    )
    mapping = np.zeros(int(present.max()) + 1, dtype=np.int64)
    for new, old in enumerate(order):
        mapping[old] = new
    return mapping[labels], len(order)


def _make_groups(
    labels: IntArray, n_groups: int, pids: IntArray, points: FloatArray
) -> tuple[OpinionGroup, ...]:
    groups = []
    for g in range(n_groups):
        mask = labels == g
        centroid = points[mask].mean(axis=0)
        groups.append(
            OpinionGroup(
                id=g,
                label=chr(ord("A") + g) if g < 26 else str(g + 1),
                member_ids=tuple(pids[mask].tolist()),
                centroid=(float(centroid[0]), float(centroid[1])),
            )
        )
    return tuple(groups)


# --------------------------------------------------------------------------- statistics


@dataclass(frozen=True, slots=True)
class _GroupCounts:
    agree: IntArray  # (n_groups, n_statements)
    disagree: IntArray
    seen: IntArray


def _group_counts(
    group_of_vote: IntArray, cols: IntArray, vals: IntArray, n_groups: int, n_s: int
) -> _GroupCounts:
    size = n_groups * n_s
    cell = group_of_vote * n_s + cols

    def count(mask: NDArray[np.bool_] | None) -> IntArray:
        selected = cell if mask is None else cell[mask]
        return np.bincount(selected, minlength=size).reshape(n_groups, n_s)

    return _GroupCounts(count(vals == AGREE), count(vals == DISAGREE), count(None))


def _prop_test(success: FloatArray, n: FloatArray) -> FloatArray:
    """Polis ``prop-test``: z for "proportion > 1/2", with +1 pseudo-counts."""
    return 2.0 * np.sqrt(n + 1) * ((success + 1) / (n + 1) - 0.5)


def _two_prop_test(
    success_in: FloatArray, success_out: FloatArray, n_in: FloatArray, n_out: FloatArray
) -> FloatArray:
    """Polis ``two-prop-test``: z for "group proportion > rest", with +1 pseudo-counts."""
    s1, s2, n1, n2 = success_in + 1, success_out + 1, n_in + 1, n_out + 1
    pooled = (s1 + s2) / (n1 + n2)
    var = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (s1 / n1 - s2 / n2) / np.sqrt(var)
    return np.where(var > 0, z, 0.0)


def _representative(
    counts: _GroupCounts, sids: IntArray, limit: int
) -> dict[int, tuple[RepresentativeStatement, ...]]:
    """Polis repness: where a group's agree (or disagree) share stands out from the rest.

    A statement is listed for a group in a direction when both Polis z-tests pass (90 %) in
    that direction: the group's share is above one half, and above the rest's. At most one
    direction can pass, since agree and disagree shares cannot both exceed one half. Polis
    instead picks the direction by the larger two-proportion z (``rat > rdt``) after an
    either-direction test, which can label as "disagree" a statement most of the group agrees
    with; and it falls back to a non-significant "best" statement. Neither is something we
    want to show residents as what a group thinks.
    """
    na, nd, ns = (c.astype(np.float64) for c in (counts.agree, counts.disagree, counts.seen))
    rest = [c.sum(axis=0, keepdims=True) - c for c in (na, nd, ns)]
    stats = {}
    passes = {}
    for name, n_in, n_out in (("agree", na, rest[0]), ("disagree", nd, rest[1])):
        p = (n_in + 1) / (ns + 2)
        p_rest = (n_out + 1) / (rest[2] + 2)
        z_p = _prop_test(n_in, ns)
        z_r = _two_prop_test(n_in, n_out, ns, rest[2])
        stats[name] = (n_in, p, p_rest, p / p_rest, z_p, z_r)
        passes[name] = (z_p > Z_90) & (z_r > Z_90)
    result: dict[int, tuple[RepresentativeStatement, ...]] = {}
    for g in range(na.shape[0]):
        found = []
        for j in np.flatnonzero(passes["agree"][g] | passes["disagree"][g]).tolist():
            direction: Direction = "agree" if passes["agree"][g, j] else "disagree"
            n_success, p, p_rest, ratio, z_p, z_r = (a[g, j] for a in stats[direction])
            found.append(
                RepresentativeStatement(
                    statement_id=int(sids[j]),
                    group_id=g,
                    direction=direction,
                    n_success=int(n_success),
                    n_seen=int(ns[g, j]),
                    probability=float(p),
                    probability_rest=float(p_rest),
                    ratio=float(ratio),
                    z_probability=float(z_p),
                    z_difference=float(z_r),
                    metric=float(ratio * z_r * p * z_p),
                )
            )
        found.sort(key=lambda r: (-r.metric, r.statement_id))
        result[g] = tuple(found[:limit])
    return result


def _consensus(
    counts: _GroupCounts, sids: IntArray, limit: int
) -> tuple[tuple[ConsensusStatement, ...], tuple[ConsensusStatement, ...]]:
    """Group-informed consensus: product over groups of P(agree | group), pseudo-counts +1/+2.

    Only statements on which *every* group leans that way (probability > 1/2) are listed, so
    a statement one group has not seen (probability exactly 1/2) never counts as consensus.
    """
    if counts.seen.shape[0] == 0:
        return (), ()
    out = []
    for direction, n in (("agree", counts.agree), ("disagree", counts.disagree)):
        probs = (n + 1) / (counts.seen + 2)
        score = probs.prod(axis=0)
        candidates = np.flatnonzero((probs > 0.5).all(axis=0))
        ranked = sorted(candidates.tolist(), key=lambda j: (-score[j], int(sids[j])))[:limit]
        out.append(
            tuple(
                ConsensusStatement(
                    statement_id=int(sids[j]),
                    direction=direction,  # type: ignore[arg-type]
                    score=float(score[j]),
                    group_probabilities=tuple(float(p) for p in probs[:, j]),
                )
                for j in ranked
            )
        )
    return out[0], out[1]


# --------------------------------------------------------------------------- SVG


def _convex_hull(pts: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Andrew's monotone chain; input must be sorted and unique."""
    if len(pts) < 3:
        return pts

    def half(seq: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
        chain: list[tuple[float, float]] = []
        for p in seq:
            while len(chain) >= 2:
                (ax, ay), (bx, by) = chain[-2], chain[-1]
                if (bx - ax) * (p[1] - ay) - (by - ay) * (p[0] - ax) > 0:
                    break
                chain.pop()
            chain.append(p)
        return chain

    lower, upper = half(pts), half(reversed(pts))
    return lower[:-1] + upper[:-1]


def _render_svg(
    result: OpinionMap,
    *,
    title: str,
    description: str,
    width: int,
    height: int,
    group_names: Mapping[int, str],
    highlight: tuple[int, str] | None,
    id_prefix: str,
) -> str:
    pid = id_prefix
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label={quoteattr(title)} '
        f'aria-describedby="{pid}-desc">',
        f'<title id="{pid}-title">{escape(title)}</title>',
        f'<desc id="{pid}-desc">{escape(description)}</desc>',
        "<defs>",
        *(f'<path id="{pid}-m{i}" d="{d}"/>' for i, d in enumerate(_MARKERS)),
        "</defs>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff" '
        f'stroke="#71767a" stroke-width="1"/>',
    ]
    xy = np.array([(p.x, p.y) for p in result.positions]).reshape(-1, 2)
    if len(xy):
        margin = 36.0
        lo, hi = xy.min(axis=0), xy.max(axis=0)
        span = np.maximum(hi - lo, 1e-9)
        scale = float(min((width - 2 * margin) / span[0], (height - 2 * margin) / span[1]))
        if not np.isfinite(scale) or (hi - lo).max() == 0:
            scale = 0.0
        mid = (lo + hi) / 2

        def to_px(x: float, y: float) -> tuple[float, float]:
            # y grows upwards on the map, downwards in SVG.
            return (
                round(width / 2 + (x - mid[0]) * scale, 1),
                round(height / 2 - (y - mid[1]) * scale, 1),
            )

        px = np.column_stack(
            [width / 2 + (xy[:, 0] - mid[0]) * scale, height / 2 - (xy[:, 1] - mid[1]) * scale]
        )
        group_ids = np.array([p.group_id for p in result.positions])
        labels = []
        for g in result.groups:
            colour = GROUP_COLOURS[g.id % len(GROUP_COLOURS)]
            # One marker per 4 px cell: the shape of the crowd without 10,000 elements.
            cells = np.unique(np.round(px[group_ids == g.id] / 4.0) * 4.0, axis=0)
            pts = [(round(float(a), 1), round(float(b), 1)) for a, b in cells]
            out.append(f"<g fill={quoteattr(colour)}>")
            hull = _convex_hull(pts)
            if len(hull) >= 3:
                d = " ".join(f"{a},{b}" for a, b in hull)
                out.append(
                    f'<polygon points="{d}" fill="{colour}" fill-opacity="0.08" '
                    f'stroke="{colour}" stroke-width="2" stroke-linejoin="round"/>'
                )
            marker = f"#{pid}-m{g.id % len(_MARKERS)}"
            out.extend(f'<use href="{marker}" x="{a}" y="{b}"/>' for a, b in pts)
            out.append("</g>")
            labels.append((*to_px(*g.centroid), group_names.get(g.id, g.label)))
        text = (
            'text-anchor="middle" dominant-baseline="central" font-family="sans-serif" '
            f'font-weight="700" fill="{INK}" stroke="#ffffff" paint-order="stroke"'
        )
        position = None if highlight is None else result.position_of(highlight[0])
        if highlight is not None and position is not None:
            hx, hy = to_px(position.x, position.y)
            # "You" goes just above the ring; a group name in the way moves below it.
            labels = [
                (x, round(hy + 30, 1), name)
                if abs(x - hx) < 70 and -34 < y - hy < 22
                else (x, y, name)
                for x, y, name in labels
            ]
            out.append(
                # A white halo keeps the ring visible on the darkest markers.
                f'<circle cx="{hx}" cy="{hy}" r="9" fill="none" stroke="#ffffff" stroke-width="7"/>'
                f'<circle cx="{hx}" cy="{hy}" r="9" fill="none" stroke="{INK}" stroke-width="3"/>'
                f'<text x="{hx}" y="{round(hy - 20, 1)}" font-size="15" stroke-width="4" {text}>'
                f"{escape(highlight[1])}</text>"
            )
        # Names last, so no group's markers cover another group's name.
        out.extend(
            f'<text x="{x}" y="{y}" font-size="18" stroke-width="5" {text}>{escape(name)}</text>'
            for x, y, name in labels
        )
    out.append("</svg>")
    return "\n".join(out)


# --------------------------------------------------------------------------- synthetic data


@dataclass(frozen=True)
class SyntheticConsultation:
    """Votes with known opinion groups, for tests, benchmarks and demo data."""

    votes: IntArray  # (n, 3): participant_id, statement_id, vote
    planted_group: Mapping[int, int]  # participant id -> planted group
    signature: Mapping[int, tuple[int, ...]]  # group -> statements it alone agrees with
    consensus_agree: tuple[int, ...]
    consensus_disagree: tuple[int, ...]


def synthetic_consultation(
    *,
    n_participants: int,
    n_statements: int,
    n_groups: int,
    signature_per_group: int,
    n_consensus_agree: int = 4,
    n_consensus_disagree: int = 2,
    votes_per_participant: tuple[int, int] | None = None,
    fidelity: float = 0.85,
    seed: int = 0,
    id_mapper: Callable[[int], int] = lambda i: i + 1,
) -> SyntheticConsultation:
    """Planted groups: each group agrees with its own "signature" statements that the other
    groups reject; a few statements everyone agrees (or disagrees) with; the rest is noise.

    ``votes_per_participant``: (low, high) statements seen per person, drawn uniformly; None
    means everyone votes on everything. ``fidelity`` is how often a person follows the
    group line (the rest splits between the opposite vote and a pass).
    """
    rng = np.random.default_rng(seed)
    n_sig = n_groups * signature_per_group
    n_fixed = n_sig + n_consensus_agree + n_consensus_disagree
    if n_fixed > n_statements:
        raise ValueError("not enough statements for the planted structure")
    # Expected vote (+1/-1) per group and statement; 0 = noise (agree/disagree/pass evenly).
    line = np.zeros((n_groups, n_statements), dtype=np.int64)
    signature = {}
    for g in range(n_groups):
        own = np.arange(g * signature_per_group, (g + 1) * signature_per_group)
        line[:, own] = DISAGREE
        line[g, own] = AGREE
        signature[g] = tuple(id_mapper(int(j)) for j in own)
    agree_all = np.arange(n_sig, n_sig + n_consensus_agree)
    disagree_all = np.arange(n_sig + n_consensus_agree, n_fixed)
    line[:, agree_all] = AGREE
    line[:, disagree_all] = DISAGREE

    group = rng.integers(n_groups, size=n_participants)
    parts = []
    for i in range(n_participants):
        if votes_per_participant is None:
            seen = np.arange(n_statements)
        else:
            lo, hi = votes_per_participant
            seen = np.sort(
                rng.choice(n_statements, size=int(rng.integers(lo, hi + 1)), replace=False)
            )
        expected = line[group[i], seen]
        u = rng.random(len(seen))
        follow = np.where(u < fidelity, expected, np.where(u < (1 + fidelity) / 2, -expected, 0))
        noise = rng.integers(-1, 2, size=len(seen))
        vote = np.where(expected == 0, noise, follow)
        parts.append(np.column_stack([np.full(len(seen), i), seen, vote]))
    raw = np.concatenate(parts) if parts else np.zeros((0, 3), dtype=np.int64)
    pid_map = np.array([id_mapper(i) for i in range(max(n_participants, n_statements))])
    votes = np.column_stack([pid_map[raw[:, 0]], pid_map[raw[:, 1]], raw[:, 2]]).astype(np.int64)
    return SyntheticConsultation(
        votes=votes,
        planted_group={id_mapper(i): int(g) for i, g in enumerate(group)},
        signature=signature,
        consensus_agree=tuple(id_mapper(int(j)) for j in agree_all),
        consensus_disagree=tuple(id_mapper(int(j)) for j in disagree_all),
    )
