"""Reads for participatory budgeting, scoped to what the requester may see.

Residents see published processes, and projects once staff have reviewed them (an idea is
also visible to the person who submitted it). Staff see the processes of their agency
(platform administrators see every one). Nothing here ever returns a ballot's content with
a person, except ``voter_current_ballot``, which gives a voter their *own* ballot while
voting is open (computed from the voter's id and the budget's secret, which closing the
vote destroys).
"""

import datetime
import hashlib
import hmac
from collections import Counter
from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from ecitizen.accounts.models import Profile, StaffRole, User
from ecitizen.accounts.selectors import profile_for, staff_roles, user_has_role
from ecitizen.budgeting.models import (
    BallotContent,
    BallotParticipation,
    Budget,
    ImplementationUpdate,
    Milestone,
    PaperBallot,
    Process,
    Project,
    ProjectImage,
)

Role = StaffRole.Role
MANAGER_ROLES = (Role.AGENCY_ADMIN,)
"""Set up processes and budgets, review ideas, close and count, post updates (and platform
administrators, who hold every role)."""
PAPER_ROLES = (Role.CASE_OFFICER, Role.AGENCY_ADMIN)
"""Mark paper voters and type in paper ballots."""

PUBLIC_STATUSES = (
    Project.Status.FEASIBLE,
    Project.Status.ACCEPTED,
    Project.Status.REJECTED,
    Project.Status.MERGED,
)


# --------------------------------------------------------------------------- residents


def processes_public() -> QuerySet[Process]:
    return Process.objects.filter(is_published=True).prefetch_related(
        Prefetch("budgets", queryset=Budget.objects.select_related("area"))
    )


def process_public_get(slug: str) -> Process:
    process = processes_public().filter(slug=slug).first()
    if process is None:
        raise Http404
    return process


def budget_public_get(process: Process, budget_id: int) -> Budget:
    for budget in process.budgets.all():
        if budget.pk == budget_id:
            budget.process = process
            return budget
    raise Http404


def ballot_projects(budget: Budget) -> list[Project]:
    """The projects on the ballot, in ballot order."""
    return list(
        Project.objects.filter(budget=budget, status=Project.Status.ACCEPTED)
        .select_related("area")
        .order_by("id")
    )


def budget_projects_public(budget: Budget, *, user: User | None = None) -> list[Project]:
    """Reviewed projects of a budget (and the user's own ideas), with their first image."""
    visible = Q(status__in=PUBLIC_STATUSES)
    if user is not None and user.is_authenticated:
        visible |= Q(submitted_by=user)
    return list(
        Project.objects.filter(visible, budget=budget)
        .select_related("area", "merged_into")
        .prefetch_related(
            Prefetch("images", queryset=ProjectImage.objects.filter(update__isnull=True))
        )
        .order_by("status", "id")
    )


def project_public_get(pk: int, *, user: User | None = None) -> Project:
    visible = Q(status__in=PUBLIC_STATUSES)
    if user is not None and user.is_authenticated:
        visible |= Q(submitted_by=user)
    project = (
        Project.objects.filter(visible, pk=pk, budget__process__is_published=True)
        .select_related("budget__process", "budget__area", "area", "merged_into")
        .prefetch_related(
            Prefetch("images", queryset=ProjectImage.objects.filter(update__isnull=True)),
            Prefetch(
                "updates",
                queryset=ImplementationUpdate.objects.prefetch_related("photos"),
            ),
            "milestones",
        )
        .first()
    )
    if project is None:
        raise Http404
    return project


def image_public_get(pk: int, *, user: User | None = None) -> ProjectImage:
    """An image of a visible project, or a photo of one of its implementation updates."""
    visible = Q(project__status__in=PUBLIC_STATUSES)
    if user is not None and user.is_authenticated:
        visible |= Q(project__submitted_by=user) | Q(
            project__budget__process__agency__in=staff_agency_ids(user)
        )
        if user_has_role(user, Role.PLATFORM_ADMIN):
            visible = Q()
    image = ProjectImage.objects.filter(visible, pk=pk).first()
    if image is None:
        raise Http404
    return image


def my_ideas(user: User, process: Process) -> list[Project]:
    return list(
        Project.objects.filter(submitted_by=user, budget__process=process)
        .select_related("budget__area")
        .order_by("-created_at")
    )


