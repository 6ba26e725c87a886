"""Applying for a service (one thing per page, check your answers, confirmation), "My
applications", answering a request for information, withdrawing, downloading documents, and
the assisted service. Views parse input, call a service or selector, and render."""

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import formats
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from ecitizen.accounts.models import StaffRole, User
from ecitizen.accounts.permissions import staff_required
from ecitizen.accounts.selectors import has_second_factor, residents_search
from ecitizen.accounts.types import AuthedRequest
from ecitizen.applications import engine, selectors
from ecitizen.applications.forms import (
    AssistedStartForm,
    InfoResponseForm,
    ResidentFindForm,
    SubmitForm,
    WithdrawForm,
)
from ecitizen.applications.listing import my_application_rows
from ecitizen.applications.models import Application
from ecitizen.applications.services import (
    ApplicationError,
    ApplicationIncomplete,
    application_answers_save,
    application_info_respond,
    application_start,
    application_submit,
    application_withdraw,
)
from ecitizen.applications.timeline import resident_timeline
from ecitizen.audit.models import PersonalDataAccess
from ecitizen.audit.services import personal_data_access_record
from ecitizen.catalogue.fees import fee_for
from ecitizen.catalogue.selectors import published_service_get
from ecitizen.core.i18n import tr
from ecitizen.payments.services import amount_due

Status = Application.Status
AGENT = StaffRole.Role.ASSISTED_SERVICE_AGENT


# --- helpers -------------------------------------------------------------------------------


def _page_url(application: Application, page_id: str, *, to_check: bool = False) -> str:
    url = reverse("applications:page", args=[application.reference, page_id])
    return f"{url}?{urlencode({'return': 'check'})}" if to_check else url


def _check_url(application: Application) -> str:
    return reverse("applications:check", args=[application.reference])


def _resume_url(application: Application) -> str:
    """Where a draft continues: the first page asked for a new one, else the first page with
    a missing answer, else check answers."""
    definition = application.service_version.definition
    prefill = selectors.applicant_prefill(application.applicant)
    if not application.answers:
        page_id = engine.next_page_id(definition, {}, prefill, after=None)
    else:
        page_id = engine.first_incomplete_page_id(definition, application.answers, prefill)
    return _page_url(application, page_id) if page_id else _check_url(application)


def _home_for(user: User, application: Application) -> str:
    """Where "Save and come back later" leads: the resident's list, or the agent's desk."""
    if application.applicant_id == user.pk:
        return reverse("applications:mine")
    return reverse("applications:assist")


def _documents(application: Application) -> dict[int, str]:
    return {doc.pk: doc.original_name for doc in selectors.application_documents(application)}


def _fee_summary(application: Application, prefill: dict[str, Any]) -> dict[str, Any] | None:
    definition = application.service_version.definition
    fee = definition.get("fee") or {"kind": "none"}
    answers = engine.frozen_answers(definition, application.answers, prefill)
    amount = fee_for(fee, answers)
    if amount <= 0:
        return None
    return {
        "amount": engine.format_money(amount, fee.get("currency") or application.currency),
        "on_submit": definition.get("fee_timing", "on_submit") == "on_submit",
        "description": tr(fee.get("description")) if fee.get("description") else "",
    }


def _not_a_draft(request: AuthedRequest, application: Application) -> HttpResponse:
    if application.applicant_id == request.user.pk:
        return redirect("applications:detail", application.reference)
    return redirect("applications:confirmation", application.reference)


# --- applying ------------------------------------------------------------------------------


@login_required
def start(request: AuthedRequest, service_slug: str) -> HttpResponse:
    """ "Before you start" with a Start button (a POST: a link preview never opens a draft);
    a draft already open for this service is resumed instead."""
    service = published_service_get(service_slug)
    draft = selectors.open_draft(user=request.user, service=service)
    if request.method == "POST":
        try:
            application = application_start(actor=request.user, service=service)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("applications:start", service_slug)
        return redirect(_resume_url(application))
    version = service.published_version
    context = {
        "service": service,
        "version": version,
        "title": tr(version.title),  # type: ignore[union-attr]
        "summary": tr(version.summary),  # type: ignore[union-attr]
        "what_you_need": tr(version.what_you_need),  # type: ignore[union-attr]
        "draft": draft,
        "resume_url": _resume_url(draft) if draft else "",
    }
    return render(request, "applications/start.html", context)


