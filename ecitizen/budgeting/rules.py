"""Winner-determination rules for participatory budgeting.

Two rules, both computed with exact arithmetic (``int`` and ``Fraction``; no float ever takes
part in a decision):

* :func:`greedy` - fund projects in decreasing order of votes (or points), skipping any that
  no longer fit the remaining budget; optionally only projects reaching a minimum score.
* :func:`equal_shares` - the Method of Equal Shares (MES) for approval ballots with cost
  utilities, completed with "Add1": every voter's share is raised one currency unit at a time
  while the outcome still fits the real budget.

Both return a :class:`RuleResult` that explains, for every project, why it was or was not
funded. ``docs/budgeting-rules.md`` describes the rules in plain language.

The rules are checked against pabutools (a GPL library, used only as a test oracle) and
against the outcomes real cities announced; see ``ecitizen/budgeting/tests``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from itertools import chain
from math import gcd, lcm
from typing import Literal

from ecitizen.budgeting.pabulib import Election, Money, format_number

__all__ = [
    "RULES",
    "ProjectDecision",
    "Reason",
    "RuleResult",
    "Scoring",
    "TieBreak",
    "equal_shares",
    "greedy",
    "project_scores",
    "selection_cost",
    "tally",
]

Scoring = Literal["auto", "votes", "points"]


class Reason(StrEnum):
    """Why a project was or was not funded."""

    SELECTED = "selected"
    DID_NOT_FIT = "did-not-fit"
    """Greedy: its cost was more than what was left of the budget when its turn came."""
    BELOW_THRESHOLD = "below-threshold"
    """Greedy: fewer votes (points) than the minimum a project needs to be eligible."""
    NO_SUPPORT = "no-support"
    """Nobody voted for it."""
    NOT_AFFORDABLE = "not-affordable"
    """Equal shares: its supporters' remaining shares could not cover its cost."""


class TieBreak(StrEnum):
    """How exact ties (same votes for greedy, same price per voter for MES) are broken.

    ``CHEAPEST`` (default): the cheaper project first, then the one with more supporters, then
    the smaller project id (plain string order). This is what the equal-shares reference
    implementation used by the cities does, and it lets more projects fit.
    ``PROJECT_ID``: smaller project id first (plain string order), pabutools' default.
    """

    CHEAPEST = "cheapest"
    PROJECT_ID = "project-id"


@dataclass(slots=True, frozen=True)
class ProjectDecision:
    """The outcome for one project, with a plain-language explanation."""

    project_id: str
    cost: Money
    score: Money
    """Votes (approvals) or points the rule ranked the project by."""
    supporters: int
    """Number of ballots that include the project."""
    selected: bool
    reason: Reason
    explanation: str
    position: int | None = None
    """1-based order in which the project was funded (``None`` if not funded)."""


@dataclass(slots=True)
class RuleResult:
    """What a rule decided. ``selected`` is in the order projects were funded."""

    rule: str
    budget: Money
    selected: list[str]
    cost: Money
    decisions: dict[str, ProjectDecision]
    threshold: Money | None = None
    voter_share: Fraction | None = None
    """Equal shares: the per-voter share of the final run (budget / voters + Add1 units)."""
    add1_steps: int | None = None
    """Equal shares: how many currency units Add1 added to every voter's share."""
    runs: int | None = None
    """Equal shares: how many MES runs were computed."""
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """JSON-friendly summary: money as int when whole, else an exact decimal string."""
        return {
            "rule": self.rule,
            "selected": list(self.selected),
            "cost": _json_money(self.cost),
            "budget": _json_money(self.budget),
        }


def _json_money(value: Money) -> int | str:
    if isinstance(value, int):
        return value
    if value.denominator == 1:
        return value.numerator
    try:
        return format_number(value)
    except ValueError:
        return str(value)


def _fmt(value: Money) -> str:
    """For explanations: thousands separators; a fraction is shown rounded to 2 decimals."""
    if isinstance(value, Fraction) and value.denominator != 1:
        return f"{float(value):,.2f}"
    return f"{int(value):,}"


