"""Consultations for residents: the list, a consultation with its documents and comments,
answering the survey (one question per page, check your answers, confirmation), comments,
replies and reports, results after the close, and the opinion map (one statement at a time).

Views parse input, call a service or selector, and render. Drafts answer 404.
"""

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ecitizen.accounts.types import AuthedRequest
from ecitizen.consultations import answers as engine
from ecitizen.consultations import mapping, presentation, selectors, services
from ecitizen.consultations.forms import (
    CommentForm,
    ReplyForm,
    ReportForm,
    StartForm,
    StatementForm,
    apply_errors,
)
from ecitizen.consultations.models import (
    Comment,
    Consultation,
    Document,
    Question,
    Section,
    Statement,
    Vote,
)
from ecitizen.consultations.templatetags.consultations_tags import format_when


def _consultation(pk: int) -> Consultation:
    try:
        return selectors.consultation_public(pk)
    except Consultation.DoesNotExist:
        raise Http404 from None


def _when(value: Any) -> str:
    return format_when(value)


def _url(name: str, *args: Any, **query: str) -> str:
    url = reverse(f"consultations:{name}", args=args)
    return f"{url}?{urlencode(query)}" if query else url


def _posted(request: HttpRequest) -> Any:
    """The submitted data on POST (even when empty, so an empty form shows its errors)."""
    return request.POST if request.method == "POST" else None


# --------------------------------------------------------------------------- list and page