@login_required
def page(request: AuthedRequest, reference: str, page_id: str) -> HttpResponse:
    """One page of questions. Every submission saves the draft; "Save and come back later"
    keeps whatever is valid and leaves."""
    application = selectors.application_for_editor(user=request.user, reference=reference)
    if application.status != Status.DRAFT:
        return _not_a_draft(request, application)
    definition = application.service_version.definition
    form_page = engine.page_by_id(definition, page_id)
    if form_page is None:
        raise Http404
    prefill = selectors.applicant_prefill(application.applicant)
    to_check = request.GET.get("return") == "check"
    merged = engine.effective_answers(definition, application.answers, prefill)
    if not engine.condition_met(form_page.get("condition"), merged):
        # Not asked given the answers so far (an old link, or a page id typed in).
        return redirect(_resume_url(application))
    documents = selectors.application_documents(application)
    form = engine.build_page_form(
        definition,
        form_page,
        answers=application.answers,
        prefill=prefill,
        include_prefilled=to_check,
        documents=documents,
        districts=selectors.district_choices(),
        data=request.POST if request.method == "POST" else None,
        files=request.FILES if request.method == "POST" else None,
    )
    if not form.groups:
        next_id = engine.next_page_id(definition, application.answers, prefill, after=page_id)
        return redirect(_page_url(application, next_id) if next_id else _check_url(application))
    if request.method == "POST":
        leaving = request.POST.get("action") == "save"
        if leaving or form.is_valid():
            answers = form.partial_answers() if leaving else form.answers()
            try:
                application_answers_save(
                    actor=request.user,
                    application=application,
                    page_id=page_id,
                    answers=answers,
                    uploads=form.new_uploads(),
                    removed_documents=form.removed_documents(),
                )
            except ApplicationError as exc:
                messages.error(request, exc.message)
                return _not_a_draft(request, application)
            if leaving:
                expires = formats.date_format(application.draft_expires_at or "", "DATE_FORMAT")
                messages.success(
                    request,
                    _(
                        "Your answers are saved. You can come back to application %(reference)s "
                        "until %(date)s."
                    )
                    % {"reference": application.reference, "date": expires},
                )
                return redirect(_home_for(request.user, application))
            return redirect(_after_page(application, page_id, prefill, to_check=to_check))
    previous = engine.previous_page_id(definition, application.answers, prefill, before=page_id)
    if to_check:
        back_url = _check_url(application)
    elif previous:
        back_url = _page_url(application, previous)
    elif application.applicant_id == request.user.pk:
        back_url = reverse("applications:start", args=[application.service.slug])
    else:
        back_url = reverse("applications:assist")
    context = {
        "application": application,
        "service_title": tr(application.service_version.title),
        "page_title": tr(form_page.get("title")),
        "form": form,
        "back_url": back_url,
        "assisted": application.applicant_id != request.user.pk,
        "has_files": any(group.question["type"] == "file" for group in form.groups),
    }
    return render(request, "applications/page.html", context)


def _after_page(
    application: Application, page_id: str, prefill: dict[str, Any], *, to_check: bool
) -> str:
    definition = application.service_version.definition
    if to_check:
        # A changed answer may open new questions: ask them before going back to check.
        missing = engine.first_incomplete_page_id(definition, application.answers, prefill)
        return (
            _page_url(application, missing, to_check=True) if missing else _check_url(application)
        )
    next_id = engine.next_page_id(definition, application.answers, prefill, after=page_id)
    return _page_url(application, next_id) if next_id else _check_url(application)


def _check_context(
    request: AuthedRequest, application: Application, form: SubmitForm
) -> dict[str, Any]:
    definition = application.service_version.definition
    prefill = selectors.applicant_prefill(application.applicant)
    sections = engine.answer_sections(
        definition,
        application.answers,
        prefill,
        districts=dict(selectors.district_choices()),
        documents=_documents(application),
        currency=(definition.get("fee") or {}).get("currency") or application.currency,
    )
    return {
        "application": application,
        "service_title": tr(application.service_version.title),
        "sections": sections,
        "form": form,
        "fee": _fee_summary(application, prefill),
        "assisted": application.applicant_id != request.user.pk,
    }


def _render_check(
    request: AuthedRequest, application: Application, form: SubmitForm, status: int = 200
) -> HttpResponse:
    context = _check_context(request, application, form)
    for section in context["sections"]:
        section.change_url = _page_url(application, section.page_id, to_check=True)
    return render(request, "applications/check.html", context, status=status)


@login_required
def check(request: AuthedRequest, reference: str) -> HttpResponse:
    """Check your answers, with a change link for each, the fee, and the declaration."""
    application = selectors.application_for_editor(user=request.user, reference=reference)
    if application.status != Status.DRAFT:
        return _not_a_draft(request, application)
    definition = application.service_version.definition
    prefill = selectors.applicant_prefill(application.applicant)
    missing = engine.first_incomplete_page_id(definition, application.answers, prefill)
    if missing:
        return redirect(_page_url(application, missing, to_check=True))
    assisted = application.applicant_id != request.user.pk
    return _render_check(request, application, SubmitForm(assisted=assisted))


