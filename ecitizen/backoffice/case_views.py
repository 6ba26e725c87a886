"""Staff case work, mounted at /staff/cases/ in the ``backoffice`` namespace: the agency's
work queue, one case (answers, documents, payments, timeline, internal notes, the resident's
contact details), claiming and assigning, and each decision on its own confirmation page.
Also the public holidays that service-level clocks skip (platform admins).

Views parse input, call a selector or a service, and render. Staff of another agency get 404
(selectors scope every read; a service refusing the actor also answers 404). Opening a case
is a read of the resident's personal data: it is logged, with the purpose "case handling".
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from ecitizen.accounts.models import Profile, StaffRole, User
from ecitizen.accounts.permissions import staff_required
from ecitizen.accounts.selectors import profile_for, user_has_role
from ecitizen.accounts.types import AuthedRequest
from ecitizen.applications import casework
from ecitizen.applications.case_selectors import (
    case_actions,
    case_agencies,
    case_detail,
    case_for_staff,
    case_queue,
    queue_choices,
)
from ecitizen.applications.casework import CaseError
from ecitizen.applications.models import Application
from ecitizen.applications.services import ApplicationError
from ecitizen.audit.models import PersonalDataAccess
from ecitizen.audit.services import personal_data_access_record
from ecitizen.backoffice.case_forms import (
    ApproveForm,
    AssignForm,
    ConfirmForm,
    HolidayForm,
    NoteForm,
    RejectForm,
    RequestInfoForm,
    RevokeForm,
    SendBackForm,
)
from ecitizen.backoffice.rendering import queue_filter, queue_rows, queue_summary
from ecitizen.core.csrf import masked_token
from ecitizen.core.i18n import tr
from ecitizen.core.models import Holiday
from ecitizen.core.services import holiday_delete, holiday_save

Role = StaffRole.Role
View = Callable[..., HttpResponse]


def case_staff(view: View) -> View:
    """Case officers and agency admins (and platform admins), with a second factor; a
    service refusing the actor (PermissionDenied) looks like any other missing page."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(*args, **kwargs)
        except PermissionDenied:
            raise Http404 from None

    return staff_required(*casework.CASE_ROLES)(wrapper)


def _case_url(application: Application, anchor: str = "") -> str:
    url = reverse("backoffice:case_detail", args=[application.reference])
    return f"{url}#{anchor}" if anchor else url


def _next_url(request: AuthedRequest, default: str) -> str:
    """Where to go back to (the queue with its filters), if it is a page of this site."""
    wanted = request.POST.get("next") or ""
    if wanted.startswith("/") and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return default


def _posted(request: AuthedRequest) -> Any:
    """The form data of a POST (even an empty one: a confirmation button posts nothing)."""
    return request.POST if request.method == "POST" else None


def _show_error(form: Form, error: ApplicationError) -> None:
    field = getattr(error, "field", None)
    form.add_error(field if field in form.fields else None, error.message)


# --- the queue -------------------------------------------------------------------------------


@case_staff
def queue(request: AuthedRequest) -> HttpResponse:
    """An agency's cases, most urgent first, filtered by service, status, time left and
    assignee, one page at a time, with each case's SLA state."""
    agencies = case_agencies(request.user)
    if not agencies:
        raise Http404
    wanted = request.GET.get("agency")
    agency = next((a for a in agencies if a.code == wanted), agencies[0])
    choices = queue_choices(agency)
    chosen = queue_filter(request.GET, choices)
    result = case_queue(
        user=request.user,
        agency=agency,
        filters=chosen.filters,
        page_number=request.GET.get("page"),
        holidays=choices.holidays,
    )
    # One masked CSRF token for the page: the rows' claim forms and the page's own forms
    # (the template's {% csrf_token %} uses this one rather than masking another).
    csrf_token = masked_token(request)
    context = {
        "agency": agency,
        "agencies": agencies,
        "form": chosen.form,
        "filter_fields": chosen.fields,
        "page": result.page,
        "csrf_token": csrf_token,
        "rows": mark_safe(  # noqa: S308 (rows of escaped values: rendering.queue_rows)
            "\n  ".join(
                queue_rows(
                    result.rows,
                    workable=casework.WORKABLE,
                    csrf_token=csrf_token,
                    next_url=request.get_full_path(),
                )
            )
        ),
        "summary": queue_summary(result.summary, agency.code),
        "is_platform_admin": user_has_role(request.user, Role.PLATFORM_ADMIN),
    }
    return render(request, "backoffice/cases/queue.html", context)


# --- one case --------------------------------------------------------------------------------


