"""What pages show: ballot input parsing, the translated reason each project was or was not
funded, and the numbers behind the results chart."""

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.http import QueryDict
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ecitizen.budgeting.models import Budget, BudgetResult, Project
from ecitizen.core.money import currency_exponent, format_money


def parse_choice(
    budget: Budget, projects: list[Project], data: QueryDict
) -> tuple[dict[int, int], dict[int, str], list[tuple[str, str]]]:
    """Read a ballot from a form: ``project`` checkboxes (approval) or ``points-<id>`` numbers
    (cumulative). Returns (choice, raw points as typed, [(anchor, message)] for bad input)."""
    choice: dict[int, int] = {}
    raw: dict[int, str] = {}
    errors: list[tuple[str, str]] = []
    if not budget.is_cumulative:
        wanted = set(data.getlist("project"))
        for project in projects:
            if str(project.pk) in wanted:
                choice[project.pk] = 1
        if wanted - {str(p.pk) for p in projects}:
            errors.append(("", _("One of your choices is not on the ballot. Choose again.")))
        return choice, raw, errors
    for project in projects:
        value = (data.get(f"points-{project.pk}") or "").strip()
        raw[project.pk] = value
        if not value:
            continue
        if not value.isdigit():
            errors.append(
                (
                    f"points-{project.pk}",
                    _("Enter a whole number of points for “%(title)s”, or leave it empty.")
                    % {"title": project},
                )
            )
            continue
        if int(value):
            choice[project.pk] = int(value)
    return choice, raw, errors


def ballot_anchor(budget: Budget, projects: list[Project]) -> str:
    """Where an error about the whole ballot links to: its first control."""
    if not projects:
        return ""
    return f"points-{projects[0].pk}" if budget.is_cumulative else f"project-{projects[0].pk}"


def voter_share_minor(result: BudgetResult, currency: str) -> int | None:
    if not result.voter_share:
        return None
    share = Fraction(result.voter_share) * 10 ** currency_exponent(currency)
    return round(share)


def score_text(budget: Budget, score: int | str, supporters: int) -> str:
    if budget.is_cumulative:
        points = int(Fraction(score))
        return ngettext("%(n)s point", "%(n)s points", points) % {
            "n": number_format(points, force_grouping=True)
        }
    return ngettext("%(n)s vote", "%(n)s votes", supporters) % {
        "n": number_format(supporters, force_grouping=True)
    }


def reason_text(budget: Budget, result: BudgetResult, project: Project, d: dict[str, Any]) -> str:
    """Why a project was or was not funded, in the reader's language."""
    cost = format_money(project.cost, budget.currency)
    score = score_text(budget, d["score"], int(d["supporters"]))
    reason = d["reason"]
    if reason == "no-support":
        return _("Not funded: nobody voted for it.")
    if result.rule == Budget.Rule.EQUAL_SHARES:
        share_minor = voter_share_minor(result, budget.currency)
        share = format_money(share_minor, budget.currency) if share_minor is not None else ""
        supporters = number_format(int(d["supporters"]), force_grouping=True)
        if reason == "selected":
            return _(
                "Funded: its %(supporters)s supporters could pay its cost of %(cost)s from "
                "their equal shares of the budget (about %(share)s each)."
            ) % {"supporters": supporters, "cost": cost, "share": share}
        return _(
            "Not funded: its %(supporters)s supporters did not have enough left of their "
            "equal shares (about %(share)s each) to pay its cost of %(cost)s; their money "
            "went to projects they also chose that more people shared."
        ) % {"supporters": supporters, "cost": cost, "share": share}
    if reason == "selected":
        return _(
            "Funded: with %(score)s it was among the most supported, and its cost of %(cost)s "
            "fitted in what was left of the budget."
        ) % {"score": score, "cost": cost}
    if reason == "below-threshold":
        return _(
            "Not funded: %(score)s, fewer than the %(threshold)s a project needs to be funded."
        ) % {"score": score, "threshold": number_format(result.threshold or 0, force_grouping=True)}
    return _(
        "Not funded: %(score)s, but its cost of %(cost)s was more than what was left of the "
        "budget when its turn came."
    ) % {"score": score, "cost": cost}