# --------------------------------------------------------------------------- scores


def project_scores(
    election: Election, scoring: Scoring = "auto"
) -> tuple[dict[str, Money], dict[str, int]]:
    """Return ``(score, supporters)`` per project id.

    ``votes``: the number of ballots including the project (for every vote type).
    ``points``: cumulative/scoring - the sum of points; ordinal - positional points, the
    first-ranked project gets ``L`` points, the next ``L - 1``... where ``L`` is META
    ``max_length`` when given, else the length of that ballot (this reproduces the ``score``
    column of pabulib's ordinal files). ``auto`` is ``votes`` for approval ballots and
    ``points`` otherwise.
    """
    supporters = Counter(chain.from_iterable(b.projects for b in election.ballots))
    votes = {pid: supporters.get(pid, 0) for pid in election.projects}
    vote_type = election.vote_type
    if scoring == "auto":
        scoring = "votes" if vote_type == "approval" else "points"
    if scoring == "votes" or vote_type == "approval":
        return dict(votes), votes
    points: dict[str, Money] = dict.fromkeys(election.projects, 0)
    if vote_type == "ordinal":
        raw_max = election.meta.get("max_length", "").strip()
        max_length = int(raw_max) if raw_max.isdigit() else 0
        for ballot in election.ballots:
            top = max(max_length, len(ballot.projects))
            for position, pid in enumerate(ballot.projects):
                points[pid] += top - position
    else:
        for ballot in election.ballots:
            if ballot.points is None:
                continue
            for pid, value in zip(ballot.projects, ballot.points, strict=True):
                points[pid] += value
    return points, votes


def _tie_key(
    tie_break: TieBreak, pid: str, cost: Money, supporters: int
) -> tuple[Money, int, str] | tuple[str]:
    if tie_break == TieBreak.PROJECT_ID:
        return (pid,)
    return (cost, -supporters, pid)


# --------------------------------------------------------------------------- greedy


def greedy(
    election: Election,
    *,
    threshold: Money | None = None,
    scoring: Scoring = "auto",
    tie_break: TieBreak = TieBreak.CHEAPEST,
) -> RuleResult:
    """Fund projects by decreasing score, skipping those that no longer fit.

    ``threshold``: minimum score a project needs to be eligible. ``None`` uses META
    ``min_project_score_threshold`` when the file has one; pass ``0`` to switch it off.
    Projects nobody voted for (score 0) are never funded.
    """
    budget = election.budget
    scores, supporters = project_scores(election, scoring)
    if threshold is None:
        threshold = election.min_project_score_threshold
    unit = "votes" if (scoring == "votes" or election.vote_type == "approval") else "points"
    projects = election.projects
    order = sorted(
        projects,
        key=lambda pid: (
            -scores[pid],
            _tie_key(tie_break, pid, projects[pid].cost, supporters[pid]),
        ),
    )
    remaining: Money = budget
    selected: list[str] = []
    decisions: dict[str, ProjectDecision] = {}
    for rank, pid in enumerate(order, start=1):
        cost = projects[pid].cost
        score = scores[pid]
        position: int | None = None
        if score <= 0:
            reason = Reason.NO_SUPPORT
            text = f"No {unit}: nobody voted for it."
        elif threshold is not None and score < threshold:
            reason = Reason.BELOW_THRESHOLD
            text = (
                f"{_fmt(score)} {unit}, fewer than the {_fmt(threshold)} a project needs "
                "to be eligible."
            )
        elif cost <= remaining:
            reason = Reason.SELECTED
            remaining -= cost
            selected.append(pid)
            position = len(selected)
            text = (
                f"Ranked {rank} with {_fmt(score)} {unit}; its cost {_fmt(cost)} fitted the "
                f"remaining budget ({_fmt(remaining + cost)} before, {_fmt(remaining)} after)."
            )
        else:
            reason = Reason.DID_NOT_FIT
            text = (
                f"Ranked {rank} with {_fmt(score)} {unit}, but its cost {_fmt(cost)} was more "
                f"than the {_fmt(remaining)} left when its turn came."
            )
        decisions[pid] = ProjectDecision(
            pid, cost, score, supporters[pid], reason == Reason.SELECTED, reason, text, position
        )
    return RuleResult(
        rule="greedy",
        budget=budget,
        selected=selected,
        cost=budget - remaining,
        decisions=decisions,
        threshold=threshold,
    )