def funded_projects(process: Process) -> list[Project]:
    """Projects the results funded, with their updates (newest first) and milestones."""
    funded_ids: list[int] = []
    for budget in process.budgets.all():
        result = getattr(budget, "result", None) if budget.status == Budget.Status.TALLIED else None
        if result is not None:
            funded_ids += [int(pk) for pk in result.selected]
    return list(
        Project.objects.filter(pk__in=funded_ids)
        .select_related("budget__area", "area")
        .prefetch_related(
            Prefetch("updates", queryset=ImplementationUpdate.objects.prefetch_related("photos")),
            "milestones",
        )
        .order_by("budget_id", "id")
    )


def process_with_results(slug: str) -> Process:
    process = (
        Process.objects.filter(is_published=True, slug=slug)
        .prefetch_related(
            Prefetch("budgets", queryset=Budget.objects.select_related("area", "result"))
        )
        .first()
    )
    if process is None:
        raise Http404
    return process


# --------------------------------------------------------------------------- eligibility


def age_on(date_of_birth: datetime.date, day: datetime.date) -> int:
    years = day.year - date_of_birth.year
    if (day.month, day.day) < (date_of_birth.month, date_of_birth.day):
        years -= 1
    return years


def area_covers(budget: Budget, area_id: int | None, area_parent_id: int | None) -> bool:
    if area_id is None:
        return False
    if budget.area_id is None:
        return True
    return budget.area_id in (area_id, area_parent_id)


def residence_and_age_problems(
    budget: Budget, profile: Profile, *, when: datetime.datetime | None = None
) -> list[str]:
    """Why this profile may not vote in this budget (district and age), if it may not."""
    problems: list[str] = []
    area = profile.area
    if area is None:
        problems.append(
            _("Add your district to your profile: only residents can vote in this budget.")
        )
    elif not area_covers(budget, area.pk, area.parent_id):
        problems.append(
            _(
                "Only residents of %(area)s can vote in this budget. Your profile says you "
                "live in %(yours)s."
            )
            % {"area": budget.area, "yours": area}
        )
    if budget.minimum_age:
        today = timezone.localdate(when or timezone.now())
        if profile.date_of_birth is None:
            problems.append(
                _(
                    "Add your date of birth to your profile: you must be %(age)s or older "
                    "to vote in this budget."
                )
                % {"age": budget.minimum_age}
            )
        elif age_on(profile.date_of_birth, today) < budget.minimum_age:
            problems.append(
                _("You must be %(age)s or older to vote in this budget.")
                % {"age": budget.minimum_age}
            )
    return problems


def has_verified_email(user: User) -> bool:
    return EmailAddress.objects.filter(user=user, verified=True).exists()


def voter_eligibility(
    *, budget: Budget, user: User, when: datetime.datetime | None = None
) -> list[str]:
    """Why ``user`` may not vote online in ``budget`` (empty when they may): a verified email
    address, a district within the budget's area, and the minimum age."""
    if not user.is_authenticated:
        return [_("Sign in to vote.")]
    problems: list[str] = []
    if not has_verified_email(user):
        problems.append(
            _("Confirm your email address before you vote: open the link we emailed you.")
        )
    profile = profile_for(user)
    problems += residence_and_age_problems(budget, profile, when=when)
    return problems


def voting_problem(budget: Budget, *, when: datetime.datetime | None = None) -> str:
    """Why no ballot can be cast in this budget now, or ``""``."""
    process = budget.process
    when = when or timezone.now()
    if budget.status != Budget.Status.OPEN or when >= process.results_from:
        return _("Voting has closed.")
    if when < process.voting_from:
        return _("Voting has not started yet.")
    return ""


# --------------------------------------------------------------------------- own ballot


def ballot_token(budget: Budget, voter_id: int) -> str:
    """The token of a voter's online ballot: HMAC-SHA256 of the voter's id under the
    budget's secret. Meaningless once the secret is destroyed at the close."""
    if not budget.ballot_key:
        raise ValueError("this budget's ballot secret was destroyed when voting closed")
    message = f"budgeting.ballot\x00{budget.pk}\x00{voter_id}".encode()
    return hmac.new(budget.ballot_key.encode(), message, hashlib.sha256).hexdigest()


def voter_participation(*, budget: Budget, user: User) -> BallotParticipation | None:
    if not user.is_authenticated:
        return None
    return BallotParticipation.objects.filter(budget=budget, voter=user).first()


