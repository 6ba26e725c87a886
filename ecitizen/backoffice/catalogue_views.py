"""The service builder: agency admins create services, build a draft's content, fee and form
(pages and questions) without code, preview it as a resident, and publish it.

Every view is for agency admins (platform admins too) and only for their agency's services:
``service_for_admin`` answers 404 for any other. Writes go through ``ecitizen.catalogue.services``;
a refusal (ValidationError) is shown on the form with what was typed kept.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from ecitizen.accounts.models import StaffRole
from ecitizen.accounts.permissions import staff_required
from ecitizen.catalogue import presentation, selectors, services
from ecitizen.catalogue.forms import (
    QUESTION_TYPE_LABELS,
    ContentForm,
    PageForm,
    QuestionForm,
    QuestionTypeForm,
    ServiceCreateForm,
    ServiceSettingsForm,
    SettingsForm,
    apply_service_errors,
)
from ecitizen.catalogue.models import Service, ServiceVersion
from ecitizen.catalogue.schema import iter_questions

admin_required = staff_required(StaffRole.Role.AGENCY_ADMIN)


def _not_found_if_refused(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A service refusing the actor (PermissionDenied) looks like any other missing page."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(*args, **kwargs)
        except PermissionDenied:
            raise Http404 from None

    return wrapper


def builder_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    return admin_required(_not_found_if_refused(view))


def _draft_or_404(service: Service) -> ServiceVersion:
    draft = selectors.draft_of(service)
    if draft is None:
        raise Http404
    return draft


def _builder_url(service: Service, anchor: str = "") -> str:
    url = reverse("backoffice:catalogue_draft", args=[service.pk])
    return f"{url}#{anchor}" if anchor else url


def _find_page(draft: ServiceVersion, page_id: str) -> dict[str, Any]:
    for page in draft.definition.get("form", {}).get("pages", []):
        if page.get("id") == page_id:
            return page
    raise Http404


def _find_question(
    draft: ServiceVersion, question_id: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    for page, question in iter_questions(draft.definition):
        if question.get("id") == question_id:
            return page, question
    raise Http404


def _save(form: Any, write: Callable[[], Any]) -> bool:
    """Run a service write; on refusal, put its messages on the form. True if it worked."""
    try:
        write()
    except ValidationError as error:
        apply_service_errors(form, error)
        return False
    return True


# --- services -------------------------------------------------------------------------------


@builder_view
def service_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "backoffice/catalogue/service_list.html",
        {"services": selectors.services_for_admin(request.user)},
    )


@builder_view
def service_create(request: HttpRequest) -> HttpResponse:
    agencies = selectors.administered_agencies(request.user)
    if not agencies.exists():
        raise Http404
    form = ServiceCreateForm(request.POST or None, agencies=agencies)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        created: list[Service] = []
        if _save(
            form,
            lambda: created.append(
                services.service_create(
                    actor=request.user,
                    agency=data["agency"],
                    slug=data["slug"],
                    code=data["code"],
                    topics=data["topics"],
                    title=form.translated_value("title"),
                )
            ),
        ):
            messages.success(request, _("Service created. Now build its first version."))
            return redirect(_builder_url(created[0]))
    return render(request, "backoffice/catalogue/service_create.html", {"form": form})


@builder_view
def service_overview(request: HttpRequest, service_id: int) -> HttpResponse:
    service = selectors.service_for_admin(request.user, service_id)
    versions = selectors.service_versions(service)
    return render(
        request,
        "backoffice/catalogue/service_overview.html",
        {
            "service": service,
            "versions": versions,
            "draft": next((v for v in versions if v.status == ServiceVersion.Status.DRAFT), None),
            "public_url": reverse("catalogue:service", args=[service.slug]),
        },
    )


@builder_view
def service_settings(request: HttpRequest, service_id: int) -> HttpResponse:
    service = selectors.service_for_admin(request.user, service_id)
    form = ServiceSettingsForm(
        request.POST or None,
        initial={"code": service.code, "topics": list(service.topics.all())},
    )
    if (
        request.method == "POST"
        and form.is_valid()
        and _save(
            form,
            lambda: services.service_update(
                actor=request.user,
                service=service,
                code=form.cleaned_data["code"],
                topics=form.cleaned_data["topics"],
            ),
        )
    ):
        messages.success(request, _("Saved."))
        return redirect("backoffice:catalogue_service", service.pk)
    return render(
        request, "backoffice/catalogue/service_settings.html", {"form": form, "service": service}
    )


@builder_view
@require_POST
def draft_create(request: HttpRequest, service_id: int) -> HttpResponse:
    service = selectors.service_for_admin(request.user, service_id)
    try:
        services.service_version_create_draft(actor=request.user, service=service)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("backoffice:catalogue_service", service.pk)
    messages.success(request, _("New draft created from the latest version."))
    return redirect(_builder_url(service))


@builder_view
def draft_discard(request: HttpRequest, service_id: int) -> HttpResponse:
    service = selectors.service_for_admin(request.user, service_id)
    draft = _draft_or_404(service)
    if request.method == "POST":
        services.service_version_discard(actor=request.user, version=draft)
        messages.success(request, _("The draft was discarded."))
        return redirect("backoffice:catalogue_service", service.pk)
    return render(
        request,
        "backoffice/catalogue/confirm.html",
        {
            "service": service,
            "title": _("Discard draft version %(number)s?") % {"number": draft.number},
            "text": _("Every change made in this draft will be lost."),
            "button": _("Discard the draft"),
            "back": _builder_url(service),
        },
    )


# --- the draft ------------------------------------------------------------------------------


def _annotated_pages(definition: dict[str, Any]) -> list[dict[str, Any]]:
    """The form's pages, each with its condition in plain words, and its questions likewise."""
    return [
        {
            **page,
            "condition_text": presentation.condition_text(page.get("condition"), definition),
            "questions": [
                {
                    **question,
                    "condition_text": presentation.condition_text(
                        question.get("condition"), definition
                    ),
                }
                for question in page.get("questions", [])
            ],
        }
        for page in definition.get("form", {}).get("pages", [])
    ]