# --------------------------------------------------------------------------- equal shares
#
# Method of Equal Shares for approval ballots with cost utilities (a voter's utility for a
# funded project is its cost), as defined on equalshares.net and in pabutools:
#
#   every voter gets the same share t of the budget; repeatedly fund the project whose
#   supporters can pay for it with the smallest maximum payment per unit of utility rho
#   (each supporter pays min(own remaining money, rho * cost)); stop when no project's
#   supporters can afford it.
#
# Add1 re-runs MES with t = budget/n, budget/n + 1, budget/n + 2, ... and keeps the last
# outcome whose total cost fits the real budget (it stops at the first one that does not).
# This is pabutools' exhaustion_by_budget_increase(budget_step=n, exhaustive_stop=False).
#
# Speed (each Add1 step is a full MES run, and Wieliczka 2023 needs 166 of them):
# * voters with identical ballots are one group; voters holding the same amount of money
#   form a class, so a project's supporters are summarised as {class: head count};
# * all money is an integer multiple of 1/scale, with one scale for the whole run that grows
#   only when a price does not divide evenly: no Fraction arithmetic in the loop;
# * projects are examined in order of a lower bound on their price (prices only rise as
#   voters spend), and the search stops at the first bound that cannot beat the best price
#   found; the order uses floats, but every decision is re-checked exactly.


@dataclass(slots=True)
class _MESRun:
    selected: list[int]
    rho: list[Fraction | None]
    """Price per unit of utility (= share of the cost) each supporter paid, per project."""
    left: list[Fraction]
    """Money the supporters of each project held when the run ended (explain=True only)."""


# Float keys order projects only; they never decide. A bound is taken as "clearly worse"
# only when it exceeds the best price by this relative margin, far above float rounding.
_MARGIN = 1 + 1e-9