def voter_current_ballot(*, budget: Budget, user: User) -> dict[int, int] | None:
    """The voter's own confirmed online ballot ({project id: points}), while voting is open.
    ``None`` after the close: by then nobody, the voter included, can find it."""
    if not user.is_authenticated or budget.status != Budget.Status.OPEN or not budget.ballot_key:
        return None
    content = BallotContent.objects.filter(
        budget=budget, token=ballot_token(budget, user.pk)
    ).first()
    if content is None:
        return None
    points = content.points or [1] * len(content.projects)
    return dict(zip(content.projects, points, strict=True))


# --------------------------------------------------------------------------- staff


def staff_agency_ids(user: User) -> list[int]:
    return [r.agency_id for r in staff_roles(user) if r.agency_id is not None]


def staff_processes(user: User) -> QuerySet[Process]:
    """Processes this member of staff may work on: their agencies' (all, for platform
    administrators)."""
    processes = Process.objects.select_related("agency").prefetch_related(
        Prefetch("budgets", queryset=Budget.objects.select_related("area"))
    )
    if user_has_role(user, Role.PLATFORM_ADMIN):
        return processes
    return processes.filter(agency_id__in=staff_agency_ids(user))


def staff_process_get(user: User, pk: int, *roles: str) -> Process:
    process = staff_processes(user).filter(pk=pk).first()
    if process is None or not user_has_role(user, *roles, agency_id=process.agency_id):
        raise Http404
    return process


def staff_budget_get(user: User, pk: int, *roles: str) -> Budget:
    budget = Budget.objects.select_related("process__agency", "area").filter(pk=pk).first()
    if budget is None or not user_has_role(user, *roles, agency_id=budget.process.agency_id):
        raise Http404
    return budget


def staff_project_get(user: User, pk: int, *roles: str) -> Project:
    project = (
        Project.objects.select_related(
            "budget__process__agency", "budget__area", "area", "submitted_by", "merged_into"
        )
        .prefetch_related("images", "updates", "milestones")
        .filter(pk=pk)
        .first()
    )
    if project is None or not user_has_role(
        user, *roles, agency_id=project.budget.process.agency_id
    ):
        raise Http404
    return project


def ideas_for_review(process: Process, *, status: str = "") -> list[Project]:
    ideas = Project.objects.filter(budget__process=process).select_related(
        "budget__area", "area", "merged_into"
    )
    if status:
        ideas = ideas.filter(status=status)
    return list(ideas.order_by("budget_id", "id"))


@dataclass
class BudgetCounts:
    """Counts for the staff page of a budget: how many people voted (by channel), how many
    ballots exist (by source), and paper slips by status."""

    voters_online: int = 0
    voters_paper: int = 0
    ballots: Counter[str] = field(default_factory=Counter)
    slips: Counter[str] = field(default_factory=Counter)

    @property
    def voters(self) -> int:
        return self.voters_online + self.voters_paper

    @property
    def ballots_total(self) -> int:
        return sum(self.ballots.values())

    @property
    def slips_pending(self) -> int:
        return (
            self.slips[PaperBallot.Status.AWAITING_SECOND] + self.slips[PaperBallot.Status.MISMATCH]
        )

    @property
    def slips_counted(self) -> int:
        return self.slips[PaperBallot.Status.MATCHED] + self.slips[PaperBallot.Status.RESOLVED]


def budget_counts(budget: Budget) -> BudgetCounts:
    counts = BudgetCounts()
    for channel, n in (
        BallotParticipation.objects.filter(budget=budget)
        .values_list("channel")
        .annotate(n=Count("id"))
        .order_by()
    ):
        if channel == BallotParticipation.Channel.ONLINE:
            counts.voters_online = n
        else:
            counts.voters_paper = n
    counts.ballots = Counter(
        dict(
            BallotContent.objects.filter(budget=budget)
            .values_list("source")
            .annotate(n=Count("id"))
            .order_by()
        )
    )
    counts.slips = Counter(
        dict(
            PaperBallot.objects.filter(budget=budget)
            .values_list("status")
            .annotate(n=Count("id"))
            .order_by()
        )
    )
    return counts


def paper_ballots(budget: Budget, *, status: str = "") -> list[PaperBallot]:
    slips = PaperBallot.objects.filter(budget=budget).select_related(
        "first_by", "second_by", "resolved_by"
    )
    if status:
        slips = slips.filter(status=status)
    return list(slips.order_by("status", "serial"))


def project_milestones(project: Project) -> list[Milestone]:
    return list(project.milestones.all())