def index(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    consultations = list(selectors.consultations_public())
    return render(
        request,
        "consultations/index.html",
        {
            "open": [c for c in consultations if c.is_open(now)],
            "upcoming": [c for c in consultations if c.opens_at > now],
            "closed": sorted(
                (c for c in consultations if c.has_closed(now)),
                key=lambda c: c.closes_at,
                reverse=True,
            ),
        },
    )


def _comment_context(
    request: HttpRequest, consultation: Consultation, section: Section | None, form: Any
) -> dict[str, Any]:
    problems = selectors.participation_problems(consultation, request.user)
    return {
        "threads": selectors.comment_threads(consultation, section),
        "comment_form": form if not problems else None,
        "comment_problems": problems,
        "user_id": request.user.pk if request.user.is_authenticated else None,
    }


def _post_comment(
    request: HttpRequest, consultation: Consultation, section: Section | None
) -> tuple[Any, HttpResponse | None]:
    """Handle the comment form (POST); returns the bound form and a redirect on success.
    Someone who may not take part gets the page again with the reason (and no form)."""
    if not request.user.is_authenticated:
        return CommentForm(), redirect(f"{reverse('account_login')}?next={request.path}")
    if selectors.participation_problems(consultation, request.user):
        return None, None
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            comment = services.comment_post(
                actor=request.user,  # type: ignore[arg-type]
                consultation=consultation,
                body=form.cleaned_data["body"],
                section=section,
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Your comment is published."))
            return form, redirect(f"{request.path}#comment-{comment.pk}")
    return form, None


def _comment_status(form: Any) -> int:
    if form is None:  # posted by someone who may not take part
        return 403
    return 400 if form.errors else 200


def detail(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = _consultation(pk)
    form: Any = CommentForm()
    if request.method == "POST":
        form, done = _post_comment(request, consultation, None)
        if done:
            return done
    response = selectors.own_response(consultation, request.user)
    context = {
        "consultation": consultation,
        "areas": list(consultation.areas.all()),
        "documents": list(consultation.documents.all()),
        "counts": selectors.comment_counts(consultation),
        "response": response,
        "problems": selectors.participation_problems(consultation, request.user),
        "opens": _when(consultation.opens_at),
        "closes": _when(consultation.closes_at),
        "is_open": consultation.is_open(),
        "has_closed": consultation.has_closed(),
        "has_questions": consultation.questions.exists(),
        **_comment_context(request, consultation, None, form),
    }
    return render(request, "consultations/detail.html", context, status=_comment_status(form))


def document(request: HttpRequest, pk: int, doc_id: int) -> FileResponse:
    """A consultation document, always as a download (never rendered by the browser here)."""
    consultation = _consultation(pk)
    doc = Document.objects.filter(consultation=consultation, pk=doc_id).first()
    if doc is None:
        raise Http404
    response = FileResponse(
        doc.file.open("rb"),
        as_attachment=True,
        filename=doc.original_name,
        content_type=doc.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def section(request: HttpRequest, pk: int, doc_id: int, anchor: str) -> HttpResponse:
    consultation = _consultation(pk)
    try:
        found = selectors.section_public(consultation, doc_id, anchor)
    except Section.DoesNotExist:
        raise Http404 from None
    form: Any = CommentForm()
    if request.method == "POST":
        form, done = _post_comment(request, consultation, found)
        if done:
            return done
    context = {
        "consultation": consultation,
        "section": found,
        "document": found.document,
        **_comment_context(request, consultation, found, form),
    }
    return render(request, "consultations/section.html", context, status=_comment_status(form))


def _comment(consultation: Consultation, comment_id: int) -> Comment:
    comment = (
        Comment.objects.select_related("section__document")
        .filter(consultation=consultation, pk=comment_id)
        .first()
    )
    if comment is None:
        raise Http404
    return comment


def _comment_url(comment: Comment) -> str:
    if comment.section_id:
        section = comment.section
        assert section is not None
        base = _url("section", comment.consultation_id, section.document_id, section.anchor)
    else:
        base = _url("detail", comment.consultation_id)
    return f"{base}#comment-{comment.pk}"


@login_required
def reply(request: AuthedRequest, pk: int, comment_id: int) -> HttpResponse:
    consultation = _consultation(pk)
    parent = _comment(consultation, comment_id)
    problems = selectors.participation_problems(consultation, request.user)
    form = ReplyForm(_posted(request))
    if request.method == "POST" and not problems and form.is_valid():
        try:
            comment = services.comment_post(
                actor=request.user,
                consultation=consultation,
                body=form.cleaned_data["body"],
                parent=parent,
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Your reply is published."))
            return redirect(_comment_url(comment))
    return render(
        request,
        "consultations/reply.html",
        {
            "consultation": consultation,
            "parent": parent,
            "form": form,
            "problems": problems,
            "back_url": _comment_url(parent),
        },
        status=400 if form.errors else 200,
    )


@login_required
def report(request: AuthedRequest, pk: int, comment_id: int) -> HttpResponse:
    consultation = _consultation(pk)
    comment = _comment(consultation, comment_id)
    form = ReportForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.comment_report(
                actor=request.user,
                comment=comment,
                reason=form.cleaned_data["reason"],
                detail=form.cleaned_data["detail"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request,
                _("Thank you. A moderator will look at the comment you reported."),
            )
            return redirect(_comment_url(comment))
    return render(
        request,
        "consultations/report.html",
        {
            "consultation": consultation,
            "comment": comment,
            "form": form,
            "back_url": _comment_url(comment),
        },
        status=400 if form.errors else 200,
    )


# --------------------------------------------------------------------------- the survey


def _survey(request: AuthedRequest, pk: int) -> tuple[Consultation, list[Question]]:
    consultation = _consultation(pk)
    questions = selectors.questions_of(consultation)
    if not questions:
        raise Http404
    return consultation, questions


def _refused(request: HttpRequest, consultation: Consultation) -> HttpResponse | None:
    problems = selectors.participation_problems(consultation, request.user)
    if problems:
        return render(
            request,
            "consultations/cannot_take_part.html",
            {"consultation": consultation, "problems": problems},
            status=403,
        )
    return None


def _next_question_url(
    consultation: Consultation,
    questions: list[Question],
    answers: dict[str, Any],
    after: str | None,
) -> str:
    visible = engine.visible_questions(questions, answers)
    keys = [q.key for q in visible]
    start = keys.index(after) + 1 if after in keys else 0
    for question in visible[start:]:
        return _url("question", consultation.pk, question.key)
    return _url("check", consultation.pk)


@login_required
def respond(request: AuthedRequest, pk: int) -> HttpResponse:
    """Start (or resume) the person's response; ask about anonymity where it is allowed."""
    consultation, questions = _survey(request, pk)
    refused = _refused(request, consultation)
    if refused:
        return refused
    existing = selectors.own_response(consultation, request.user)
    if existing is not None:
        if existing.is_submitted:
            return redirect(_url("check", consultation.pk))
        first_missing = engine.missing_required(questions, existing.answers)
        if existing.answers and first_missing:
            return redirect(_url("question", consultation.pk, first_missing[0].key))
        return redirect(_next_question_url(consultation, questions, existing.answers, None))
    form = StartForm(_posted(request)) if consultation.allow_anonymous else None
    if request.method == "POST" and (form is None or form.is_valid()):
        anonymous = bool(form.cleaned_data["anonymous"]) if form is not None else False
        try:
            services.response_start(
                actor=request.user, consultation=consultation, anonymous=anonymous
            )
        except ValidationError as error:
            if form is None:
                raise PermissionDenied from error
            apply_errors(form, error)
        else:
            return redirect(_next_question_url(consultation, questions, {}, None))
    return render(
        request,
        "consultations/respond_start.html",
        {
            "consultation": consultation,
            "form": form,
            "questions": questions,
            "closes": _when(consultation.closes_at),
        },
        status=400 if form is not None and form.errors else 200,
    )


@login_required
def question(request: AuthedRequest, pk: int, key: str) -> HttpResponse:
    consultation, questions = _survey(request, pk)
    refused = _refused(request, consultation)
    if refused:
        return refused
    response = selectors.own_response(consultation, request.user)
    if response is None:
        return redirect(_url("respond", consultation.pk))
    visible = engine.visible_questions(questions, response.answers)
    current = next((q for q in visible if q.key == key), None)
    if current is None:
        raise Http404
    to_check = request.GET.get("return") == "check"
    action = request.POST.get("action", "continue")
    form = engine.AnswerForm(
        _posted(request),
        question=current,
        initial_value=response.answers.get(current.key),
        enforce_required=action != "save",
    )
    if request.method == "POST" and form.is_valid():
        result = services.response_save(
            actor=request.user,
            consultation=consultation,
            answers={current.key: form.cleaned_data.get("value")},
        )
        if result.reopened:
            messages.warning(
                request,
                _(
                    "Your response has questions without an answer now. Answer them, then "
                    "send your response again."
                ),
            )
        if action == "save":
            messages.success(
                request,
                _("Your answers are saved. You can come back and carry on until %(date)s.")
                % {"date": _when(consultation.closes_at)},
            )
            return redirect(_url("detail", consultation.pk))
        answers = result.response.answers
        if to_check and not result.reopened:
            return redirect(_url("check", consultation.pk))
        return redirect(_next_question_url(consultation, questions, answers, current.key))
    index = [q.key for q in visible].index(current.key)
    back = (
        _url("check", consultation.pk)
        if to_check
        else (
            _url("question", consultation.pk, visible[index - 1].key)
            if index
            else _url("detail", consultation.pk)
        )
    )
    return render(
        request,
        "consultations/question.html",
        {
            "consultation": consultation,
            "question": current,
            "form": form,
            "number": index + 1,
            "total": len(visible),
            "back_url": back,
            "response": response,
        },
        status=400 if form.errors else 200,
    )


@login_required
def check(request: AuthedRequest, pk: int) -> HttpResponse:
    consultation, questions = _survey(request, pk)
    refused = _refused(request, consultation)
    if refused:
        return refused
    response = selectors.own_response(consultation, request.user)
    if response is None:
        return redirect(_url("respond", consultation.pk))
    errors: list[tuple[str, str]] = []
    if request.method == "POST":
        try:
            services.response_submit(actor=request.user, consultation=consultation)
        except services.MissingAnswers as missing:
            errors = [
                (
                    _url("question", consultation.pk, q.key, **{"return": "check"}),
                    engine.required_message(q),
                )
                for q in missing.questions
            ]
        else:
            return redirect(_url("sent", consultation.pk))
    rows = [
        {
            "question": q,
            "answer": engine.display_answer(q, response.answers.get(q.key)),
            "change_url": _url("question", consultation.pk, q.key, **{"return": "check"}),
        }
        for q in engine.visible_questions(questions, response.answers)
    ]
    return render(
        request,
        "consultations/check.html",
        {
            "consultation": consultation,
            "response": response,
            "rows": rows,
            "errors": errors,
            "closes": _when(consultation.closes_at),
        },
        status=400 if errors else 200,
    )


@login_required
def sent(request: AuthedRequest, pk: int) -> HttpResponse:
    consultation = _consultation(pk)
    response = selectors.own_response(consultation, request.user)
    if response is None or not response.is_submitted:
        raise Http404
    return render(
        request,
        "consultations/sent.html",
        {
            "consultation": consultation,
            "response": response,
            "closes": _when(consultation.closes_at),
        },
    )


# --------------------------------------------------------------------------- results


def results(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = _consultation(pk)
    if not consultation.has_closed():
        raise Http404
    total, per_question = selectors.question_results(consultation)
    return render(
        request,
        "consultations/results.html",
        {
            "consultation": consultation,
            "total": total,
            "results": [presentation.result_view(r) for r in per_question],
        },
    )


# --------------------------------------------------------------------------- opinion map


def _map_consultation(pk: int) -> Consultation:
    consultation = _consultation(pk)
    if not consultation.opinion_map_enabled:
        raise Http404
    return consultation


def opinions(request: HttpRequest, pk: int) -> HttpResponse:
    """One statement at a time, with agree / disagree / pass buttons (a form each)."""
    consultation = _map_consultation(pk)
    problems = selectors.participation_problems(consultation, request.user)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"{reverse('account_login')}?next={request.path}")
        statement = Statement.objects.filter(
            consultation=consultation, pk=request.POST.get("statement") or 0
        ).first()
        try:
            vote = int(request.POST.get("vote", ""))
        except ValueError:
            vote = 99
        if statement is None or problems:
            raise Http404
        try:
            services.opinion_vote(
                actor=request.user,  # type: ignore[arg-type]
                consultation=consultation,
                statement=statement,
                vote=vote,
            )
        except (ValidationError, PermissionDenied):
            messages.error(request, _("Choose agree, disagree or pass."))
        return redirect(_url("opinions", consultation.pk))
    participant = selectors.opinion_participant(consultation, request.user)
    statement = selectors.next_statement(consultation, participant) if not problems else None
    voted, total = selectors.opinion_progress(consultation, participant)
    return render(
        request,
        "consultations/opinions.html",
        {
            "consultation": consultation,
            "statement": statement,
            "statement_lang": _text_language(statement.text) if statement else "",
            "problems": problems,
            "voted": voted,
            "total": total,
            "choices": [
                (Vote.AGREE, _("Agree")),
                (Vote.DISAGREE, _("Disagree")),
                (Vote.PASS, _("Pass / unsure")),
            ],
        },
    )


def _text_language(text: dict[str, str]) -> str:
    """The language ``tr`` shows a statement in (for the ``lang`` attribute)."""
    active = (translation.get_language() or "en")[:2]
    for code in (active, "en", *text):
        if text.get(code):
            return code
    return active


@login_required
def statement_new(request: AuthedRequest, pk: int) -> HttpResponse:
    consultation = _map_consultation(pk)
    refused = _refused(request, consultation)
    if refused:
        return refused
    form = StatementForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.statement_submit(
                actor=request.user,
                consultation=consultation,
                text=form.cleaned_data["text"],
                language=(translation.get_language() or "en")[:2],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request,
                _(
                    "Thank you. Your statement will be shown to others once a moderator has "
                    "checked it."
                ),
            )
            return redirect(_url("opinions", consultation.pk))
    return render(
        request,
        "consultations/statement_new.html",
        {"consultation": consultation, "form": form},
        status=400 if form.errors else 200,
    )


def opinion_map(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = _map_consultation(pk)
    stored = selectors.opinion_result(consultation)
    context: dict[str, Any] = {"consultation": consultation, "stored": stored}
    if stored is not None:
        language = (translation.get_language() or "en")[:2]
        svg = stored.svg.get(language) or stored.svg.get("en", "")
        participant = selectors.opinion_participant(consultation, request.user)
        you = None
        if participant is not None:
            built = mapping.from_json(stored.data)
            position = built.position_of(participant.pk)
            if position is not None:
                svg = mapping.render_svg(built, highlight=participant.pk)
                you = next((g for g in built.groups if g.id == position.group_id), None)
        context.update(presentation.map_view(consultation, stored))
        context.update(
            {
                "svg": svg,
                "you": mapping.group_name(you.label) if you else None,
                "computed": _when(stored.computed_at),
            }
        )
    return render(request, "consultations/map.html", context)