class _EqualShares:
    """Precomputed approval data shared by every MES run of one Add1 completion."""

    def __init__(self, election: Election, tie_break: TieBreak) -> None:
        if election.vote_type != "approval":
            raise ValueError(
                f"equal shares is implemented for approval ballots, not {election.vote_type}"
            )
        self.pids = list(election.projects)
        index = {pid: j for j, pid in enumerate(self.pids)}
        self.cost: list[Money] = [election.projects[pid].cost for pid in self.pids]
        self.n = len(election.ballots)
        self.budget = election.budget
        # Every amount becomes an integer once multiplied by `unit` (1 for integer data).
        self.unit = 1
        for amount in (self.budget, *self.cost):
            if isinstance(amount, Fraction):
                self.unit = lcm(self.unit, amount.denominator)
        # Identical ballots always hold the same money: one group per distinct ballot.
        groups = Counter(frozenset(b.projects) for b in election.ballots)
        self.weight: list[int] = []
        supp: list[list[int]] = [[] for _ in self.pids]
        for g, (ballot, w) in enumerate(groups.items()):
            self.weight.append(w)
            for pid in ballot:
                supp[index[pid]].append(g)
        self.supp = supp
        self.supp_w = [[(g, self.weight[g]) for g in s] for s in supp]
        self.votes = [sum(w for _, w in s) for s in self.supp_w]
        order = sorted(
            range(len(self.pids)),
            key=lambda j: _tie_key(tie_break, self.pids[j], self.cost[j], self.votes[j]),
        )
        self.rank = [0] * len(self.pids)
        for r, j in enumerate(order):
            self.rank[j] = r
        self.free = [j for j in range(len(self.pids)) if self.votes[j] and self.cost[j] == 0]
        self.candidates = [j for j in range(len(self.pids)) if self.votes[j] and self.cost[j] > 0]

    def run(self, step: int, *, explain: bool = False) -> _MESRun:
        """One MES run where every voter starts with budget / n + step."""
        cost_units = [int(c * self.unit) for c in self.cost]
        # Money is counted in units of 1 / scale; a voter's share is budget/n + step.
        scale = self.n * self.unit
        share = int(self.budget * self.unit) + step * self.n * self.unit
        supp, supp_w, rank = self.supp, self.supp_w, self.rank
        need = [c * self.n for c in cost_units]  # project costs in the current scale
        val = [share, 0]  # money held by each class of voters
        zero = 1
        by_val = {share: 0, 0: 1}
        cls = [0] * len(self.weight)
        # Lower bound on each project's price per unit of utility (rho = num / den): with
        # everyone's full share, each supporter would pay cost / votes, i.e. rho = 1 / votes.
        key: dict[int, float] = {}
        exact: dict[int, tuple[int, int]] = {}
        for j in self.candidates:
            key[j] = 1 / self.votes[j]
            exact[j] = (1, self.votes[j])
        rho_of: list[Fraction | None] = [None] * len(self.cost)
        selected = list(self.free)
        while key:
            best = -1
            bn = bd = b_paid = b_rich = 0
            b_key = 0.0
            for j in sorted(key, key=key.__getitem__):
                if best >= 0 and key[j] > b_key:
                    ln, ld = exact[j]
                    if ln * bd > bn * ld:
                        break  # this bound, and every later one, is worse than the best
                c = need[j]
                counts: dict[int, int] = {}
                for v, w in supp_w[j]:
                    k = cls[v]
                    counts[k] = counts.get(k, 0) + w
                total = 0
                for k, w in counts.items():
                    total += w * val[k]
                if total < c:
                    # Its supporters cannot afford it now, nor later (money only decreases).
                    del key[j], exact[j]
                    continue
                # Price q per supporter: those with less than q pay everything they have.
                paid = 0
                rich = self.votes[j]
                for k in sorted(counts, key=val.__getitem__):
                    x = val[k]
                    if x * rich >= c - paid:
                        break
                    w = counts[k]
                    paid += w * x
                    rich -= w
                # rho = q / cost = (c - paid) / (rich * c)
                num, den = c - paid, rich * c
                exact[j] = (num, den)
                key[j] = num / den
                if (
                    best < 0
                    or num * bd < bn * den
                    or (num * bd == bn * den and rank[j] < rank[best])
                ):
                    best, bn, bd, b_paid, b_rich = j, num, den, paid, rich
                    b_key = key[j] * _MARGIN
            if best < 0:
                break
            del key[best], exact[best]
            selected.append(best)
            rho_of[best] = Fraction(bn, bd)
            # Each supporter pays min(own money, q) with q = top / b_rich; rescale every
            # amount first if q is not a whole number of units.
            top = need[best] - b_paid
            g = b_rich // gcd(top, b_rich)
            if g != 1:
                scale *= g
                val = [x * g for x in val]
                need = [x * g for x in need]
                by_val = {x: k for k, x in enumerate(val)}
                top *= g
            q = top // b_rich
            moved: dict[int, int] = {}
            for v in supp[best]:
                k = cls[v]
                nk = moved.get(k)
                if nk is None:
                    left_over = val[k] - q
                    if left_over <= 0:
                        nk = zero
                    else:
                        nk = by_val.get(left_over, -1)
                        if nk < 0:
                            nk = len(val)
                            val.append(left_over)
                            by_val[left_over] = nk
                    moved[k] = nk
                cls[v] = nk
        left: list[Fraction] = [Fraction(0)] * len(self.cost)
        if explain:
            for j in self.candidates:
                if rho_of[j] is None:
                    left[j] = Fraction(sum(val[cls[v]] * w for v, w in supp_w[j]), scale)
        return _MESRun(selected, rho_of, left)

    def outcome_cost(self, run: _MESRun) -> Money:
        return sum((self.cost[j] for j in run.selected), 0)