@login_required
@require_POST
def submit(request: AuthedRequest, reference: str) -> HttpResponse:
    """Send the application. A double click, a refresh or a retry lands on the same
    confirmation: the service returns the application already sent."""
    application = selectors.application_for_editor(user=request.user, reference=reference)
    assisted = application.applicant_id != request.user.pk
    form = SubmitForm(request.POST, assisted=assisted)
    if not form.is_valid():
        if application.status != Status.DRAFT:
            return _after_submit(request, application)
        return _render_check(request, application, form)
    try:
        result = application_submit(
            actor=request.user,
            application=application,
            idempotency_key=form.cleaned_data["idempotency_key"],
        )
    except ApplicationIncomplete as exc:
        messages.error(request, exc.message)
        return redirect(_page_url(application, exc.missing[0][0], to_check=True))
    except ApplicationError as exc:
        if application.status != Status.DRAFT:
            messages.error(request, exc.message)
            return _not_a_draft(request, application)
        form.add_error(None, exc.message)
        return _render_check(request, application, form)
    return _after_submit(request, result.application)


def _after_submit(request: AuthedRequest, application: Application) -> HttpResponse:
    if (
        application.status == Status.AWAITING_PAYMENT
        and application.applicant_id == request.user.pk
    ):
        try:
            return redirect(reverse("payments:start", args=[application.reference]))
        except NoReverseMatch:  # pragma: no cover - payments not installed
            pass
    return redirect("applications:confirmation", application.reference)


@login_required
def confirmation(request: AuthedRequest, reference: str) -> HttpResponse:
    application = selectors.application_for_editor(user=request.user, reference=reference)
    if application.status == Status.DRAFT:
        return redirect("applications:check", reference)
    context = {
        "application": application,
        "service_title": tr(application.service_version.title),
        "assisted": application.applicant_id != request.user.pk,
        "fee": engine.format_money(application.fee_amount, application.currency)
        if application.fee_amount
        else "",
    }
    return render(request, "applications/confirmation.html", context)


# --- my applications -------------------------------------------------------------------------


@login_required
def mine(request: AuthedRequest) -> HttpResponse:
    """The resident's applications, the most recently changed first, 20 per page."""
    page = selectors.applications_page_for_resident(
        user=request.user, page_number=request.GET.get("page")
    )
    rows = my_application_rows(page.object_list)
    return render(request, "applications/mine.html", {"rows": rows, "page": page})


@login_required
def detail(request: AuthedRequest, reference: str) -> HttpResponse:
    """Status, what is expected next, the timeline, documents; answer, withdraw, pay."""
    application = selectors.application_detail(user=request.user, reference=reference)
    open_requests = [r for r in application.all_info_requests if r.answered_at is None]  # type: ignore[attr-defined]
    permit = (
        getattr(application, "permit", None)
        if application.status
        in (
            Status.ISSUED,
            Status.REVOKED,
        )
        else None
    )
    # A fee charged on approval is paid after the decision, before the permit is issued.
    due_after_approval = amount_due(application) if application.status == Status.APPROVED else 0
    next_step = (
        _("Pay the fee so that we can issue your permit.")
        if due_after_approval
        else selectors.resident_next_step(application)
    )
    context = {
        "application": application,
        "title": tr(application.service_version.title),
        "next_step": next_step,
        "due_after_approval": engine.format_money(due_after_approval, application.currency)
        if due_after_approval
        else "",
        "timeline": resident_timeline(application, application.visible_events),  # type: ignore[attr-defined]
        "documents": application.current_documents,  # type: ignore[attr-defined]
        "info_request": open_requests[-1] if open_requests else None,
        "can_withdraw": application.status in selectors.WITHDRAWABLE,
        "is_draft": application.status == Status.DRAFT,
        "fee": engine.format_money(application.fee_amount, application.currency)
        if application.fee_amount
        else "",
        "permit": permit,
        "show_due_date": bool(application.due_date)
        and application.status in Application.OPEN_STATUSES,
        "show_reason": bool(application.decision_reason)
        and application.status in (Status.APPROVED, Status.REJECTED, Status.ISSUED, Status.REVOKED),
    }
    if application.status == Status.DRAFT:
        context["resume_url"] = reverse("applications:resume", args=[reference])
    return render(request, "applications/detail.html", context)


