"""Consultations in the back office: create and edit a consultation (questions, documents and
their sections, the opinion map's statements), publish it, moderate comments and statements,
and after the close: results, free-text answers with tags, CSV/JSON exports and the published
response ("you said, we did").

Every view is for agency admins (platform admins too), and only for their agency's
consultations: anything else answers 404. Writes go through
``ecitizen.consultations.services``; a refusal is shown on the form with what was typed kept.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ecitizen.accounts.models import StaffRole
from ecitizen.accounts.permissions import staff_required
from ecitizen.accounts.types import AuthedRequest
from ecitizen.applications.uploads import validate_upload
from ecitizen.audit.services import audit_record
from ecitizen.consultations import exports, presentation, selectors, services
from ecitizen.consultations.forms import (
    ConsultationForm,
    DocumentForm,
    HideForm,
    OutcomeForm,
    QuestionForm,
    RejectStatementForm,
    SectionForm,
    StaffStatementForm,
    TagForm,
    apply_errors,
)
from ecitizen.consultations.models import (
    AnswerTag,
    Comment,
    Consultation,
    Document,
    Question,
    Response,
    Section,
    Statement,
)
from ecitizen.consultations.tasks import schedule_recompute
from ecitizen.consultations.templatetags.consultations_tags import format_when
from ecitizen.core.i18n import tr

admin_required = staff_required(StaffRole.Role.AGENCY_ADMIN)
View = Callable[..., HttpResponse]


def staff_view(view: View) -> View:
    """Agency admins only; a service refusing the actor looks like any other missing page."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(*args, **kwargs)
        except PermissionDenied:
            raise Http404 from None

    return admin_required(wrapper)


def _managed(request: AuthedRequest, pk: int) -> Consultation:
    try:
        return selectors.consultation_for_staff(request.user, pk)
    except Consultation.DoesNotExist:
        raise Http404 from None


def _url(name: str, *args: Any) -> str:
    return reverse(f"backoffice:{name}", args=args)


def _posted(request: HttpRequest) -> Any:
    """The submitted data on POST (even when empty, so an empty form shows its errors)."""
    return request.POST if request.method == "POST" else None


def _status(request: AuthedRequest, form: Any) -> int:
    return 400 if request.method == "POST" and form.errors else 200


# --------------------------------------------------------------------------- consultations


@staff_view
def consultation_list(request: AuthedRequest) -> HttpResponse:
    return render(
        request,
        "backoffice/consultations/list.html",
        {
            "consultations": list(selectors.consultations_for_staff(request.user)),
            "can_create": bool(selectors.staff_agencies(request.user)),
        },
    )