@builder_view
def draft(request: HttpRequest, service_id: int) -> HttpResponse:
    service = selectors.service_for_admin(request.user, service_id)
    version = _draft_or_404(service)
    definition = version.definition
    return render(
        request,
        "backoffice/catalogue/draft.html",
        {
            "service": service,
            "version": version,
            "definition": definition,
            "pages": _annotated_pages(definition),
            "type_labels": QUESTION_TYPE_LABELS,
            "fee": presentation.fee_summary(definition),
            "sla": presentation.sla_text(definition.get("sla_working_days")),
            "problems": services.publishing_problems(version),
        },
    )


@builder_view
def draft_content(request: HttpRequest, service_id: int) -> HttpResponse:
    service = selectors.service_for_admin(request.user, service_id)
    version = _draft_or_404(service)
    form = ContentForm(request.POST or None, initial=ContentForm.initial_from(version))
    if (
        request.method == "POST"
        and form.is_valid()
        and _save(
            form,
            lambda: services.service_version_update(
                actor=request.user, version=version, **form.content()
            ),
        )
    ):
        messages.success(request, _("Saved."))
        return redirect(_builder_url(service))
    return render(
        request,
        "backoffice/catalogue/content_form.html",
        {"form": form, "service": service, "version": version},
    )


@builder_view
def draft_settings(request: HttpRequest, service_id: int) -> HttpResponse:
    service = selectors.service_for_admin(request.user, service_id)
    version = _draft_or_404(service)
    form = SettingsForm(
        request.POST or None,
        definition=version.definition,
        initial=SettingsForm.initial_from(version.definition),
    )
    if (
        request.method == "POST"
        and form.is_valid()
        and _save(
            form,
            lambda: services.service_version_update(
                actor=request.user, version=version, **form.definition_parts()
            ),
        )
    ):
        messages.success(request, _("Saved."))
        return redirect(_builder_url(service))
    return render(
        request,
        "backoffice/catalogue/settings_form.html",
        {"form": form, "service": service, "version": version},
    )


# --- pages ----------------------------------------------------------------------------------