@dataclass
class ResultRow:
    project: Project
    selected: bool
    position: int | None
    score: int
    supporters: int
    score_label: str
    reason: str
    bar: int
    """Bar length, 0-100, relative to the most supported project."""


def result_rows(budget: Budget, result: BudgetResult, projects: list[Project]) -> list[ResultRow]:
    """Every project of the result: funded ones first in the order they were funded, then
    the others by decreasing support."""
    rows: list[ResultRow] = []
    decisions = result.decisions
    top = max((int(Fraction(d["score"])) for d in decisions.values()), default=0) or 1
    for project in projects:
        d = decisions.get(str(project.pk))
        if d is None:
            continue
        score = int(Fraction(d["score"]))
        rows.append(
            ResultRow(
                project=project,
                selected=bool(d["selected"]),
                position=d["position"],
                score=score,
                supporters=int(d["supporters"]),
                score_label=score_text(budget, d["score"], int(d["supporters"])),
                reason=reason_text(budget, result, project, d),
                bar=round(score * 100 / top),
            )
        )
    rows.sort(key=lambda r: (not r.selected, r.position or 0, -r.score, r.project.pk))
    return rows


def ballot_rules(budget: Budget) -> list[str]:
    """The budget's ballot and winner rules in plain language, one sentence each."""
    money = lambda amount: format_money(amount, budget.currency)  # noqa: E731
    lines: list[str] = []
    if budget.is_cumulative:
        total = budget.points_total or 0
        lines.append(
            ngettext(
                "Share out up to %(n)s point between the projects you support.",
                "Share out up to %(n)s points between the projects you support.",
                total,
            )
            % {"n": total}
        )
        if budget.max_points_per_project:
            lines.append(
                ngettext(
                    "Give at most %(n)s point to one project.",
                    "Give at most %(n)s points to one project.",
                    budget.max_points_per_project,
                )
                % {"n": budget.max_points_per_project}
            )
    else:
        lines.append(_("Tick every project you support."))
    least, most = max(1, budget.min_projects), budget.max_projects
    if most is not None and most == least:
        lines.append(
            ngettext("Choose exactly %(n)s project.", "Choose exactly %(n)s projects.", most)
            % {"n": most}
        )
    elif most is not None:
        lines.append(_("Choose between %(least)s and %(most)s projects.") % {
            "least": least, "most": most})  # fmt: skip
    elif least > 1:
        lines.append(
            ngettext("Choose at least %(n)s project.", "Choose at least %(n)s projects.", least)
            % {"n": least}
        )
    if budget.budget_limit:
        lines.append(
            _("The projects you choose may cost at most %(amount)s together.")
            % {"amount": money(budget.amount)}
        )
    if budget.min_spend_percent:
        lines.append(
            _(
                "The projects you choose must cost at least %(least)s together (%(percent)s%% of "
                "the budget)."
            )
            % {"least": money(budget.min_spend), "percent": budget.min_spend_percent}
        )
    return lines


def winner_rule_text(budget: Budget) -> str:
    if budget.rule == Budget.Rule.EQUAL_SHARES:
        return _(
            "Winners are chosen with the Method of Equal Shares: the budget is split equally "
            "between voters, and a project is funded when its supporters can pay for it "
            "together from their shares. Groups of people who want different things each "
            "get a fair part of the budget."
        )
    text = _(
        "Winners are chosen by votes: the project with the most votes is funded first, "
        "then the next one, as long as the money lasts. A project that costs more than "
        "what is left is skipped, and a cheaper one further down may still be funded."
    )
    if budget.min_votes:
        text += " " + ngettext(
            "A project needs at least %(n)s vote to be funded.",
            "A project needs at least %(n)s votes to be funded.",
            budget.min_votes,
        ) % {"n": number_format(budget.min_votes, force_grouping=True)}
    return text


def who_can_vote(budget: Budget) -> str:
    where = budget.area if budget.area_id else None
    if where is not None and budget.minimum_age:
        return _("Residents of %(area)s aged %(age)s or over, with a confirmed email address.") % {
            "area": where,
            "age": budget.minimum_age,
        }
    if where is not None:
        return _("Residents of %(area)s with a confirmed email address.") % {"area": where}
    if budget.minimum_age:
        return _("Residents aged %(age)s or over, with a confirmed email address.") % {
            "age": budget.minimum_age
        }
    return _("Residents with a confirmed email address.")
