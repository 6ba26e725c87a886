"""Every write for participatory budgeting: keyword-only, atomic, audited.

Errors are ``django.core.exceptions.ValidationError`` with translated messages (a dict of
field -> messages where a form field is to blame), so pages show them at the right place.
The winner rules are ``ecitizen.budgeting.rules``; nothing here re-implements them.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import pairwise
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import formats, timezone, translation
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _

from ecitizen.accounts.models import User
from ecitizen.accounts.selectors import (
    national_id_hash,
    normalize_national_id,
    profile_by_national_id,
    profile_for,
)
from ecitizen.applications.uploads import ValidatedUpload
from ecitizen.audit.models import PersonalDataAccess
from ecitizen.audit.services import audit_record, personal_data_access_record
from ecitizen.budgeting import pabulib, rules
from ecitizen.budgeting.election import budget_election, to_major, to_minor
from ecitizen.budgeting.models import (
    BallotContent,
    BallotParticipation,
    Budget,
    BudgetResult,
    ImplementationUpdate,
    Milestone,
    PaperBallot,
    Process,
    Project,
    ProjectImage,
)
from ecitizen.budgeting.selectors import (
    ballot_projects,
    ballot_token,
    residence_and_age_problems,
    voter_eligibility,
    voting_problem,
)
from ecitizen.core.models import Agency, Area
from ecitizen.core.money import format_money

IMAGE_TYPES = ["image/png", "image/jpeg", "image/webp"]
IMAGE_MAX_SIZE = 5 * 1024 * 1024
MAX_IMAGES = 3


# --------------------------------------------------------------------------- processes


@transaction.atomic
def process_save(
    *,
    actor: User | None,
    agency: Agency,
    slug: str,
    title: dict[str, str],
    description: dict[str, str],
    ideas_from: Any,
    review_from: Any,
    voting_from: Any,
    results_from: Any,
    implementation_from: Any,
    is_published: bool = False,
    process: Process | None = None,
) -> Process:
    """Create or change a process. Phases must follow each other in order."""
    dates = [ideas_from, review_from, voting_from, results_from, implementation_from]
    if any(later < earlier for earlier, later in pairwise(dates)) or results_from <= voting_from:
        raise ValidationError(
            {"voting_from": _("Each phase must start after the one before it.")},
            code="phase_order",
        )
    if not (title.get("en") or "").strip():
        raise ValidationError({"title_en": _("Enter a title in English.")}, code="required")
    others = Process.objects.filter(slug=slug)
    if process is not None:
        others = others.exclude(pk=process.pk)
    if others.exists():
        raise ValidationError({"slug": _("Another process uses this web address.")})
    created = process is None
    if process is None:
        process = Process()
    process.agency = agency
    process.slug = slug
    process.title = {k: v.strip() for k, v in title.items() if v and v.strip()}
    process.description = {k: v.strip() for k, v in description.items() if v and v.strip()}
    process.ideas_from = ideas_from
    process.review_from = review_from
    process.voting_from = voting_from
    process.results_from = results_from
    process.implementation_from = implementation_from
    process.is_published = is_published
    process.save()
    audit_record(
        actor=actor,
        action="budgeting.process.created" if created else "budgeting.process.changed",
        obj=process,
        data={"slug": slug, "published": is_published},
    )
    return process


BUDGET_RULE_FIELDS = (
    "ballot_kind",
    "budget_limit",
    "min_projects",
    "max_projects",
    "min_spend_percent",
    "points_total",
    "max_points_per_project",
    "rule",
    "min_votes",
    "minimum_age",
)


@transaction.atomic
def budget_save(
    *,
    actor: User | None,
    process: Process,
    area: Area | None,
    amount: int,
    currency: str,
    title: dict[str, str] | None = None,
    ballot_kind: str = Budget.BallotKind.APPROVAL,
    budget_limit: bool = True,
    min_projects: int = 1,
    max_projects: int | None = None,
    min_spend_percent: int = 0,
    points_total: int | None = None,
    max_points_per_project: int | None = None,
    rule: str = Budget.Rule.GREEDY,
    min_votes: int = 0,
    minimum_age: int = 0,
    budget: Budget | None = None,
) -> Budget:
    """Create or change a budget. Its ballot rules are frozen once someone has voted."""
    errors: dict[str, list[str]] = {}
    if amount <= 0:
        errors.setdefault("amount", []).append(_("Enter an amount greater than zero."))
    if ballot_kind == Budget.BallotKind.CUMULATIVE and not points_total:
        errors.setdefault("points_total", []).append(
            _("Say how many points each voter shares out.")
        )
    if rule == Budget.Rule.EQUAL_SHARES and ballot_kind != Budget.BallotKind.APPROVAL:
        errors.setdefault("rule", []).append(
            _("The Method of Equal Shares works with approval ballots only.")
        )
    if max_projects is not None and max_projects < min_projects:
        errors.setdefault("max_projects", []).append(
            _("The maximum number of projects cannot be less than the minimum.")
        )
    if min_spend_percent > 100:
        errors.setdefault("min_spend_percent", []).append(_("Enter a percentage up to 100."))
    if min_votes and rule != Budget.Rule.GREEDY:
        errors.setdefault("min_votes", []).append(
            _("A minimum number of votes applies to the greedy rule only.")
        )
    others = Budget.objects.filter(process=process, area=area)
    if budget is not None:
        others = others.exclude(pk=budget.pk)
    if others.exists():
        errors.setdefault("area", []).append(_("This process already has a budget for this area."))
    created = budget is None
    if budget is None:
        budget = Budget(process=process, ballot_key=secrets.token_urlsafe(32))
    values = {
        "ballot_kind": ballot_kind,
        "budget_limit": budget_limit,
        "min_projects": min_projects,
        "max_projects": max_projects,
        "min_spend_percent": min_spend_percent,
        "points_total": points_total if ballot_kind == Budget.BallotKind.CUMULATIVE else None,
        "max_points_per_project": max_points_per_project
        if ballot_kind == Budget.BallotKind.CUMULATIVE
        else None,
        "rule": rule,
        "min_votes": min_votes,
        "minimum_age": minimum_age,
    }
    if not created and (
        BallotParticipation.objects.filter(budget=budget).exists()
        or BallotContent.objects.filter(budget=budget).exists()
    ):
        changed = [k for k, v in values.items() if getattr(budget, k) != v]
        if changed or amount != budget.amount or currency != budget.currency:
            errors.setdefault("__all__", []).append(
                _(
                    "People have already voted: the amount and the ballot rules can no longer "
                    "change."
                )
            )
    if errors:
        raise ValidationError(errors)
    budget.area = area
    budget.title = {k: v.strip() for k, v in (title or {}).items() if v and v.strip()}
    budget.amount = amount
    budget.currency = currency.upper()
    for key, value in values.items():
        setattr(budget, key, value)
    budget.save()
    audit_record(
        actor=actor,
        action="budgeting.budget.created" if created else "budgeting.budget.changed",
        obj=budget,
        data={"process": process.pk, "amount": amount, "currency": budget.currency, **values},
    )
    return budget


# --------------------------------------------------------------------------- ideas


def _next_code(budget: Budget) -> str:
    numbers = [
        int(c)
        for c in Project.objects.filter(budget=budget).values_list("code", flat=True)
        if c.isdigit()
    ]
    return str(max(numbers, default=0) + 1)


def _store_images(
    *,
    project: Project,
    uploads: list[ValidatedUpload],
    alt_texts: list[str],
    actor: User | None,
    update: ImplementationUpdate | None = None,
) -> None:
    for upload, alt in zip(uploads, alt_texts, strict=False):
        image = ProjectImage(
            project=project,
            update=update,
            content_type=upload.content_type,
            size=upload.size,
            sha256=upload.sha256,
            alt_text=alt.strip()[:300],
            uploaded_by=actor,
        )
        image.file.save(upload.storage_name, upload.file, save=False)
        image.save()


@transaction.atomic
def idea_submit(
    *,
    actor: User,
    budget: Budget,
    title: str,
    description: str,
    location: str = "",
    area: Area | None = None,
    estimated_cost: int,
    images: list[ValidatedUpload] | None = None,
    image_descriptions: list[str] | None = None,
) -> Project:
    """A resident proposes an idea for a budget during the idea phase."""
    process = budget.process
    if process.phase != "ideas":
        raise ValidationError(_("Ideas can only be submitted while idea submission is open."))
    problems: dict[str, list[str]] = {}
    if not title.strip():
        problems["title"] = [_("Enter a title for your idea.")]
    if not description.strip():
        problems["description"] = [_("Describe your idea.")]
    if estimated_cost <= 0:
        problems["estimated_cost"] = [_("Enter an estimated cost greater than zero.")]
    elif estimated_cost > budget.amount:
        problems["estimated_cost"] = [
            _("The estimated cost cannot be more than the whole budget (%(amount)s).")
            % {"amount": format_money(budget.amount, budget.currency)}
        ]
    if len(images or []) > MAX_IMAGES:
        problems["images"] = [
            ngettext("Add at most %(n)s picture.", "Add at most %(n)s pictures.", MAX_IMAGES)
            % {"n": MAX_IMAGES}
        ]
    if problems:
        raise ValidationError(problems)
    language = (get_language() or "en")[:2]
    project = Project.objects.create(
        budget=budget,
        code=_next_code(budget),
        title={language: title.strip()},
        description={language: description.strip()},
        location=location.strip(),
        area=area or budget.area,
        estimated_cost=estimated_cost,
        submitted_by=actor,
    )
    _store_images(
        project=project,
        uploads=images or [],
        alt_texts=image_descriptions or [""] * len(images or []),
        actor=actor,
    )
    audit_record(
        actor=actor,
        action="budgeting.idea.submitted",
        obj=project,
        data={"budget": budget.pk, "estimated_cost": estimated_cost},
    )
    return project


class Review:
    FEASIBLE = "feasible"
    ACCEPT = "accept"
    REJECT = "reject"
    MERGE = "merge"


@transaction.atomic
def idea_review(
    *,
    actor: User,
    project: Project,
    decision: str,
    final_cost: int | None = None,
    reason: str = "",
    merge_into: Project | None = None,
) -> Project:
    """Staff review an idea: feasible (with its final cost), accepted onto the ballot,
    rejected with a reason, or merged into another idea of the same budget."""
    project = (
        Project.objects.select_for_update(of=("self",))
        .select_related("budget__process")
        .get(pk=project.pk)
    )
    budget = project.budget
    if budget.process.phase_at() not in ("upcoming", "ideas", "review"):
        raise ValidationError(_("Ideas can no longer be reviewed: voting has started."))
    if project.status == Project.Status.MERGED:
        raise ValidationError(_("This idea was merged into another one."))
    reason = reason.strip()
    errors: dict[str, list[str]] = {}
    if decision in (Review.FEASIBLE, Review.ACCEPT):
        cost = final_cost if final_cost is not None else project.final_cost
        if cost is None or cost <= 0:
            errors["final_cost"] = [_("Enter the final cost.")]
        elif cost > budget.amount:
            errors["final_cost"] = [_("The final cost cannot be more than the whole budget.")]
        else:
            project.final_cost = cost
        project.status = (
            Project.Status.ACCEPTED if decision == Review.ACCEPT else Project.Status.FEASIBLE
        )
        project.merged_into = None
    elif decision == Review.REJECT:
        if not reason:
            errors["reason"] = [
                _(
                    "Say why the idea cannot go ahead: the person who sent it and the public "
                    "will see this."
                )
            ]
        project.status = Project.Status.REJECTED
    elif decision == Review.MERGE:
        if merge_into is None or merge_into.pk == project.pk or merge_into.budget_id != budget.pk:
            errors["merge_into"] = [_("Choose another idea of the same budget.")]
        elif merge_into.status in (Project.Status.MERGED, Project.Status.REJECTED):
            errors["merge_into"] = [_("Choose an idea that is still going ahead.")]
        project.status = Project.Status.MERGED
        project.merged_into = merge_into
    else:
        errors["decision"] = [_("Choose a decision.")]
    if errors:
        raise ValidationError(errors)
    project.status_reason = {(get_language() or "en")[:2]: reason} if reason else {}
    project.reviewed_by = actor
    project.reviewed_at = timezone.now()
    project.save()
    if decision == Review.MERGE:
        # Ideas already merged into this one follow it.
        Project.objects.filter(merged_into=project).update(merged_into=merge_into)
    audit_record(
        actor=actor,
        action=f"budgeting.idea.{project.status}",
        obj=project,
        data={
            "final_cost": project.final_cost,
            "reason": reason,
            "merged_into": getattr(merge_into, "pk", None),
        },
    )
    return project


# --------------------------------------------------------------------------- ballots


@dataclass
class BallotCheck:
    """A ballot checked against its budget's rules, with the running totals a voter sees."""

    budget: Budget
    choice: dict[int, int]
    """Project id -> points (1 for approval ballots); only projects with points."""
    chosen: list[Project] = field(default_factory=list)
    total_cost: int = 0
    points_used: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def remaining(self) -> int:
        return self.budget.amount - self.total_cost

    @property
    def over_budget(self) -> int:
        return max(0, -self.remaining)

    @property
    def points_left(self) -> int:
        return (self.budget.points_total or 0) - self.points_used

    @property
    def percent_spent(self) -> int:
        return min(100, self.total_cost * 100 // self.budget.amount) if self.budget.amount else 0


def ballot_validate(
    *, budget: Budget, choice: dict[int, int], projects: list[Project] | None = None
) -> BallotCheck:
    """Check a ballot against the budget's rules; every problem is a translated sentence
    that says what to do. ``projects``: the ballot's projects, if already loaded."""
    if projects is None:
        projects = ballot_projects(budget)
    by_id = {p.pk: p for p in projects}
    money = lambda amount: format_money(amount, budget.currency)  # noqa: E731
    choice = {int(k): int(v) for k, v in choice.items() if int(v) != 0}
    check = BallotCheck(budget=budget, choice=choice)
    errors = check.errors
    if any(pid not in by_id for pid in choice) or any(v < 0 for v in choice.values()):
        errors.append(_("One of your choices is not on the ballot. Choose again."))
        choice = {pid: v for pid, v in choice.items() if pid in by_id and v > 0}
        check.choice = choice
    if not budget.is_cumulative:
        choice = dict.fromkeys(choice, 1)
        check.choice = choice
    check.chosen = [p for p in projects if p.pk in choice]
    check.total_cost = sum(p.cost for p in check.chosen)
    check.points_used = sum(choice.values())
    count = len(check.chosen)
    if budget.is_cumulative:
        total = budget.points_total or 0
        if budget.max_points_per_project and any(
            v > budget.max_points_per_project for v in choice.values()
        ):
            errors.append(
                ngettext(
                    "You can give at most %(n)s point to one project.",
                    "You can give at most %(n)s points to one project.",
                    budget.max_points_per_project,
                )
                % {"n": budget.max_points_per_project}
            )
        if check.points_used > total:
            errors.append(
                ngettext(
                    "You have given %(used)s points, but you have only %(n)s point to share "
                    "out. Take away %(over)s.",
                    "You have given %(used)s points, but you have only %(n)s points to share "
                    "out. Take away %(over)s.",
                    total,
                )
                % {"used": check.points_used, "n": total, "over": check.points_used - total}
            )
    least = max(1, budget.min_projects)
    if count == 0:
        errors.append(
            _("Give points to at least one project.")
            if budget.is_cumulative and least == 1
            else _("Choose at least one project.")
            if least == 1
            else ngettext(
                "Choose at least %(n)s project.", "Choose at least %(n)s projects.", least
            )
            % {"n": least}
        )
    elif count < least:
        errors.append(
            ngettext(
                "Choose at least %(n)s project. You have chosen %(count)s.",
                "Choose at least %(n)s projects. You have chosen %(count)s.",
                least,
            )
            % {"n": least, "count": count}
        )
    if budget.max_projects is not None and count > budget.max_projects:
        errors.append(
            ngettext(
                "Choose at most %(n)s project. You have chosen %(count)s.",
                "Choose at most %(n)s projects. You have chosen %(count)s.",
                budget.max_projects,
            )
            % {"n": budget.max_projects, "count": count}
        )
    if budget.budget_limit and check.total_cost > budget.amount:
        errors.append(
            _(
                "Your choices cost %(total)s, which is %(over)s more than the budget of "
                "%(budget)s. Remove a project or choose a cheaper one."
            )
            % {
                "total": money(check.total_cost),
                "over": money(check.over_budget),
                "budget": money(budget.amount),
            }
        )
    if count and budget.min_spend_percent and check.total_cost < budget.min_spend:
        errors.append(
            _(
                "Your choices must add up to at least %(least)s (%(percent)s%% of the "
                "budget); they add up to %(total)s. Choose more projects."
            )
            % {
                "least": money(budget.min_spend),
                "percent": budget.min_spend_percent,
                "total": money(check.total_cost),
            }
        )
    return check


def _content_fields(budget: Budget, choice: dict[int, int]) -> dict[str, Any]:
    ids = sorted(choice)
    return {
        "projects": ids,
        "points": [choice[i] for i in ids] if budget.is_cumulative else None,
    }


@dataclass(frozen=True)
class BallotConfirmation:
    participation: BallotParticipation
    changed: bool


@transaction.atomic
def ballot_confirm(*, actor: User, budget: Budget, choice: dict[int, int]) -> BallotConfirmation:
    """Record a resident's confirmed online ballot, or replace their earlier one: the last
    confirmed ballot counts. One participation per person per budget is guaranteed by the
    database's unique constraints, also when two requests arrive at once."""
    budget = Budget.objects.select_related("process", "area").get(pk=budget.pk)
    problem = voting_problem(budget)
    if problem:
        raise ValidationError(problem, code="closed")
    problems = voter_eligibility(budget=budget, user=actor)
    if problems:
        raise ValidationError(problems, code="not_eligible")
    check = ballot_validate(budget=budget, choice=choice)
    if not check.ok:
        raise ValidationError(check.errors, code="invalid_ballot")
    profile = profile_for(actor)
    now = timezone.now()
    changed = False
    try:
        with transaction.atomic():
            participation = BallotParticipation.objects.create(
                budget=budget,
                voter=actor,
                national_id_hash=profile.national_id_hash,
                channel=BallotParticipation.Channel.ONLINE,
                confirmed_at=now,
            )
    except IntegrityError:
        found = (
            BallotParticipation.objects.select_for_update()
            .filter(budget=budget, voter=actor)
            .first()
        )
        if found is None:
            raise ValidationError(
                _("A ballot has already been recorded for you in this budget."),
                code="already_voted",
            ) from None
        if found.channel != BallotParticipation.Channel.ONLINE:
            raise ValidationError(
                _("You voted on paper in this budget, so you cannot vote online as well."),
                code="voted_on_paper",
            ) from None
        participation = found
        participation.changed_at = now
        participation.times_changed += 1
        participation.save(update_fields=["changed_at", "times_changed"])
        changed = True
    BallotContent.objects.update_or_create(
        budget=budget,
        token=ballot_token(budget, actor.pk),
        defaults={**_content_fields(budget, check.choice), "source": BallotContent.Source.ONLINE},
    )
    # Closing takes a lock on the budget row; a ballot racing with it must not slip in.
    if not Budget.objects.filter(pk=budget.pk, status=Budget.Status.OPEN).exists():
        raise ValidationError(_("Voting has closed."), code="closed")
    audit_record(
        actor=actor,
        action="budgeting.ballot.changed" if changed else "budgeting.ballot.confirmed",
        obj=participation,
        data={"budget": budget.pk},
    )
    return BallotConfirmation(participation, changed)


# --------------------------------------------------------------------------- paper ballots


@transaction.atomic
def paper_voter_mark(
    *, actor: User, budget: Budget, national_id: str, identity_checked: bool
) -> BallotParticipation:
    """Mark a person as having voted on paper (the polling station's register). The slip
    they put in the box is typed in separately and carries no name."""
    budget = Budget.objects.select_related("process", "area").get(pk=budget.pk)
    problem = voting_problem(budget)
    if problem:
        raise ValidationError(problem)
    errors: dict[str, list[str]] = {}
    nid = normalize_national_id(national_id)
    if not nid:
        errors["national_id"] = [_("Enter the voter's national ID number.")]
    if not identity_checked:
        errors["identity_checked"] = [
            _("Confirm that you checked the voter's identity document, address and age.")
        ]
    if errors:
        raise ValidationError(errors)
    profile = profile_by_national_id(nid)
    voter = None
    if profile is not None:
        voter = profile.user
        personal_data_access_record(
            accessor=actor,
            subject=voter,
            what=gettext_lazy("Your district and age, to check you may vote on paper"),
            purpose=PersonalDataAccess.Purpose.ASSISTED_SERVICE,
        )
        problems = residence_and_age_problems(budget, profile)
        if problems:
            raise ValidationError(
                {"national_id": [_("This person may not vote in this budget."), *problems]}
            )
    try:
        with transaction.atomic():
            participation = BallotParticipation.objects.create(
                budget=budget,
                voter=voter,
                national_id_hash=national_id_hash(nid),
                channel=BallotParticipation.Channel.PAPER,
                recorded_by=actor,
            )
    except IntegrityError:
        raise ValidationError(
            {"national_id": [_("This person has already voted in this budget.")]},
            code="already_voted",
        ) from None
    audit_record(
        actor=actor,
        action="budgeting.paper_voter.marked",
        obj=participation,
        data={"budget": budget.pk},
    )
    return participation


def _entry(budget: Budget, choice: dict[int, int]) -> dict[str, Any]:
    choice = {int(k): int(v) for k, v in choice.items() if int(v) > 0}
    if not budget.is_cumulative:
        choice = dict.fromkeys(choice, 1)
    return _content_fields(budget, choice)


def _entry_choice(entry: dict[str, Any]) -> dict[int, int]:
    points = entry.get("points") or [1] * len(entry["projects"])
    return dict(zip(entry["projects"], points, strict=True))


def _count_slip(slip: PaperBallot, entry: dict[str, Any], status: str) -> None:
    budget = slip.budget
    check = ballot_validate(budget=budget, choice=_entry_choice(entry))
    if not check.ok:
        slip.status = PaperBallot.Status.INVALID
        with translation.override("en"):
            english = ballot_validate(budget=budget, choice=_entry_choice(entry)).errors
        slip.note = (slip.note + "\n" if slip.note else "") + " ".join(english)
        return
    slip.content = BallotContent.objects.create(
        budget=budget, source=BallotContent.Source.PAPER, token=None, **_entry(budget, check.choice)
    )
    slip.status = status


def _paper_counting_open(budget: Budget) -> None:
    if budget.status == Budget.Status.TALLIED:
        raise ValidationError(_("The votes of this budget have been counted already."))
    if timezone.now() < budget.process.voting_from:
        raise ValidationError(_("Voting has not started yet."))


@transaction.atomic
def paper_ballot_enter(
    *, actor: User, budget: Budget, serial: str, choice: dict[int, int]
) -> PaperBallot:
    """Type in a paper slip. The first entry is stored; the second, by someone else, is
    compared with it: equal entries count the slip, different ones flag it."""
    budget = Budget.objects.select_related("process").get(pk=budget.pk)
    _paper_counting_open(budget)
    serial = "".join(serial.split()).upper()
    if not serial:
        raise ValidationError({"serial": [_("Enter the number printed on the ballot.")]})
    projects = {p.pk for p in ballot_projects(budget)}
    if any(int(pid) not in projects for pid in choice):
        raise ValidationError(_("One of the choices is not on the ballot."))
    entry = _entry(budget, choice)
    slip = PaperBallot.objects.select_for_update().filter(budget=budget, serial=serial).first()
    if slip is None:
        try:
            with transaction.atomic():
                slip = PaperBallot.objects.create(
                    budget=budget, serial=serial, first_entry=entry, first_by=actor
                )
        except IntegrityError:
            raise ValidationError(
                {"serial": [_("Someone is entering this ballot right now. Try again.")]}
            ) from None
        action = "budgeting.paper_ballot.first_entry"
    elif slip.status != PaperBallot.Status.AWAITING_SECOND:
        raise ValidationError(
            {
                "serial": [
                    _("Ballot %(serial)s has been entered twice already.") % {"serial": serial}
                ]
            }
        )
    elif slip.first_by_id == actor.pk:
        raise ValidationError(
            {
                "serial": [
                    _(
                        "You entered ballot %(serial)s the first time. A different member of "
                        "staff must enter it the second time."
                    )
                    % {"serial": serial}
                ]
            }
        )
    else:
        slip.second_entry = entry
        slip.second_by = actor
        slip.second_at = timezone.now()
        if entry == slip.first_entry:
            _count_slip(slip, entry, PaperBallot.Status.MATCHED)
        else:
            slip.status = PaperBallot.Status.MISMATCH
        slip.save()
        action = f"budgeting.paper_ballot.{slip.status}"
    audit_record(actor=actor, action=action, obj=slip, data={"budget": budget.pk, "serial": serial})
    return slip


@transaction.atomic
def paper_ballot_resolve(
    *, actor: User, slip: PaperBallot, choice: dict[int, int], note: str
) -> PaperBallot:
    """A supervisor reads a flagged slip again and enters what it really says."""
    slip = (
        PaperBallot.objects.select_for_update(of=("self",))
        .select_related("budget__process")
        .get(pk=slip.pk)
    )
    _paper_counting_open(slip.budget)
    if slip.status != PaperBallot.Status.MISMATCH:
        raise ValidationError(_("Only a ballot whose two entries differ needs checking."))
    if actor.pk in (slip.first_by_id, slip.second_by_id):
        raise ValidationError(_("Someone who did not type in this ballot must check it."))
    if not note.strip():
        raise ValidationError({"note": [_("Say what you found on the ballot.")]})
    projects = {p.pk for p in ballot_projects(slip.budget)}
    if any(int(pid) not in projects for pid in choice):
        raise ValidationError(_("One of the choices is not on the ballot."))
    entry = _entry(slip.budget, choice)
    slip.resolved_entry = entry
    slip.resolved_by = actor
    slip.resolved_at = timezone.now()
    slip.note = note.strip()
    _count_slip(slip, entry, PaperBallot.Status.RESOLVED)
    slip.save()
    audit_record(
        actor=actor,
        action=f"budgeting.paper_ballot.{slip.status}",
        obj=slip,
        data={"budget": slip.budget_id, "serial": slip.serial},
    )
    return slip


# --------------------------------------------------------------------------- close and tally


@transaction.atomic
def budget_close(*, actor: User | None, budget: Budget) -> Budget:
    """End voting: no more online ballots, and the link between voters and ballots is
    destroyed (the budget's secret is emptied and every ballot token blanked)."""
    budget = (
        Budget.objects.select_for_update(of=("self",)).select_related("process").get(pk=budget.pk)
    )
    if budget.status != Budget.Status.OPEN:
        raise ValidationError(_("Voting in this budget is closed already."))
    if timezone.now() < budget.process.results_from:
        raise ValidationError(
            _("Voting is open until %(date)s. You can close it after that.")
            % {
                "date": formats.date_format(
                    timezone.localtime(budget.process.results_from), "DATETIME_FORMAT"
                )
            }
        )
    budget.status = Budget.Status.CLOSED
    budget.closed_at = timezone.now()
    budget.ballot_key = ""
    budget.save(update_fields=["status", "closed_at", "ballot_key"])
    BallotContent.objects.filter(budget=budget, token__isnull=False).update(token=None)
    audit_record(actor=actor, action="budgeting.budget.closed", obj=budget)
    return budget


def _json_number(value: pabulib.Money) -> int | str:
    if isinstance(value, Fraction) and value.denominator != 1:
        return str(value)
    return int(value)


@transaction.atomic
def budget_tally(*, actor: User | None, budget: Budget) -> BudgetResult:
    """Count the anonymous ballots with the budget's rule (``ecitizen.budgeting.rules``) and
    store the result with the reason for every project. Deterministic: the same ballots
    always give the same result."""
    budget = (
        Budget.objects.select_for_update(of=("self",))
        .select_related("process", "area")
        .get(pk=budget.pk)
    )
    if budget.status == Budget.Status.OPEN:
        raise ValidationError(_("Close voting before counting the votes."))
    pending = PaperBallot.objects.filter(
        budget=budget,
        status__in=[PaperBallot.Status.AWAITING_SECOND, PaperBallot.Status.MISMATCH],
    ).count()
    if pending:
        raise ValidationError(
            ngettext(
                "%(n)s paper ballot still needs its second entry or a check.",
                "%(n)s paper ballots still need their second entry or a check.",
                pending,
            )
            % {"n": pending}
        )
    started = time.perf_counter()
    projects = ballot_projects(budget)
    election = budget_election(budget, projects=projects, for_counting=True)
    if budget.rule == Budget.Rule.EQUAL_SHARES:
        outcome = rules.equal_shares(election)
        threshold = None
    else:
        outcome = rules.greedy(election, threshold=budget.min_votes)
        threshold = budget.min_votes
    pk_of = {p.code: p.pk for p in projects}
    decisions = {
        str(pk_of[code]): {
            "score": _json_number(d.score),
            "supporters": d.supporters,
            "selected": d.selected,
            "reason": str(d.reason),
            "position": d.position,
            "explanation": d.explanation,
        }
        for code, d in outcome.decisions.items()
    }
    result, _created = BudgetResult.objects.update_or_create(
        budget=budget,
        defaults={
            "rule": budget.rule,
            "threshold": threshold or None,
            "ballots_counted": len(election.ballots),
            "selected": [pk_of[code] for code in outcome.selected],
            "cost": to_minor(outcome.cost, budget.currency),
            "decisions": decisions,
            "voter_share": str(outcome.voter_share) if outcome.voter_share is not None else "",
            "add1_steps": outcome.add1_steps,
            "notes": outcome.notes,
            "seconds": time.perf_counter() - started,
            "computed_at": timezone.now(),
            "computed_by": actor,
        },
    )
    budget.status = Budget.Status.TALLIED
    budget.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="budgeting.budget.tallied",
        obj=budget,
        data={
            "rule": budget.rule,
            "ballots": len(election.ballots),
            "selected": result.selected,
            "cost": result.cost,
        },
    )
    return result