@builder_view
def page_add(request: HttpRequest, service_id: int) -> HttpResponse:
    service = selectors.service_for_admin(request.user, service_id)
    version = _draft_or_404(service)
    form = PageForm(request.POST or None, definition=version.definition)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _save(
            form,
            lambda: services.form_page_add(
                actor=request.user,
                version=version,
                page_id=data["id"],
                title=form.translated_value("title"),
                condition=data["condition"],
            ),
        ):
            messages.success(request, _("Page added. Now add its questions."))
            return redirect(_builder_url(service, f"page-{data['id']}"))
    return render(
        request,
        "backoffice/catalogue/page_form.html",
        {"form": form, "service": service, "version": version, "page": None},
    )


@builder_view
def page_edit(request: HttpRequest, service_id: int, page_id: str) -> HttpResponse:
    service = selectors.service_for_admin(request.user, service_id)
    version = _draft_or_404(service)
    page = _find_page(version, page_id)
    form = PageForm(
        request.POST or None,
        definition=version.definition,
        page_id=page_id,
        initial=PageForm.initial_from(page, version.definition),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _save(
            form,
            lambda: services.form_page_update(
                actor=request.user,
                version=version,
                page_id=page_id,
                new_id=data["id"],
                title=form.translated_value("title"),
                condition=data["condition"],
            ),
        ):
            messages.success(request, _("Saved."))
            return redirect(_builder_url(service, f"page-{data['id']}"))
    return render(
        request,
        "backoffice/catalogue/page_form.html",
        {"form": form, "service": service, "version": version, "page": page},
    )


@builder_view
def page_delete(request: HttpRequest, service_id: int, page_id: str) -> HttpResponse:
    service = selectors.service_for_admin(request.user, service_id)
    version = _draft_or_404(service)
    page = _find_page(version, page_id)
    if request.method == "POST":
        try:
            services.form_page_delete(actor=request.user, version=version, page_id=page_id)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Page deleted."))
        return redirect(_builder_url(service))
    return render(
        request,
        "backoffice/catalogue/confirm.html",
        {
            "service": service,
            "title": _("Delete the page “%(id)s”?") % {"id": page_id},
            "text": ngettext(
                "Its %(count)d question will be deleted too.",
                "Its %(count)d questions will be deleted too.",
                len(page.get("questions", [])),
            )
            % {"count": len(page.get("questions", []))},
            "button": _("Delete the page"),
            "back": _builder_url(service, f"page-{page_id}"),
        },
    )


def _move(
    request: HttpRequest, service_id: int, move: Callable[..., Any], anchor: str, **target: str
) -> HttpResponse:
    service = selectors.service_for_admin(request.user, service_id)
    version = _draft_or_404(service)
    direction = request.POST.get("direction", "")
    if direction not in ("up", "down"):
        raise Http404
    try:
        move(actor=request.user, version=version, direction=direction, **target)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect(_builder_url(service, anchor))


@builder_view
@require_POST
def page_move(request: HttpRequest, service_id: int, page_id: str) -> HttpResponse:
    return _move(request, service_id, services.form_page_move, f"page-{page_id}", page_id=page_id)


# --- questions ------------------------------------------------------------------------------


@builder_view
def question_add(request: HttpRequest, service_id: int, page_id: str) -> HttpResponse:
    service = selectors.service_for_admin(request.user, service_id)
    version = _draft_or_404(service)
    page = _find_page(version, page_id)
    qtype = request.GET.get("type") or request.POST.get("type")
    if qtype not in QUESTION_TYPE_LABELS:
        type_form = QuestionTypeForm(request.GET if "type" in request.GET else None)
        type_form.is_valid()
        return render(
            request,
            "backoffice/catalogue/question_type.html",
            {"form": type_form, "service": service, "page": page},
        )
    form = QuestionForm(
        request.POST or None,
        qtype=qtype,
        definition=version.definition,
        page_id=page_id,
        initial={"required": True, "max_size_mb": 5, "max_files": 1},
    )
    if request.method == "POST" and form.is_valid():
        question = form.question()
        if _save(
            form,
            lambda: services.form_question_add(
                actor=request.user, version=version, page_id=page_id, question=question
            ),
        ):
            messages.success(request, _("Question added."))
            return redirect(_builder_url(service, f"question-{question['id']}"))
    return render(
        request,
        "backoffice/catalogue/question_form.html",
        {
            "form": form,
            "service": service,
            "page": page,
            "qtype": qtype,
            "type_label": QUESTION_TYPE_LABELS[qtype],
            "question": None,
        },
    )


@builder_view
def question_edit(request: HttpRequest, service_id: int, question_id: str) -> HttpResponse:
    service = selectors.service_for_admin(request.user, service_id)
    version = _draft_or_404(service)
    page, question = _find_question(version, question_id)
    qtype = question.get("type", "text")
    form = QuestionForm(
        request.POST or None,
        qtype=qtype,
        definition=version.definition,
        page_id=page["id"],
        question_id=question_id,
        initial=QuestionForm.initial_from(question, version.definition),
    )
    if request.method == "POST" and form.is_valid():
        new = form.question()
        if _save(
            form,
            lambda: services.form_question_update(
                actor=request.user, version=version, question_id=question_id, question=new
            ),
        ):
            messages.success(request, _("Saved."))
            return redirect(_builder_url(service, f"question-{new['id']}"))
    return render(
        request,
        "backoffice/catalogue/question_form.html",
        {
            "form": form,
            "service": service,
            "page": page,
            "qtype": qtype,
            "type_label": QUESTION_TYPE_LABELS.get(qtype, qtype),
            "question": question,
        },
    )


@builder_view
def question_delete(request: HttpRequest, service_id: int, question_id: str) -> HttpResponse:
    service = selectors.service_for_admin(request.user, service_id)
    version = _draft_or_404(service)
    page, _question = _find_question(version, question_id)
    if request.method == "POST":
        try:
            services.form_question_delete(
                actor=request.user, version=version, question_id=question_id
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Question deleted."))
        return redirect(_builder_url(service, f"page-{page['id']}"))
    return render(
        request,
        "backoffice/catalogue/confirm.html",
        {
            "service": service,
            "title": _("Delete the question “%(id)s”?") % {"id": question_id},
            "text": _("Conditions and fee formulas that use it must be changed first."),
            "button": _("Delete the question"),
            "back": _builder_url(service, f"question-{question_id}"),
        },
    )


@builder_view
@require_POST
def question_move(request: HttpRequest, service_id: int, question_id: str) -> HttpResponse:
    return _move(
        request,
        service_id,
        services.form_question_move,
        f"question-{question_id}",
        question_id=question_id,
    )


# --- preview, publish, history ----------------------------------------------------------------


@builder_view
def preview(request: HttpRequest, service_id: int, number: int | None = None) -> HttpResponse:
    """Every page of a version as a resident sees it, read-only (nothing can be sent)."""
    service = selectors.service_for_admin(request.user, service_id)
    version = _draft_or_404(service) if number is None else selectors.version_of(service, number)
    definition = version.definition
    return render(
        request,
        "backoffice/catalogue/preview.html",
        {
            "service": service,
            "version": version,
            "pages": _annotated_pages(definition),
            "currency": (definition.get("fee") or {}).get("currency") or "EUR",
            "issues": definition.get("issues"),
            "fee": presentation.fee_summary(definition),
            "fee_timing": presentation.fee_timing_text(definition),
            "sla": presentation.sla_text(definition.get("sla_working_days")),
            "validity": presentation.validity_text(
                (definition.get("issues") or {}).get("validity_days")
            ),
            "uploads": presentation.uploads_needed(definition),
        },
    )


@builder_view
def publish(request: HttpRequest, service_id: int) -> HttpResponse:
    service = selectors.service_for_admin(request.user, service_id)
    version = _draft_or_404(service)
    problems = services.publishing_problems(version)
    if request.method == "POST" and not problems:
        try:
            services.service_version_publish(actor=request.user, version=version)
        except ValidationError as error:
            problems = error.messages
        else:
            messages.success(
                request,
                _("Version %(number)s is published. Residents see it now.")
                % {"number": version.number},
            )
            return redirect("backoffice:catalogue_service", service.pk)
    return render(
        request,
        "backoffice/catalogue/publish.html",
        {"service": service, "version": version, "problems": problems},
    )