@case_staff
def detail(request: AuthedRequest, reference: str) -> HttpResponse:
    """Everything needed to decide; opening it is logged for the resident to see."""
    case = case_detail(user=request.user, reference=reference)
    application = case.application
    personal_data_access_record(
        accessor=request.user,
        subject=application.applicant,
        what=format_lazy(
            gettext_lazy(
                "Your application {reference}: your answers, documents, payments and "
                "contact details"
            ),
            reference=application.reference,
        ),
        purpose=PersonalDataAccess.Purpose.CASE_HANDLING,
    )
    profile = profile_for(application.applicant)
    needs = dict(Profile.Accessibility.choices)
    context = {
        "case": case,
        "application": application,
        "profile": profile,
        "accessibility_needs": [
            needs[code] for code in profile.accessibility_needs or [] if code in needs
        ],
        "note_form": NoteForm(),
    }
    return render(request, "backoffice/cases/detail.html", context)


@case_staff
def claim(request: AuthedRequest, reference: str) -> HttpResponse:
    application = case_for_staff(user=request.user, reference=reference)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        casework.case_claim(actor=request.user, application=application)
    except CaseError as exc:
        messages.error(request, exc.message)
        return redirect(_next_url(request, reverse("backoffice:case_queue")))
    messages.success(
        request,
        _("You are now handling case %(reference)s.") % {"reference": application.reference},
    )
    return redirect(_case_url(application))


@case_staff
def release(request: AuthedRequest, reference: str) -> HttpResponse:
    application = case_for_staff(user=request.user, reference=reference)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        casework.case_release(actor=request.user, application=application)
    except CaseError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The case is back in the queue, unassigned."))
    return redirect(_case_url(application))


@case_staff
def assign(request: AuthedRequest, reference: str) -> HttpResponse:
    """An agency admin gives the case to an officer of the agency."""
    application = case_for_staff(user=request.user, reference=reference)
    if not casework.is_agency_admin(request.user, application):
        raise Http404
    officers = [
        (pk, name)
        for pk, name in queue_choices(application.agency).officers
        if pk != application.applicant_id
    ]
    form = AssignForm(
        _posted(request),
        officers=officers,
        initial={"assignee": application.assignee_id},
    )
    if request.method == "POST" and form.is_valid():
        assignee = get_object_or_404(User, pk=form.cleaned_data["assignee"])
        try:
            casework.case_assign(actor=request.user, application=application, assignee=assignee)
        except CaseError as exc:
            _show_error(form, exc)
        else:
            messages.success(
                request,
                _("Case %(reference)s is now handled by %(name)s.")
                % {"reference": application.reference, "name": casework.staff_name(assignee)},
            )
            return redirect(_case_url(application))
    return _render_form(
        request,
        application,
        form,
        title=_("Assign case %(reference)s") % {"reference": application.reference},
        button=_("Assign"),
        status=200,
    )


@case_staff
def note(request: AuthedRequest, reference: str) -> HttpResponse:
    """Add an internal note (the case page has the same form)."""
    application = case_for_staff(user=request.user, reference=reference)
    form = NoteForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            casework.case_note_add(
                actor=request.user, application=application, text=form.cleaned_data["text"]
            )
        except CaseError as exc:
            _show_error(form, exc)
        else:
            messages.success(request, _("Your note has been added."))
            return redirect(_case_url(application, "notes"))
    return _render_form(
        request,
        application,
        form,
        title=_("Add an internal note"),
        button=_("Add note"),
        status=200,
    )


# --- decisions: each on its own confirmation page ------------------------------------------


def _render_form(
    request: AuthedRequest,
    application: Application,
    form: Form,
    *,
    title: str,
    button: str,
    text: str = "",
    warning: bool = False,
    status: int = 200,
) -> HttpResponse:
    context = {
        "application": application,
        "service_title": tr(application.service_version.title),
        "form": form,
        "title": title,
        "button": button,
        "text": text,
        "warning": warning,
    }
    return render(request, "backoffice/cases/decision.html", context, status=status)