@login_required
def resume(request: AuthedRequest, reference: str) -> HttpResponse:
    """Continue a draft where it was left."""
    application = selectors.application_for_editor(user=request.user, reference=reference)
    if application.status != Status.DRAFT:
        return _not_a_draft(request, application)
    return redirect(_resume_url(application))


@login_required
def respond(request: AuthedRequest, reference: str) -> HttpResponse:
    """Answer a request for more information, with new files if needed."""
    application = selectors.application_for_applicant(user=request.user, reference=reference)
    info_request = selectors.open_info_request(application)
    if application.status != Status.INFO_REQUESTED or info_request is None:
        return redirect("applications:detail", reference)
    form = InfoResponseForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            application_info_respond(
                actor=request.user,
                application=application,
                answer=form.cleaned_data["answer"],
                uploads=form.cleaned_data["files"],
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("applications:detail", reference)
        messages.success(request, _("Thank you. We have your answer and are working on it again."))
        return redirect("applications:detail", reference)
    context = {
        "application": application,
        "title": tr(application.service_version.title),
        "info_request": info_request,
        "form": form,
    }
    return render(request, "applications/respond.html", context)


@login_required
def withdraw(request: AuthedRequest, reference: str) -> HttpResponse:
    application = selectors.application_for_applicant(user=request.user, reference=reference)
    if application.status not in selectors.WITHDRAWABLE:
        messages.info(request, _("This application can no longer be withdrawn."))
        return redirect("applications:detail", reference)
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            application_withdraw(
                actor=request.user, application=application, reason=form.cleaned_data["reason"]
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Your application has been withdrawn."))
        return redirect("applications:detail", reference)
    context = {
        "application": application,
        "title": tr(application.service_version.title),
        "form": form,
    }
    return render(request, "applications/withdraw.html", context)


@login_required
def document(request: AuthedRequest, reference: str, doc_id: int) -> FileResponse:
    """A document, to its owner or authorised staff only, always as a download."""
    access = selectors.document_for_download(
        user=request.user, reference=reference, document_id=doc_id
    )
    doc = access.document
    if access.by_staff:
        if not has_second_factor(request.user):
            raise Http404
        assisting = doc.application.assisted_by_id == request.user.pk
        personal_data_access_record(
            accessor=request.user,
            subject=doc.application.applicant,
            what=format_lazy(
                gettext_lazy("A document you sent with application {reference}"),
                reference=doc.application.reference,
            ),
            purpose=PersonalDataAccess.Purpose.ASSISTED_SERVICE
            if assisting
            else PersonalDataAccess.Purpose.CASE_HANDLING,
        )
    response = FileResponse(
        doc.file.open("rb"),
        as_attachment=True,
        filename=doc.original_name,
        content_type=doc.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


# --- assisted service ------------------------------------------------------------------------


@staff_required(AGENT)
def assist(request: AuthedRequest) -> HttpResponse:
    """The agent finds the resident at the counter (exact email or national ID)."""
    form = ResidentFindForm(request.GET or None)
    results = []
    if request.GET and form.is_valid():
        results = residents_search(query=form.cleaned_data["q"], limit=5)
        for profile in results:
            personal_data_access_record(
                accessor=request.user,
                subject=profile.user,
                what=gettext_lazy("Your name and email address, to find you at a counter"),
                purpose=PersonalDataAccess.Purpose.ASSISTED_SERVICE,
            )
    drafts = selectors.drafts_started_by_agent(agent=request.user)
    context = {"form": form, "results": results, "searched": bool(request.GET), "drafts": drafts}
    return render(request, "applications/assist/find.html", context)


@staff_required(AGENT)
def assist_start(request: AuthedRequest, user_id: int) -> HttpResponse:
    """Record the resident's consent and choose the service; the agent then fills in the
    same pages as the resident would."""
    resident = get_object_or_404(User.objects.select_related("profile"), pk=user_id, is_active=True)
    if resident.pk == request.user.pk:
        raise Http404
    services = selectors.services_open_for_applications()
    form = AssistedStartForm(request.POST or None, services=services)
    if request.method == "POST" and form.is_valid():
        try:
            application = application_start(
                actor=request.user,
                service=form.cleaned_data["service"],
                applicant=resident,
                consent_note=form.cleaned_data["consent_note"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect(_resume_url(application))
    if request.method == "GET":
        personal_data_access_record(
            accessor=request.user,
            subject=resident,
            what=gettext_lazy("Your name, address and contact details, to apply on your behalf"),
            purpose=PersonalDataAccess.Purpose.ASSISTED_SERVICE,
        )
    return render(request, "applications/assist/start.html", {"form": form, "resident": resident})
