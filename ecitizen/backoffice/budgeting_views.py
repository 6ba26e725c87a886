"""Staff pages for participatory budgeting: processes and budgets, idea review, paper ballots
(voter register and double entry), close and count, .pb import and export, implementation
updates.

Agency administrators manage their agency's processes (platform administrators every
process); case officers of the agency may also mark paper voters and type in paper ballots.
No staff page shows what any person voted: only counts, and paper slips by their number.
"""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ecitizen.accounts.models import StaffRole
from ecitizen.accounts.permissions import staff_required
from ecitizen.accounts.selectors import staff_roles, user_has_role
from ecitizen.accounts.types import AuthedRequest
from ecitizen.budgeting import pabulib, selectors
from ecitizen.budgeting.election import budget_election, to_major
from ecitizen.budgeting.forms import (
    BudgetForm,
    ImportForm,
    MilestoneForm,
    PaperVoterForm,
    ProcessForm,
    ResolveForm,
    ReviewForm,
    SerialForm,
    UpdateForm,
    initial_translations,
    translations,
)
from ecitizen.budgeting.models import Budget, Milestone, PaperBallot, Process
from ecitizen.budgeting.presentation import parse_choice
from ecitizen.budgeting.services import (
    budget_close,
    budget_import_pb,
    budget_save,
    budget_tally,
    idea_review,
    implementation_update_post,
    milestone_save,
    paper_ballot_enter,
    paper_ballot_resolve,
    paper_voter_mark,
    process_save,
)
from ecitizen.core.i18n import tr
from ecitizen.core.models import Agency
from ecitizen.core.money import to_minor

Role = StaffRole.Role
MANAGERS = selectors.MANAGER_ROLES
PAPER = selectors.PAPER_ROLES
ANY_BUDGET_ROLE = (Role.AGENCY_ADMIN, Role.CASE_OFFICER)
MAX_IMPORT_SIZE = 50 * 1024 * 1024


def _apply_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            for error in errors:
                form.add_error(name if name in form.fields else None, error)
    else:
        for message in exc.messages:
            form.add_error(None, message)


def _managed_agencies(request: AuthedRequest) -> list[Agency]:
    if user_has_role(request.user, Role.PLATFORM_ADMIN):
        return list(Agency.objects.filter(is_active=True))
    return [r.agency for r in staff_roles(request.user) if r.role == Role.AGENCY_ADMIN and r.agency]


def _can_manage(request: AuthedRequest, process: Process) -> bool:
    return user_has_role(request.user, *MANAGERS, agency_id=process.agency_id)


# --------------------------------------------------------------------------- processes


@staff_required(*ANY_BUDGET_ROLE)
def home(request: AuthedRequest) -> HttpResponse:
    processes = list(selectors.staff_processes(request.user))
    context = {
        "processes": processes,
        "can_create": bool(_managed_agencies(request)),
        "now": timezone.now(),
    }
    return render(request, "backoffice/budgeting/home.html", context)


