"""Resident pages: processes and their phase, budgets and projects, idea submission, the
ballot (running total, check, confirm, change), results with reasons, implementation.

Every page works without JavaScript: the ballot's running total is worked out by the server
when the resident presses "Update the total" (``ballot.js`` only updates it as they tick).
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ecitizen.accounts.types import AuthedRequest
from ecitizen.budgeting import selectors
from ecitizen.budgeting.forms import IdeaForm
from ecitizen.budgeting.models import Budget, Phase, Process, Project
from ecitizen.budgeting.presentation import (
    ballot_anchor,
    ballot_rules,
    parse_choice,
    result_rows,
    who_can_vote,
    winner_rule_text,
)
from ecitizen.budgeting.services import (
    BallotCheck,
    ballot_confirm,
    ballot_validate,
    idea_submit,
)
from ecitizen.core.money import currency_exponent, to_minor


def _budget(slug: str, budget_id: int) -> tuple[Process, Budget]:
    process = selectors.process_public_get(slug)
    return process, selectors.budget_public_get(process, budget_id)


def index(request: HttpRequest) -> HttpResponse:
    processes = list(selectors.processes_public())
    return render(request, "budgeting/index.html", {"processes": processes})


def process_detail(request: HttpRequest, slug: str) -> HttpResponse:
    process = selectors.process_public_get(slug)
    phase = process.phase
    context = {
        "process": process,
        "phase": phase,
        "phases": process.phases(),
        "now": timezone.now(),
        "budgets": list(process.budgets.all()),
        "my_ideas": selectors.my_ideas(request.user, process)  # type: ignore[arg-type]
        if request.user.is_authenticated
        else [],
    }
    return render(request, "budgeting/process.html", context)


def budget_detail(request: HttpRequest, slug: str, budget_id: int) -> HttpResponse:
    process, budget = _budget(slug, budget_id)
    projects = selectors.budget_projects_public(budget, user=request.user)  # type: ignore[arg-type]
    participation = selectors.voter_participation(budget=budget, user=request.user)  # type: ignore[arg-type]
    context = {
        "process": process,
        "budget": budget,
        "phase": process.phase,
        "on_ballot": [p for p in projects if p.status == Project.Status.ACCEPTED],
        "others": [p for p in projects if p.status != Project.Status.ACCEPTED],
        "participation": participation,
        "voting_problem": selectors.voting_problem(budget),
        "rules": ballot_rules(budget),
        "winner_rule": winner_rule_text(budget),
        "who": who_can_vote(budget),
    }
    return render(request, "budgeting/budget.html", context)


def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.project_public_get(pk, user=request.user)  # type: ignore[arg-type]
    budget = project.budget
    result = getattr(budget, "result", None) if budget.status == Budget.Status.TALLIED else None
    funded = result is not None and project.pk in result.selected
    context = {
        "project": project,
        "budget": budget,
        "process": budget.process,
        "funded": funded,
        "decided": result is not None,
        "images": list(project.images.all()),
        "updates": list(project.updates.all()),
        "milestones": list(project.milestones.all()),
    }
    return render(request, "budgeting/project.html", context)


def image(request: HttpRequest, pk: int) -> FileResponse:
    picture = selectors.image_public_get(pk, user=request.user)  # type: ignore[arg-type]
    response = FileResponse(picture.file.open("rb"), content_type=picture.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "public, max-age=3600"
    return response


@login_required
def idea_new(request: AuthedRequest, slug: str) -> HttpResponse:
    process = selectors.process_public_get(slug)
    budgets = list(process.budgets.all())
    if process.phase != Phase.IDEAS:
        messages.info(request, _("Idea submission is not open."))
        return redirect("budgeting:process", slug)
    form = IdeaForm(request.POST or None, request.FILES or None, budgets=budgets)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        budget = data["budget"]
        budget.process = process
        try:
            project = idea_submit(
                actor=request.user,
                budget=budget,
                title=data["title"],
                description=data["description"],
                location=data["location"],
                estimated_cost=to_minor(data["estimated_cost"], budget.currency),
                images=data["images"],
                image_descriptions=[data["image_description"]] * len(data["images"]),
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(
                request,
                _("Thank you: your idea “%(title)s” was sent. Staff will check it is feasible.")
                % {"title": project},
            )
            return redirect("budgeting:project", project.pk)
    return render(request, "budgeting/idea_form.html", {"process": process, "form": form})


def _form_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            for error in errors:
                form.add_error(name if name in form.fields else None, error)
    else:
        for message in exc.messages:
            form.add_error(None, message)


# --------------------------------------------------------------------------- ballot


def _ballot_context(
    request: AuthedRequest,
    process: Process,
    budget: Budget,
    projects: list[Project],
    check: BallotCheck,
    raw: dict[int, str],
    errors: list[tuple[str, str]],
) -> dict[str, Any]:
    return {
        "process": process,
        "budget": budget,
        "projects": projects,
        "check": check,
        "chosen": check.choice,
        "raw": raw,
        "errors": errors,
        "participation": selectors.voter_participation(budget=budget, user=request.user),
        "rules": ballot_rules(budget),
        "exponent": currency_exponent(budget.currency),
    }


@login_required
def vote(request: AuthedRequest, slug: str, budget_id: int) -> HttpResponse:
    """The ballot. GET shows it (with the resident's current ballot, if they voted already);
    POST "update" recomputes the running total, POST "check" validates it and, when it is
    valid, shows the check-and-confirm step."""
    process, budget = _budget(slug, budget_id)
    problem = selectors.voting_problem(budget)
    if problem:
        messages.info(request, problem)
        return redirect("budgeting:budget", slug, budget_id)
    problems = selectors.voter_eligibility(budget=budget, user=request.user)
    participation = selectors.voter_participation(budget=budget, user=request.user)
    if participation is not None and participation.channel != participation.Channel.ONLINE:
        problems = [_("You voted on paper in this budget, so you cannot vote online as well.")]
    if problems:
        return render(
            request,
            "budgeting/not_eligible.html",
            {"process": process, "budget": budget, "problems": problems},
        )
    projects = selectors.ballot_projects(budget)
    errors: list[tuple[str, str]] = []
    raw: dict[int, str] = {}
    if request.method == "POST":
        choice, raw, errors = parse_choice(budget, projects, request.POST)
        check = ballot_validate(budget=budget, choice=choice, projects=projects)
        if request.POST.get("action") == "check":
            if not errors:
                errors = [(ballot_anchor(budget, projects), m) for m in check.errors]
            if not errors:
                return render(
                    request,
                    "budgeting/ballot_check.html",
                    {"process": process, "budget": budget, "check": check},
                )
    else:
        current = selectors.voter_current_ballot(budget=budget, user=request.user) or {}
        check = ballot_validate(budget=budget, choice=current, projects=projects)
        raw = {pk: str(points) for pk, points in current.items()}
    context = _ballot_context(request, process, budget, projects, check, raw, errors)
    return render(request, "budgeting/ballot.html", context)


@login_required
@require_POST
def vote_confirm(request: AuthedRequest, slug: str, budget_id: int) -> HttpResponse:
    process, budget = _budget(slug, budget_id)
    projects = selectors.ballot_projects(budget)
    choice, raw, errors = parse_choice(budget, projects, request.POST)
    if not errors:
        try:
            confirmation = ballot_confirm(actor=request.user, budget=budget, choice=choice)
        except ValidationError as exc:
            if getattr(exc, "code", None) == "closed":
                messages.error(request, exc.messages[0])
                return redirect("budgeting:budget", slug, budget_id)
            errors = [(ballot_anchor(budget, projects), m) for m in exc.messages]
        else:
            request.session[f"budgeting-voted-{budget.pk}"] = confirmation.changed
            return redirect("budgeting:voted", slug, budget_id)
    check = ballot_validate(budget=budget, choice=choice, projects=projects)
    context = _ballot_context(request, process, budget, projects, check, raw, errors)
    return render(request, "budgeting/ballot.html", context)


@login_required
def voted(request: AuthedRequest, slug: str, budget_id: int) -> HttpResponse:
    process, budget = _budget(slug, budget_id)
    participation = selectors.voter_participation(budget=budget, user=request.user)
    if participation is None:
        return redirect("budgeting:vote", slug, budget_id)
    context = {
        "process": process,
        "budget": budget,
        "participation": participation,
        "changed": request.session.get(f"budgeting-voted-{budget.pk}", False),
        "can_change": not selectors.voting_problem(budget)
        and participation.channel == participation.Channel.ONLINE,
    }
    return render(request, "budgeting/voted.html", context)


# --------------------------------------------------------------------------- results


def results(request: HttpRequest, slug: str, budget_id: int) -> HttpResponse:
    process = selectors.process_with_results(slug)
    budget = selectors.budget_public_get(process, budget_id)
    result = getattr(budget, "result", None) if budget.status == Budget.Status.TALLIED else None
    if result is None:
        return render(
            request, "budgeting/results_pending.html", {"process": process, "budget": budget}
        )
    projects = selectors.ballot_projects(budget)
    rows = result_rows(budget, result, projects)
    context = {
        "process": process,
        "budget": budget,
        "result": result,
        "rows": rows,
        "funded": [r for r in rows if r.selected],
        "spent_percent": round(result.cost * 100 / budget.amount) if budget.amount else 0,
        "left": budget.amount - result.cost,
    }
    return render(request, "budgeting/results.html", context)


def implementation(request: HttpRequest, slug: str) -> HttpResponse:
    process = selectors.process_with_results(slug)
    projects = selectors.funded_projects(process)
    rows = []
    for project in projects:
        updates = list(project.updates.all())
        latest = updates[0] if updates else None
        rows.append({"project": project, "latest": latest, "updates": updates,
                     "milestones": list(project.milestones.all())})  # fmt: skip
    return render(request, "budgeting/implementation.html", {"process": process, "rows": rows})