# --------------------------------------------------------------------------- .pb import


@dataclass(frozen=True)
class ImportSummary:
    projects: int
    ballots: int


def _pb_error(message: str) -> ValidationError:
    return ValidationError({"file": [message]}, code="invalid_pb")


@transaction.atomic
def budget_import_pb(*, actor: User | None, budget: Budget, text: str) -> ImportSummary:
    """Load a pabulib ``.pb`` file into an empty budget: its amount, ballot rules and winner
    rule from META, its projects (on the ballot), and - into a budget whose voting is closed
    - its ballots, as anonymous ballots (voter ids in the file are not kept)."""
    budget = (
        Budget.objects.select_for_update(of=("self",)).select_related("process").get(pk=budget.pk)
    )
    try:
        election = pabulib.parse(text)
    except pabulib.PabulibError as exc:
        raise _pb_error(_("This is not a valid .pb file: %(detail)s") % {"detail": exc}) from exc
    if (
        Project.objects.filter(budget=budget).exists()
        or BallotContent.objects.filter(budget=budget).exists()
    ):
        raise _pb_error(_("Import into a budget that has no projects and no ballots yet."))
    if election.vote_type not in ("approval", "cumulative"):
        raise _pb_error(
            _("Only approval and cumulative ballots can be imported; this file has %(kind)s.")
            % {"kind": election.vote_type}
        )
    if election.ballots and budget.status != Budget.Status.CLOSED:
        raise _pb_error(_("Ballots can only be imported into a budget whose voting is closed."))
    meta = election.meta
    currency = (meta.get("currency") or budget.currency).strip().upper()[:3]
    try:
        amount = to_minor(election.budget, currency)
        costs = {pid: to_minor(p.cost, currency) for pid, p in election.projects.items()}
    except ValueError as exc:
        raise _pb_error(
            _("An amount in the file has more decimals than %(currency)s allows.")
            % {"currency": currency}
        ) from exc
    if any(cost > amount for cost in costs.values()):
        pass  # allowed: such a project can never be funded, as in the source election

    def meta_int(key: str) -> int | None:
        raw = meta.get(key, "").strip()
        return int(raw) if raw.isdigit() else None

    rule_name = meta.get("rule", "").strip().lower()
    rule = Budget.Rule.EQUAL_SHARES if rule_name.startswith("equalshares") else Budget.Rule.GREEDY
    kind = (
        Budget.BallotKind.CUMULATIVE
        if election.vote_type == "cumulative"
        else Budget.BallotKind.APPROVAL
    )
    if kind == Budget.BallotKind.CUMULATIVE:
        rule = Budget.Rule.GREEDY
    threshold = election.min_project_score_threshold if rule == Budget.Rule.GREEDY else None
    budget.amount = amount
    budget.currency = currency
    budget.ballot_kind = kind
    budget.rule = rule
    budget.min_votes = int(threshold) if threshold else 0
    budget.budget_limit = "max_sum_cost" in meta
    budget.min_projects = meta_int("min_length") or 1
    budget.max_projects = meta_int("max_length")
    if budget.max_projects is not None and budget.max_projects < budget.min_projects:
        budget.max_projects = None
    budget.min_spend_percent = 0
    if kind == Budget.BallotKind.CUMULATIVE:
        budget.points_total = (
            meta_int("max_sum_points")
            or max((sum(int(x) for x in b.points or ()) for b in election.ballots), default=10)
            or 10
        )
        budget.max_points_per_project = meta_int("max_points")
    else:
        budget.points_total = None
        budget.max_points_per_project = None
    budget.save()
    projects = Project.objects.bulk_create(
        [
            Project(
                budget=budget,
                code=pid,
                title={meta.get("language", "en")[:2] or "en": p.name or pid, "en": p.name or pid},
                description={},
                area=budget.area,
                estimated_cost=costs[pid],
                final_cost=costs[pid],
                status=Project.Status.ACCEPTED,
                reviewed_by=actor,
                reviewed_at=timezone.now(),
            )
            for pid, p in election.projects.items()
        ]
    )
    pk_of = {p.code: p.pk for p in projects}
    if not all(p.pk for p in projects):  # backends that do not return ids from bulk inserts
        pk_of = dict(Project.objects.filter(budget=budget).values_list("code", "pk"))
    contents = []
    for ballot in election.ballots:
        if election.vote_type == "cumulative":
            pairs = sorted(
                (pk_of[pid], int(v))
                for pid, v in zip(ballot.projects, ballot.points or (), strict=True)
                if v
            )
            contents.append(
                BallotContent(
                    budget=budget,
                    projects=[p for p, _ in pairs],
                    points=[v for _, v in pairs],
                    source=BallotContent.Source.IMPORTED,
                )
            )
        else:
            contents.append(
                BallotContent(
                    budget=budget,
                    projects=sorted(pk_of[pid] for pid in ballot.projects),
                    points=None,
                    source=BallotContent.Source.IMPORTED,
                )
            )
    BallotContent.objects.bulk_create(contents, batch_size=5000)
    audit_record(
        actor=actor,
        action="budgeting.budget.imported",
        obj=budget,
        data={"projects": len(projects), "ballots": len(contents), "rule": rule},
    )
    return ImportSummary(len(projects), len(contents))