@staff_required(*MANAGERS)
def process_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    process = selectors.staff_process_get(request.user, pk, *MANAGERS) if pk else None
    agencies = _managed_agencies(request)
    if not agencies:
        raise Http404
    initial: dict[str, Any] = {}
    if process is not None:
        initial = {
            "agency": process.agency_id,
            "slug": process.slug,
            "is_published": process.is_published,
            **{
                f: timezone.localtime(getattr(process, f))
                for f in (
                    "ideas_from",
                    "review_from",
                    "voting_from",
                    "results_from",
                    "implementation_from",
                )
            },
            **initial_translations(process.title, "title"),
            **initial_translations(process.description, "description"),
        }
    form = ProcessForm(request.POST or None, initial=initial, agencies=agencies)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            process = process_save(
                actor=request.user,
                process=process,
                agency=data["agency"],
                slug=data["slug"],
                title=translations(data, "title"),
                description=translations(data, "description"),
                ideas_from=data["ideas_from"],
                review_from=data["review_from"],
                voting_from=data["voting_from"],
                results_from=data["results_from"],
                implementation_from=data["implementation_from"],
                is_published=data["is_published"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The process is saved."))
            return redirect("backoffice:budgeting_process", process.pk)
    context = {
        "form": form,
        "title": _("Change the process") if process else _("New participatory budgeting process"),
        "back": reverse("backoffice:budgeting_process", args=[process.pk])
        if process
        else reverse("backoffice:budgeting_home"),
        "submit": _("Save"),
    }
    return render(request, "backoffice/budgeting/form.html", context)


@staff_required(*ANY_BUDGET_ROLE)
def process_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    process = selectors.staff_process_get(request.user, pk, *ANY_BUDGET_ROLE)
    budgets = list(process.budgets.all())
    context = {
        "process": process,
        "phase": process.phase,
        "budgets": [(b, selectors.budget_counts(b)) for b in budgets],
        "ideas": selectors.ideas_for_review(process),
        "can_manage": _can_manage(request, process),
    }
    return render(request, "backoffice/budgeting/process.html", context)


@staff_required(*MANAGERS)
def budget_edit(
    request: AuthedRequest, pk: int | None = None, budget_id: int | None = None
) -> HttpResponse:
    if budget_id is not None:
        budget: Budget | None = selectors.staff_budget_get(request.user, budget_id, *MANAGERS)
        assert budget is not None
        process = budget.process
    else:
        budget = None
        process = selectors.staff_process_get(request.user, pk or 0, *MANAGERS)
    initial: dict[str, Any] = {"ballot_kind": "approval", "rule": "greedy", "budget_limit": True}
    if budget is not None:
        initial = {
            "area": budget.area_id,
            "currency": budget.currency,
            "amount": to_major(budget.amount, budget.currency),
            **{
                name: getattr(budget, name)
                for name in (
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
            },
            **initial_translations(budget.title, "title"),
        }
    form = BudgetForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            budget = budget_save(
                actor=request.user,
                process=process,
                budget=budget,
                area=data["area"],
                title=translations(data, "title"),
                amount=to_minor(data["amount"], data["currency"]),
                currency=data["currency"],
                ballot_kind=data["ballot_kind"],
                budget_limit=data["budget_limit"],
                min_projects=data["min_projects"],
                max_projects=data["max_projects"],
                min_spend_percent=data["min_spend_percent"],
                points_total=data["points_total"],
                max_points_per_project=data["max_points_per_project"],
                rule=data["rule"],
                min_votes=data["min_votes"],
                minimum_age=data["minimum_age"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The budget is saved."))
            return redirect("backoffice:budgeting_budget", budget.pk)
    context = {
        "form": form,
        "title": _("Change the budget") if budget else _("New budget"),
        "back": reverse("backoffice:budgeting_process", args=[process.pk]),
        "submit": _("Save"),
    }
    return render(request, "backoffice/budgeting/form.html", context)


# --------------------------------------------------------------------------- ideas


@staff_required(*MANAGERS)
def idea_review_view(request: AuthedRequest, project_id: int) -> HttpResponse:
    project = selectors.staff_project_get(request.user, project_id, *MANAGERS)
    budget = project.budget
    initial = {
        "final_cost": to_major(project.final_cost, budget.currency)
        if project.final_cost is not None
        else None,
        "reason": tr(project.status_reason),
    }
    form = ReviewForm(request.POST or None, initial=initial, project=project)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        cost = data["final_cost"]
        try:
            idea_review(
                actor=request.user,
                project=project,
                decision=data["decision"],
                final_cost=to_minor(cost, budget.currency) if cost is not None else None,
                reason=data["reason"],
                merge_into=data["merge_into"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The decision is saved."))
            return redirect("backoffice:budgeting_process", budget.process_id)
    context = {"project": project, "budget": budget, "form": form}
    return render(request, "backoffice/budgeting/review.html", context)


# --------------------------------------------------------------------------- one budget


@staff_required(*ANY_BUDGET_ROLE)
def budget_detail(request: AuthedRequest, budget_id: int) -> HttpResponse:
    budget = selectors.staff_budget_get(request.user, budget_id, *ANY_BUDGET_ROLE)
    result = getattr(budget, "result", None) if budget.status == Budget.Status.TALLIED else None
    projects = selectors.ballot_projects(budget)
    context = {
        "budget": budget,
        "process": budget.process,
        "counts": selectors.budget_counts(budget),
        "projects": projects,
        "funded": set(result.selected) if result else set(),
        "result": result,
        "can_manage": _can_manage(request, budget.process),
        "voting_over": timezone.now() >= budget.process.results_from,
        "import_form": ImportForm(),
    }
    return render(request, "backoffice/budgeting/budget.html", context)


@staff_required(*MANAGERS)
@require_POST
def budget_close_view(request: AuthedRequest, budget_id: int) -> HttpResponse:
    budget = selectors.staff_budget_get(request.user, budget_id, *MANAGERS)
    try:
        budget_close(actor=request.user, budget=budget)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("Voting is closed. Nothing links a voter to a ballot any more.")
        )
    return redirect("backoffice:budgeting_budget", budget.pk)


@staff_required(*MANAGERS)
@require_POST
def budget_tally_view(request: AuthedRequest, budget_id: int) -> HttpResponse:
    budget = selectors.staff_budget_get(request.user, budget_id, *MANAGERS)
    try:
        result = budget_tally(actor=request.user, budget=budget)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("The votes are counted: %(n)s ballots, %(funded)s projects funded.")
            % {"n": result.ballots_counted, "funded": len(result.selected)},
        )
    return redirect("backoffice:budgeting_budget", budget.pk)


@staff_required(*MANAGERS)
def budget_export(request: AuthedRequest, budget_id: int) -> HttpResponse:
    """The budget as a pabulib ``.pb`` file: projects, and - once voting is closed - the
    anonymous ballots (numbered 1, 2, 3... in an order that says nothing about who or when)
    and, once counted, the outcome."""
    budget = selectors.staff_budget_get(request.user, budget_id, *MANAGERS)
    result = getattr(budget, "result", None) if budget.status == Budget.Status.TALLIED else None
    election = budget_election(
        budget,
        with_ballots=budget.status != Budget.Status.OPEN,
        outcome=result.decisions if result else None,
    )
    response = HttpResponse(pabulib.write(election), content_type="text/plain; charset=utf-8")
    filename = f"{budget.process.slug}-{budget.area.code if budget.area else 'city'}.pb"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@staff_required(*MANAGERS)
def budget_import(request: AuthedRequest, budget_id: int) -> HttpResponse:
    budget = selectors.staff_budget_get(request.user, budget_id, *MANAGERS)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_IMPORT_SIZE:
            form.add_error("file", _("The file must be smaller than 50 MB."))
        else:
            try:
                text = upload.read().decode("utf-8-sig")
                summary = budget_import_pb(actor=request.user, budget=budget, text=text)
            except UnicodeDecodeError:
                form.add_error("file", _("The file must be UTF-8 text."))
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Imported %(projects)s projects and %(ballots)s ballots.")
                    % {"projects": summary.projects, "ballots": summary.ballots},
                )
                return redirect("backoffice:budgeting_budget", budget.pk)
    context = {
        "form": form,
        "title": _("Import a .pb file"),
        "intro": _(
            "The budget must have no projects yet. Its amount, ballot rules and winner rule "
            "are taken from the file. Ballots can only be imported once voting is closed."
        ),
        "back": reverse("backoffice:budgeting_budget", args=[budget.pk]),
        "submit": _("Import"),
        "multipart": True,
    }
    return render(request, "backoffice/budgeting/form.html", context)


# --------------------------------------------------------------------------- paper


@staff_required(*PAPER)
def paper(request: AuthedRequest, budget_id: int) -> HttpResponse:
    """The polling-station desk: mark a voter in the register; list of slips by number."""
    budget = selectors.staff_budget_get(request.user, budget_id, *PAPER)
    form = PaperVoterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            paper_voter_mark(
                actor=request.user,
                budget=budget,
                national_id=form.cleaned_data["national_id"],
                identity_checked=form.cleaned_data["identity_checked"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("The voter is marked as having voted. Give them a ballot paper."),
            )
            return redirect("backoffice:budgeting_paper", budget.pk)
    context = {
        "budget": budget,
        "process": budget.process,
        "form": form,
        "counts": selectors.budget_counts(budget),
        "slips": selectors.paper_ballots(budget),
        "can_resolve": _can_manage(request, budget.process),
    }
    return render(request, "backoffice/budgeting/paper.html", context)


def _choice_page(
    request: AuthedRequest,
    *,
    budget: Budget,
    template_context: dict[str, Any],
    extra_form: Any,
    save: Any,
) -> HttpResponse | None:
    """Shared by the paper-slip entry and resolution pages: parse the choices, call ``save``;
    returns a response to render on errors, None on success."""
    projects = selectors.ballot_projects(budget)
    choice: dict[int, int] = {}
    raw: dict[int, str] = {}
    errors: list[tuple[str, str]] = []
    if request.method == "POST":
        choice, raw, errors = parse_choice(budget, projects, request.POST)
        if extra_form.is_valid() and not errors:
            try:
                save(choice, extra_form.cleaned_data)
            except ValidationError as exc:
                _apply_errors(extra_form, exc)
            else:
                return None
    for name, field_errors in extra_form.errors.items():
        anchor = extra_form[name].auto_id if name in extra_form.fields else ""
        errors += [(anchor, str(e)) for e in field_errors]
    context = {
        **template_context,
        "budget": budget,
        "process": budget.process,
        "projects": projects,
        "chosen": choice,
        "raw": raw,
        "errors": errors,
        "form": extra_form,
    }
    return render(request, "backoffice/budgeting/slip.html", context)


@staff_required(*PAPER)
def paper_enter(request: AuthedRequest, budget_id: int) -> HttpResponse:
    budget = selectors.staff_budget_get(request.user, budget_id, *PAPER)
    form = SerialForm(request.POST or None)
    outcome: dict[str, PaperBallot] = {}

    def save(choice: dict[int, int], data: dict[str, Any]) -> None:
        outcome["slip"] = paper_ballot_enter(
            actor=request.user, budget=budget, serial=data["serial"], choice=choice
        )

    response = _choice_page(
        request,
        budget=budget,
        template_context={
            "title": _("Type in a paper ballot"),
            "intro": _(
                "Each ballot is typed in twice, by two different people, without looking at "
                "the other entry. Type exactly what the paper says."
            ),
        },
        extra_form=form,
        save=save,
    )
    if response is not None:
        return response
    slip = outcome["slip"]
    if slip.status == PaperBallot.Status.AWAITING_SECOND:
        text = _("Ballot %(serial)s is entered. Someone else must now type it in a second time.")
    elif slip.status == PaperBallot.Status.MISMATCH:
        text = _("The two entries of ballot %(serial)s differ. A supervisor must check the paper.")
    elif slip.status == PaperBallot.Status.INVALID:
        text = _("Both entries of ballot %(serial)s agree, but it breaks the rules: not counted.")
    else:
        text = _("Both entries of ballot %(serial)s agree: it is counted.")
    messages.success(request, text % {"serial": slip.serial})
    return redirect("backoffice:budgeting_paper_enter", budget.pk)


@staff_required(*MANAGERS)
def paper_resolve(request: AuthedRequest, slip_id: int) -> HttpResponse:
    slip = (
        PaperBallot.objects.select_related("budget__process", "budget__area")
        .filter(pk=slip_id)
        .first()
    )
    if slip is None or not user_has_role(
        request.user, *MANAGERS, agency_id=slip.budget.process.agency_id
    ):
        raise Http404
    budget = slip.budget
    form = ResolveForm(request.POST or None)

    def save(choice: dict[int, int], data: dict[str, Any]) -> None:
        paper_ballot_resolve(actor=request.user, slip=slip, choice=choice, note=data["note"])

    response = _choice_page(
        request,
        budget=budget,
        template_context={
            "title": _("Check paper ballot %(serial)s") % {"serial": slip.serial},
            "intro": _(
                "The two entries of this ballot differ. Find the paper and enter what it says."
            ),
            "slip": slip,
        },
        extra_form=form,
        save=save,
    )
    if response is not None:
        return response
    messages.success(request, _("Ballot %(serial)s is checked.") % {"serial": slip.serial})
    return redirect("backoffice:budgeting_paper", budget.pk)


# --------------------------------------------------------------------------- implementation


@staff_required(*MANAGERS)
def implementation(request: AuthedRequest, project_id: int) -> HttpResponse:
    project = selectors.staff_project_get(request.user, project_id, *MANAGERS)
    update_form = UpdateForm(
        request.POST if request.POST.get("form") == "update" else None,
        request.FILES if request.POST.get("form") == "update" else None,
    )
    milestone_form = MilestoneForm(
        request.POST if request.POST.get("form") == "milestone" else None
    )
    if request.method == "POST" and update_form.is_bound and update_form.is_valid():
        data = update_form.cleaned_data
        try:
            implementation_update_post(
                actor=request.user,
                project=project,
                status=data["status"],
                progress=data["progress"],
                note=translations(data, "note"),
                photos=data["photos"],
                photo_descriptions=[data["photo_description"]] * len(data["photos"]),
            )
        except ValidationError as exc:
            _apply_errors(update_form, exc)
        else:
            messages.success(request, _("The update is published."))
            return redirect("backoffice:budgeting_implementation", project.pk)
    if request.method == "POST" and milestone_form.is_bound and milestone_form.is_valid():
        data = milestone_form.cleaned_data
        try:
            milestone_save(
                actor=request.user,
                project=project,
                title=translations(data, "title"),
                planned_for=data["planned_for"],
                reached_on=data["reached_on"],
            )
        except ValidationError as exc:
            _apply_errors(milestone_form, exc)
        else:
            messages.success(request, _("The milestone is saved."))
            return redirect("backoffice:budgeting_implementation", project.pk)
    context = {
        "project": project,
        "budget": project.budget,
        "update_form": update_form,
        "milestone_form": milestone_form,
        "updates": list(project.updates.all()),
        "milestones": list(project.milestones.all()),
    }
    return render(request, "backoffice/budgeting/implementation.html", context)


@staff_required(*MANAGERS)
@require_POST
def milestone_reached(request: AuthedRequest, milestone_id: int) -> HttpResponse:
    milestone = Milestone.objects.select_related("project").filter(pk=milestone_id).first()
    if milestone is None:
        raise Http404
    project = selectors.staff_project_get(request.user, milestone.project_id, *MANAGERS)
    milestone_save(
        actor=request.user,
        project=project,
        milestone=milestone,
        title=milestone.title,
        planned_for=milestone.planned_for,
        reached_on=timezone.localdate(),
    )
    messages.success(request, _("The milestone is marked as reached."))
    return redirect("backoffice:budgeting_implementation", project.pk)