@staff_view
def consultation_create(request: AuthedRequest) -> HttpResponse:
    agencies = selectors.staff_agencies(request.user)
    if not agencies:
        raise Http404
    form = ConsultationForm(_posted(request), agencies=agencies)
    if request.method == "POST" and form.is_valid():
        try:
            consultation = services.consultation_create(
                actor=request.user, agency=form.cleaned_data["agency"], data=form.data_object()
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Consultation created. Add its questions and documents."))
            return redirect(_url("consultation", consultation.pk))
    return render(
        request,
        "backoffice/consultations/form.html",
        {"form": form, "consultation": None},
        status=_status(request, form),
    )


@staff_view
def consultation_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    consultation = _managed(request, pk)
    agencies = [consultation.agency]
    form = ConsultationForm(
        _posted(request),
        agencies=agencies,
        initial=ConsultationForm.initial_for(consultation),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.consultation_update(
                actor=request.user, consultation=consultation, data=form.data_object()
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect(_url("consultation", consultation.pk))
    return render(
        request,
        "backoffice/consultations/form.html",
        {"form": form, "consultation": consultation},
        status=_status(request, form),
    )


@staff_view
def overview(request: AuthedRequest, pk: int) -> HttpResponse:
    consultation = _managed(request, pk)
    questions = selectors.questions_of(consultation)
    by_key = {q.key: q for q in questions}
    rows = []
    for q in questions:
        condition = q.condition or {}
        target = by_key.get(condition.get("question", ""))
        shown_if = ""
        if target is not None:
            shown_if = _("Asked only if the answer to “%(question)s” is “%(option)s”.") % {
                "question": tr(target.label),
                "option": ", ".join(
                    presentation_option(target, v) for v in condition.get("in", [])
                ),
            }
        rows.append({"question": q, "shown_if": shown_if})
    n_responses = Response.objects.filter(
        consultation=consultation, submitted_at__isnull=False
    ).count()
    return render(
        request,
        "backoffice/consultations/overview.html",
        {
            "consultation": consultation,
            "rows": rows,
            "documents": list(consultation.documents.all()),
            "problems": services.publish_problems(consultation)
            if consultation.status == Consultation.Status.DRAFT
            else [],
            "editable": not consultation.has_opened(),
            "has_closed": consultation.has_closed(),
            "n_responses": n_responses,
            "n_reports": len(selectors.reported_comments(consultation)),
            "n_pending": selectors.pending_statements(consultation).count(),
            "areas": list(consultation.areas.all()),
        },
    )


def presentation_option(question: Question, value: str) -> str:
    from ecitizen.consultations.answers import option_label

    return option_label(question, value)


@staff_view
@require_POST
def publish(request: AuthedRequest, pk: int) -> HttpResponse:
    consultation = _managed(request, pk)
    try:
        services.consultation_publish(actor=request.user, consultation=consultation)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Published. Residents can see the consultation."))
    return redirect(_url("consultation", consultation.pk))


@staff_view
@require_POST
def close(request: AuthedRequest, pk: int) -> HttpResponse:
    consultation = _managed(request, pk)
    try:
        services.consultation_close(actor=request.user, consultation=consultation)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(
            request, _("Closed. Nothing links anonymous responses to people any more.")
        )
    return redirect(_url("consultation", consultation.pk))


# --------------------------------------------------------------------------- questions


@staff_view
def question_edit(request: AuthedRequest, pk: int, question_id: int | None = None) -> HttpResponse:
    consultation = _managed(request, pk)
    questions = selectors.questions_of(consultation)
    question = None
    if question_id is not None:
        question = next((q for q in questions if q.pk == question_id), None)
        if question is None:
            raise Http404
    earlier = questions[: questions.index(question)] if question else questions
    form = QuestionForm(
        _posted(request),
        earlier=earlier,
        initial=QuestionForm.initial_for(question)
        if question
        else {"required": True, "scale_points": 5},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.question_save(
                actor=request.user,
                consultation=consultation,
                data=form.data_object(),
                question=question,
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Question saved."))
            return redirect(_url("consultation", consultation.pk) + "#questions")
    return render(
        request,
        "backoffice/consultations/question_form.html",
        {"form": form, "consultation": consultation, "question": question},
        status=_status(request, form),
    )


def _question(consultation: Consultation, question_id: int) -> Question:
    question = Question.objects.filter(consultation=consultation, pk=question_id).first()
    if question is None:
        raise Http404
    return question


@staff_view
@require_POST
def question_delete(request: AuthedRequest, pk: int, question_id: int) -> HttpResponse:
    consultation = _managed(request, pk)
    question = _question(consultation, question_id)
    try:
        services.question_delete(actor=request.user, question=question)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("Question deleted."))
    return redirect(_url("consultation", consultation.pk) + "#questions")


@staff_view
@require_POST
def question_move(request: AuthedRequest, pk: int, question_id: int) -> HttpResponse:
    consultation = _managed(request, pk)
    question = _question(consultation, question_id)
    try:
        services.question_move(
            actor=request.user, question=question, up=request.POST.get("direction") == "up"
        )
    except ValidationError as error:
        messages.error(request, error.messages[0])
    return redirect(_url("consultation", consultation.pk) + "#questions")


# --------------------------------------------------------------------------- documents


@staff_view
def document_add(request: AuthedRequest, pk: int) -> HttpResponse:
    consultation = _managed(request, pk)
    form = DocumentForm(_posted(request), request.FILES if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            upload = validate_upload(form.cleaned_data["file"])
            services.document_add(
                actor=request.user,
                consultation=consultation,
                title=form.translated_value("title"),
                upload=upload,
            )
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                form.add_error("file", error.messages[0])
            else:
                apply_errors(form, error)
        else:
            messages.success(request, _("Document added. You can now add its sections."))
            return redirect(_url("consultation", consultation.pk) + "#documents")
    return render(
        request,
        "backoffice/consultations/document_form.html",
        {"form": form, "consultation": consultation},
        status=_status(request, form),
    )


def _document(consultation: Consultation, doc_id: int) -> Document:
    document = Document.objects.filter(consultation=consultation, pk=doc_id).first()
    if document is None:
        raise Http404
    return document


@staff_view
@require_POST
def document_delete(request: AuthedRequest, pk: int, doc_id: int) -> HttpResponse:
    consultation = _managed(request, pk)
    try:
        services.document_remove(actor=request.user, document=_document(consultation, doc_id))
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("Document removed."))
    return redirect(_url("consultation", consultation.pk) + "#documents")


@staff_view
def section_add(request: AuthedRequest, pk: int, doc_id: int) -> HttpResponse:
    consultation = _managed(request, pk)
    document = _document(consultation, doc_id)
    form = SectionForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.section_add(
                actor=request.user, document=document, title=form.translated_value("title")
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Section added: residents can comment on it."))
            return redirect(_url("consultation", consultation.pk) + "#documents")
    return render(
        request,
        "backoffice/consultations/section_form.html",
        {"form": form, "consultation": consultation, "document": document},
        status=_status(request, form),
    )


@staff_view
@require_POST
def section_delete(request: AuthedRequest, pk: int, section_id: int) -> HttpResponse:
    consultation = _managed(request, pk)
    section = Section.objects.filter(document__consultation=consultation, pk=section_id).first()
    if section is None:
        raise Http404
    try:
        services.section_remove(actor=request.user, section=section)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("Section removed."))
    return redirect(_url("consultation", consultation.pk) + "#documents")


# --------------------------------------------------------------------------- moderation


@staff_view
def moderation(request: AuthedRequest, pk: int) -> HttpResponse:
    consultation = _managed(request, pk)
    return render(
        request,
        "backoffice/consultations/moderation.html",
        {
            "consultation": consultation,
            "reported": selectors.reported_comments(consultation),
            "hidden": list(selectors.hidden_comments(consultation)),
            "pending": list(selectors.pending_statements(consultation)),
        },
    )


def _comment(consultation: Consultation, comment_id: int) -> Comment:
    comment = (
        Comment.objects.select_related("consultation", "section")
        .filter(consultation=consultation, pk=comment_id)
        .first()
    )
    if comment is None:
        raise Http404
    return comment


@staff_view
def comment_hide(request: AuthedRequest, pk: int, comment_id: int) -> HttpResponse:
    consultation = _managed(request, pk)
    comment = _comment(consultation, comment_id)
    form = HideForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.comment_hide(
                actor=request.user, comment=comment, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Comment hidden. Everyone sees the reason in its place."))
            return redirect(_url("consultation_moderation", consultation.pk))
    return render(
        request,
        "backoffice/consultations/hide.html",
        {"form": form, "consultation": consultation, "comment": comment},
        status=_status(request, form),
    )


@staff_view
@require_POST
def comment_restore(request: AuthedRequest, pk: int, comment_id: int) -> HttpResponse:
    consultation = _managed(request, pk)
    services.comment_restore(actor=request.user, comment=_comment(consultation, comment_id))
    messages.success(request, _("Comment shown again."))
    return redirect(_url("consultation_moderation", consultation.pk))


@staff_view
@require_POST
def comment_dismiss(request: AuthedRequest, pk: int, comment_id: int) -> HttpResponse:
    consultation = _managed(request, pk)
    services.comment_reports_dismiss(actor=request.user, comment=_comment(consultation, comment_id))
    messages.success(request, _("Reports closed. The comment stays visible."))
    return redirect(_url("consultation_moderation", consultation.pk))


# --------------------------------------------------------------------------- statements


@staff_view
def statements(request: AuthedRequest, pk: int) -> HttpResponse:
    consultation = _managed(request, pk)
    if not consultation.opinion_map_enabled:
        raise Http404
    form = StaffStatementForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.statement_add(
                actor=request.user, consultation=consultation, text=form.translated_value("text")
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Statement added and shown."))
            return redirect(_url("consultation_statements", consultation.pk))
    return render(
        request,
        "backoffice/consultations/statements.html",
        {
            "consultation": consultation,
            "form": form,
            "statements": list(selectors.staff_statements(consultation)),
        },
        status=_status(request, form),
    )


def _statement(consultation: Consultation, statement_id: int) -> Statement:
    statement = Statement.objects.filter(consultation=consultation, pk=statement_id).first()
    if statement is None:
        raise Http404
    return statement


@staff_view
@require_POST
def statement_approve(request: AuthedRequest, pk: int, statement_id: int) -> HttpResponse:
    consultation = _managed(request, pk)
    services.statement_moderate(
        actor=request.user, statement=_statement(consultation, statement_id), approve=True
    )
    messages.success(request, _("Statement approved: people can vote on it."))
    return redirect(_url("consultation_moderation", consultation.pk))


@staff_view
def statement_reject(request: AuthedRequest, pk: int, statement_id: int) -> HttpResponse:
    consultation = _managed(request, pk)
    statement = _statement(consultation, statement_id)
    form = RejectStatementForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        services.statement_moderate(
            actor=request.user,
            statement=statement,
            approve=False,
            reason=form.cleaned_data["reason"],
        )
        messages.success(request, _("Statement not shown."))
        return redirect(_url("consultation_moderation", consultation.pk))
    return render(
        request,
        "backoffice/consultations/statement_reject.html",
        {"form": form, "consultation": consultation, "statement": statement},
        status=_status(request, form),
    )


@staff_view
def opinion_map(request: AuthedRequest, pk: int) -> HttpResponse:
    consultation = _managed(request, pk)
    if not consultation.opinion_map_enabled:
        raise Http404
    if request.method == "POST":
        if schedule_recompute(consultation.pk):
            messages.success(request, _("The map is being updated. Reload in a few seconds."))
        else:
            messages.info(request, _("An update of the map is already on its way."))
        return redirect(_url("consultation_map", consultation.pk))
    stored = selectors.opinion_result(consultation)
    context: dict[str, Any] = {"consultation": consultation, "stored": stored}
    if stored is not None:
        language = (translation.get_language() or "en")[:2]
        context.update(presentation.map_view(consultation, stored))
        context.update(
            {
                "svg": stored.svg.get(language) or stored.svg.get("en", ""),
                "computed": _local(stored.computed_at),
                "silhouette": stored.data.get("silhouette_by_k", {}),
                "explained": stored.data.get("explained_variance", []),
            }
        )
    return render(request, "backoffice/consultations/map.html", context)


def _local(value: Any) -> str:
    return format_when(value)


# --------------------------------------------------------------------------- results


def _closed(request: AuthedRequest, pk: int) -> Consultation:
    consultation = _managed(request, pk)
    if not consultation.has_closed():
        raise Http404
    return consultation


@staff_view
def results(request: AuthedRequest, pk: int) -> HttpResponse:
    consultation = _closed(request, pk)
    total, per_question = selectors.question_results(consultation)
    return render(
        request,
        "backoffice/consultations/results.html",
        {
            "consultation": consultation,
            "total": total,
            "results": [presentation.result_view(r) for r in per_question],
            "staff_text_url": _url("consultation_results", consultation.pk) + "text/",
        },
    )


@staff_view
def text_answers(request: AuthedRequest, pk: int, question_id: int) -> HttpResponse:
    consultation = _closed(request, pk)
    question = _question(consultation, question_id)
    if question.kind != Question.Kind.TEXT:
        raise Http404
    tag = request.GET.get("tag", "").strip()
    found = selectors.free_text_answers(consultation, question, tag=tag)
    return render(
        request,
        "backoffice/consultations/text_answers.html",
        {
            "consultation": consultation,
            "question": question,
            "answers": [
                (a, TagForm(prefix=f"r{a.response_id[:8]}", auto_id=f"tag-{a.response_id}-%s"))
                for a in found
            ],
            "tags": selectors.tag_labels(consultation, question),
            "tag": tag,
        },
    )


@staff_view
@require_POST
def tag_add(request: AuthedRequest, pk: int, question_id: int, response_id: Any) -> HttpResponse:
    consultation = _closed(request, pk)
    question = _question(consultation, question_id)
    response = Response.objects.filter(
        consultation=consultation, pk=response_id, submitted_at__isnull=False
    ).first()
    if response is None:
        raise Http404
    form = TagForm(request.POST, prefix=f"r{str(response.id)[:8]}")
    back = _url("consultation_text_answers", consultation.pk, question.pk)
    if form.is_valid():
        services.answer_tag_add(
            actor=request.user,
            response=response,
            question=question,
            label=form.cleaned_data["label"],
        )
        messages.success(request, _("Tag added."))
    else:
        messages.error(request, _("Enter a tag."))
    return redirect(f"{back}#answer-{response.id}")


@staff_view
@require_POST
def tag_delete(request: AuthedRequest, pk: int, tag_id: int) -> HttpResponse:
    consultation = _closed(request, pk)
    tag = (
        AnswerTag.objects.select_related("response__consultation", "question")
        .filter(pk=tag_id, response__consultation=consultation)
        .first()
    )
    if tag is None:
        raise Http404
    question_id, response_id = tag.question_id, tag.response_id
    services.answer_tag_remove(actor=request.user, tag=tag)
    messages.success(request, _("Tag removed."))
    back = _url("consultation_text_answers", consultation.pk, question_id)
    return redirect(f"{back}#answer-{response_id}")


def _export_audit(request: AuthedRequest, consultation: Consultation, kind: str) -> None:
    audit_record(
        actor=request.user,
        action="consultations.export.downloaded",
        obj=consultation,
        data={"format": kind},
    )


@staff_view
def export_csv(request: AuthedRequest, pk: int) -> HttpResponse:
    consultation = _closed(request, pk)
    language = (translation.get_language() or "en")[:2]
    _export_audit(request, consultation, "csv")
    response = HttpResponse(
        exports.to_csv(consultation, language), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="consultation-{consultation.pk}-responses.csv"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


@staff_view
def export_json(request: AuthedRequest, pk: int) -> HttpResponse:
    consultation = _closed(request, pk)
    _export_audit(request, consultation, "json")
    response = HttpResponse(exports.to_json(consultation), content_type="application/json")
    response["Content-Disposition"] = (
        f'attachment; filename="consultation-{consultation.pk}-responses.json"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


@staff_view
def outcome(request: AuthedRequest, pk: int) -> HttpResponse:
    consultation = _closed(request, pk)
    initial = {f"outcome_{code}": text for code, text in (consultation.outcome or {}).items()}
    form = OutcomeForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        first = consultation.outcome_published_at is None
        try:
            services.consultation_outcome_publish(
                actor=request.user,
                consultation=consultation,
                outcome=form.translated_value("outcome"),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request,
                _("Published. We are telling everyone who took part.")
                if first
                else _("Changes published."),
            )
            return redirect(_url("consultation_results", consultation.pk))
    return render(
        request,
        "backoffice/consultations/outcome.html",
        {"form": form, "consultation": consultation},
        status=_status(request, form),
    )