# --------------------------------------------------------------------------- implementation


@transaction.atomic
def implementation_update_post(
    *,
    actor: User,
    project: Project,
    status: str,
    progress: int,
    note: dict[str, str],
    photos: list[ValidatedUpload] | None = None,
    photo_descriptions: list[str] | None = None,
) -> ImplementationUpdate:
    """Tell residents how a funded project is going."""
    result = BudgetResult.objects.filter(budget_id=project.budget_id).first()
    if result is None or project.pk not in result.selected:
        raise ValidationError(_("Only funded projects have implementation updates."))
    errors: dict[str, list[str]] = {}
    if status not in ImplementationUpdate.Status.values:
        errors["status"] = [_("Choose a status.")]
    if not 0 <= progress <= 100:
        errors["progress"] = [_("Enter a progress between 0 and 100%.")]
    if not (note.get("en") or "").strip():
        errors["note_en"] = [_("Say what happened, in English at least.")]
    if len(photos or []) > MAX_IMAGES:
        errors["photos"] = [
            ngettext("Add at most %(n)s photo.", "Add at most %(n)s photos.", MAX_IMAGES)
            % {"n": MAX_IMAGES}
        ]
    if errors:
        raise ValidationError(errors)
    update = ImplementationUpdate.objects.create(
        project=project,
        status=status,
        progress=progress,
        note={k: v.strip() for k, v in note.items() if v and v.strip()},
        posted_by=actor,
    )
    _store_images(
        project=project,
        uploads=photos or [],
        alt_texts=photo_descriptions or [""] * len(photos or []),
        actor=actor,
        update=update,
    )
    audit_record(
        actor=actor,
        action="budgeting.implementation.updated",
        obj=update,
        data={"project": project.pk, "status": status, "progress": progress},
    )
    return update