def equal_shares(
    election: Election,
    *,
    completion: Literal["add1", "none"] = "add1",
    tie_break: TieBreak = TieBreak.CHEAPEST,
) -> RuleResult:
    """Method of Equal Shares (approval ballots, cost utilities) with Add1 completion.

    With ``completion="none"`` a single MES run with the real budget is returned.
    """
    budget = election.budget
    mes = _EqualShares(election, tie_break)
    notes: list[str] = []
    if mes.n == 0:
        return _mes_result(election, mes, None, 0, 0, notes)
    step = 0
    runs = 1
    if completion == "add1":
        if sum((mes.cost[j] for j in mes.candidates), 0) <= budget:
            # Everything anybody voted for fits, so no step is ever over budget: like
            # pabutools, Add1 then goes up to its last step, a total of budget * (n + 1).
            step = int(budget)
            notes.append("Every project with a supporter fits in the budget together.")
        else:
            # Step 0 (the real budget) always fits; stop at the first step that does not.
            # Like pabutools, never go past a total of budget * (n + 1), i.e. step = budget.
            last = int(budget)
            while step < last:
                runs += 1
                if mes.outcome_cost(mes.run(step + 1)) > budget:
                    notes.append(
                        f"Raising every voter's share by {step + 1} would have funded projects "
                        f"costing more than the budget, so Add1 stopped at a raise of {step}."
                    )
                    break
                step += 1
    return _mes_result(election, mes, mes.run(step, explain=True), step, runs, notes)


def _mes_result(
    election: Election,
    mes: _EqualShares,
    run: _MESRun | None,
    step: int,
    runs: int,
    notes: list[str],
) -> RuleResult:
    budget = election.budget
    share = Fraction(budget) / mes.n + step if mes.n else Fraction(0)
    selected = [mes.pids[j] for j in run.selected] if run else []
    position = {j: i for i, j in enumerate(run.selected, start=1)} if run else {}
    decisions: dict[str, ProjectDecision] = {}
    for j, pid in enumerate(mes.pids):
        cost, votes = mes.cost[j], mes.votes[j]
        if run is not None and j in position:
            rho = run.rho[j]
            if rho is None:
                text = "Costs nothing and has supporters."
            else:
                text = (
                    f"Funded in round {position[j]}: its {votes:,} supporters paid at most "
                    f"{_fmt(rho * cost)} each, from shares of {_fmt(share)} per voter."
                )
            reason = Reason.SELECTED
        elif run is None or votes == 0:
            reason = Reason.NO_SUPPORT
            text = "Nobody voted for it."
        else:
            reason = Reason.NOT_AFFORDABLE
            text = (
                f"Its {votes:,} supporters had only {_fmt(run.left[j])} left of their "
                f"shares ({_fmt(share)} per voter), less than its cost {_fmt(cost)}."
            )
        decisions[pid] = ProjectDecision(
            pid, cost, votes, votes, reason == Reason.SELECTED, reason, text, position.get(j)
        )
    return RuleResult(
        rule="equal-shares",
        budget=budget,
        selected=selected,
        cost=mes.outcome_cost(run) if run else 0,
        decisions=decisions,
        voter_share=share,
        add1_steps=step,
        runs=runs,
        notes=notes,
    )


def selection_cost(election: Election, project_ids: Sequence[str]) -> Money:
    """Total cost of the given projects."""
    return sum((election.projects[pid].cost for pid in project_ids), 0)


RULES = ("greedy", "equal-shares")


def tally(election: Election, rule: str, *, threshold: Money | None = None) -> RuleResult:
    """Run a rule by its public name (``greedy`` or ``equal-shares``)."""
    if rule == "greedy":
        return greedy(election, threshold=threshold)
    if rule == "equal-shares":
        if threshold is not None:
            raise ValueError("a threshold applies to the greedy rule only")
        return equal_shares(election)
    raise ValueError(f"unknown rule {rule!r}; choose one of {', '.join(RULES)}")