def _decision(
    request: AuthedRequest,
    reference: str,
    *,
    allowed: Callable[[Any], bool],
    form_class: type[Form],
    run: Callable[[Application, dict[str, Any]], Any],
    title: str,
    text: str,
    button: str,
    success: str,
    warning: bool = False,
) -> HttpResponse:
    application = case_for_staff(user=request.user, reference=reference)
    if request.method == "GET" and not allowed(case_actions(request.user, application)):
        messages.info(request, _("This decision is not available for this case now."))
        return redirect(_case_url(application))
    form = form_class(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            run(application, form.cleaned_data)
        except ApplicationError as exc:  # CaseError, or a transition the status refuses
            _show_error(form, exc)
        else:
            messages.success(request, success % {"reference": application.reference})
            return redirect(_case_url(application))
    return _render_form(
        request, application, form, title=title, button=button, text=text, warning=warning
    )


@case_staff
def request_info(request: AuthedRequest, reference: str) -> HttpResponse:
    return _decision(
        request,
        reference,
        allowed=lambda actions: actions.request_info,
        form_class=RequestInfoForm,
        run=lambda application, data: casework.case_request_info(
            actor=request.user, application=application, message=data["message"]
        ),
        title=_("Ask the resident for more information"),
        text=_(
            "The resident is told by email and reads your message when they sign in. The "
            "time limit for deciding stops until they answer."
        ),
        button=_("Send the request"),
        success=_("The request for information on %(reference)s has been sent."),
    )


@case_staff
def approve(request: AuthedRequest, reference: str) -> HttpResponse:
    application = case_for_staff(user=request.user, reference=reference)
    if application.status == Application.Status.AWAITING_SECOND_APPROVAL:
        text = _("You are giving the second approval. The decision becomes final.")
    elif casework.requires_second_approval(application):
        text = _(
            "This service needs a second approval: another officer must check your decision "
            "before it is final."
        )
    else:
        text = _("The decision is final. The resident is told by email.")
    return _decision(
        request,
        reference,
        allowed=lambda actions: actions.approve,
        form_class=ApproveForm,
        run=lambda application, data: casework.case_approve(
            actor=request.user, application=application, reason=data["reason"]
        ),
        title=_("Approve application %(reference)s") % {"reference": reference},
        text=text,
        button=_("Approve"),
        success=_("Your approval of %(reference)s has been recorded."),
    )


@case_staff
def reject(request: AuthedRequest, reference: str) -> HttpResponse:
    return _decision(
        request,
        reference,
        allowed=lambda actions: actions.reject,
        form_class=RejectForm,
        run=lambda application, data: casework.case_reject(
            actor=request.user, application=application, reason=data["reason"]
        ),
        title=_("Reject application %(reference)s") % {"reference": reference},
        text=_(
            "The decision is final. If the service refunds rejected applications, what was "
            "paid is refunded automatically."
        ),
        button=_("Reject"),
        success=_("Application %(reference)s has been rejected."),
        warning=True,
    )


@case_staff
def send_back(request: AuthedRequest, reference: str) -> HttpResponse:
    return _decision(
        request,
        reference,
        allowed=lambda actions: actions.send_back,
        form_class=SendBackForm,
        run=lambda application, data: casework.case_return(
            actor=request.user, application=application, reason=data["reason"]
        ),
        title=_("Send the decision on %(reference)s back") % {"reference": reference},
        text=_("The first approval no longer counts: the case waits for a decision again."),
        button=_("Send back"),
        success=_("The decision on %(reference)s has been sent back."),
    )


@case_staff
def issue(request: AuthedRequest, reference: str) -> HttpResponse:
    return _decision(
        request,
        reference,
        allowed=lambda actions: actions.issue,
        form_class=ConfirmForm,
        run=lambda application, data: casework.case_issue(
            actor=request.user, application=application
        ),
        title=_("Issue the permit for %(reference)s") % {"reference": reference},
        text=_(
            "The permit is signed and the resident can download it. Anyone can check it on "
            "the verification page."
        ),
        button=_("Issue the permit"),
        success=_("The permit for %(reference)s has been issued."),
    )


@case_staff
def revoke(request: AuthedRequest, reference: str) -> HttpResponse:
    return _decision(
        request,
        reference,
        allowed=lambda actions: actions.revoke,
        form_class=RevokeForm,
        run=lambda application, data: casework.case_revoke(
            actor=request.user, application=application, reason=data["reason"]
        ),
        title=_("Revoke the permit for %(reference)s") % {"reference": reference},
        text=_("The permit stops being valid at once: the verification page says it is revoked."),
        button=_("Revoke the permit"),
        success=_("The permit for %(reference)s has been revoked."),
        warning=True,
    )


# --- public holidays (platform admins) -------------------------------------------------------


@staff_required(Role.PLATFORM_ADMIN)
def holidays(request: AuthedRequest) -> HttpResponse:
    """Public holidays: service-level clocks skip them."""
    form = HolidayForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            holiday_save(
                actor=request.user,
                date=form.cleaned_data["date"],
                name=form.cleaned_data["name"],
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.error_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                form.add_error(None, exc)
        else:
            messages.success(request, _("The holiday has been added."))
            return redirect("backoffice:case_holidays")
    context = {"form": form, "holidays": Holiday.objects.order_by("-date")}
    return render(request, "backoffice/cases/holidays.html", context)


@staff_required(Role.PLATFORM_ADMIN)
@require_POST
def holiday_remove(request: AuthedRequest, pk: int) -> HttpResponse:
    holiday = get_object_or_404(Holiday, pk=pk)
    holiday_delete(actor=request.user, holiday=holiday)
    messages.success(request, _("The holiday has been removed."))
    return redirect("backoffice:case_holidays")