@transaction.atomic
def milestone_save(
    *,
    actor: User,
    project: Project,
    title: dict[str, str],
    planned_for: Any = None,
    reached_on: Any = None,
    milestone: Milestone | None = None,
) -> Milestone:
    if not (title.get("en") or "").strip():
        raise ValidationError({"title_en": [_("Name the milestone, in English at least.")]})
    created = milestone is None
    if milestone is None:
        milestone = Milestone(project=project)
    milestone.title = {k: v.strip() for k, v in title.items() if v and v.strip()}
    milestone.planned_for = planned_for
    milestone.reached_on = reached_on
    milestone.save()
    audit_record(
        actor=actor,
        action="budgeting.milestone.created" if created else "budgeting.milestone.changed",
        obj=milestone,
        data={"project": project.pk, "reached_on": reached_on},
    )
    return milestone


__all__ = [
    "BallotCheck",
    "BallotConfirmation",
    "ImportSummary",
    "Review",
    "ballot_confirm",
    "ballot_validate",
    "budget_close",
    "budget_import_pb",
    "budget_save",
    "budget_tally",
    "idea_review",
    "idea_submit",
    "implementation_update_post",
    "milestone_save",
    "paper_ballot_enter",
    "paper_ballot_resolve",
    "paper_voter_mark",
    "process_save",
    "to_major",
]
