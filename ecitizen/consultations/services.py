"""Every write of the consultations app. Keyword-only, atomic, audited; side effects (tasks,
messages) only once the change commits.

Refusals a person can act on raise ``ValidationError`` with a translated message (on a
field when the message is about one: ``{"field": [message]}``); a refusal of who they are
raises ``PermissionDenied`` (views answer 404).
"""

import datetime
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.tasks import default_task_backend
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ecitizen.accounts.models import User
from ecitizen.accounts.selectors import profile_for
from ecitizen.applications.uploads import ValidatedUpload
from ecitizen.audit.services import audit_record
from ecitizen.consultations import answers as engine
from ecitizen.consultations import selectors
from ecitizen.consultations.models import (
    AnswerTag,
    Comment,
    CommentReport,
    Consultation,
    Document,
    Follower,
    OpinionMapResult,
    OpinionParticipant,
    Question,
    Response,
    Section,
    Statement,
    Vote,
)
from ecitizen.core.i18n import LANGUAGE_CODES, missing_languages, tr
from ecitizen.core.models import Agency, Area

Kind = Question.Kind
COMMENT_MAX_LENGTH = 2000
STATEMENT_MAX_LENGTH = 140
CHOICE_KINDS = (Kind.SINGLE, Kind.MULTIPLE)


def _require_manager(actor: Any, consultation: Consultation) -> None:
    if actor is None or not selectors.staff_may_manage(actor, consultation):
        raise PermissionDenied


def _language_names() -> dict[str, str]:
    return {"en": _("English"), "fr": _("French"), "es": _("Spanish")}


# --------------------------------------------------------------------------- consultations


@dataclass
class ConsultationData:
    title: dict[str, str]
    summary: dict[str, str]
    body: dict[str, str]
    opens_at: datetime.datetime
    closes_at: datetime.datetime
    participation: str = Consultation.Participation.VERIFIED
    allow_anonymous: bool = False
    opinion_map_enabled: bool = False
    areas: Sequence[Area] = field(default_factory=list)


def _check_data(data: ConsultationData) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not (data.title or {}).get("en", "").strip():
        errors["title_en"] = [_("Enter the title in English.")]
    if data.closes_at <= data.opens_at:
        errors["closes_at"] = [_("The closing date must be after the opening date.")]
    if data.participation not in Consultation.Participation.values:
        errors["participation"] = [_("Choose who may take part.")]
    if data.participation == Consultation.Participation.AREA_RESIDENTS and not data.areas:
        errors["areas"] = [_("Choose the areas whose residents may take part.")]
    return errors


def _apply(consultation: Consultation, data: ConsultationData) -> None:
    consultation.title = data.title
    consultation.summary = data.summary
    consultation.body = data.body
    consultation.opens_at = data.opens_at
    consultation.closes_at = data.closes_at
    consultation.participation = data.participation
    consultation.allow_anonymous = data.allow_anonymous
    consultation.opinion_map_enabled = data.opinion_map_enabled


@transaction.atomic
def consultation_create(*, actor: User, agency: Agency, data: ConsultationData) -> Consultation:
    consultation = Consultation(agency=agency, created_by=actor)
    _require_manager(actor, consultation)
    errors = _check_data(data)
    if errors:
        raise ValidationError(errors)
    _apply(consultation, data)
    consultation.save()
    consultation.areas.set(data.areas)
    audit_record(
        actor=actor,
        action="consultations.consultation.created",
        obj=consultation,
        data={"agency": agency.pk, "title": data.title.get("en", "")},
    )
    return consultation


@transaction.atomic
def consultation_update(
    *, actor: User, consultation: Consultation, data: ConsultationData
) -> Consultation:
    """Change a consultation. Once it has opened, the opening date, who may take part and
    anonymity are fixed (people took part on those terms); once it has closed, nothing."""
    consultation = Consultation.objects.select_for_update().get(pk=consultation.pk)
    _require_manager(actor, consultation)
    now = timezone.now()
    if consultation.has_closed(now) or consultation.closed_at:
        raise ValidationError(_("This consultation has closed: it can no longer be changed."))
    errors = _check_data(data)
    if consultation.has_opened(now):
        fixed = {
            "opens_at": data.opens_at != consultation.opens_at,
            "participation": data.participation != consultation.participation,
            "allow_anonymous": data.allow_anonymous != consultation.allow_anonymous,
            "areas": {a.pk for a in data.areas} != {a.pk for a in consultation.areas.all()},
        }
        for name, changed in fixed.items():
            if changed:
                errors.setdefault(name, []).append(
                    _("This cannot change once the consultation has opened.")
                )
        if data.closes_at <= now:
            errors.setdefault("closes_at", []).append(_("The closing date must be in the future."))
    if errors:
        raise ValidationError(errors)
    _apply(consultation, data)
    consultation.save()
    consultation.areas.set(data.areas)
    audit_record(actor=actor, action="consultations.consultation.updated", obj=consultation)
    if consultation.status == Consultation.Status.PUBLISHED:
        _schedule_close(consultation)
    return consultation


def publish_problems(consultation: Consultation) -> list[str]:
    problems = []
    names = _language_names()
    for label, value in (
        (_("the title"), consultation.title),
        (_("the summary"), consultation.summary),
    ):
        for code in missing_languages(value):
            problems.append(
                _("Add %(what)s in %(language)s.") % {"what": label, "language": names[code]}
            )
    has_questions = consultation.questions.exists()
    if not has_questions and not consultation.opinion_map_enabled:
        problems.append(_("Add at least one question, or turn on the opinion map."))
    if consultation.closes_at <= timezone.now():
        problems.append(_("The closing date must be in the future."))
    return problems


def _schedule_close(consultation: Consultation) -> None:
    """Queue the close (destroying the respondents' key) for the closing time, where the
    task backend can defer; ``manage.py close_consultations`` sweeps up the rest."""
    if not default_task_backend.supports_defer:
        return
    from ecitizen.consultations.tasks import close_consultation

    pk, when = consultation.pk, consultation.closes_at
    transaction.on_commit(lambda: close_consultation.using(run_after=when).enqueue(pk))


@transaction.atomic
def consultation_publish(*, actor: User, consultation: Consultation) -> Consultation:
    consultation = Consultation.objects.select_for_update().get(pk=consultation.pk)
    _require_manager(actor, consultation)
    if consultation.status == Consultation.Status.PUBLISHED:
        return consultation
    problems = publish_problems(consultation)
    if problems:
        raise ValidationError(problems)
    consultation.status = Consultation.Status.PUBLISHED
    consultation.published_at = timezone.now()
    consultation.response_key = secrets.token_urlsafe(32)
    consultation.save(update_fields=["status", "published_at", "response_key", "updated_at"])
    audit_record(actor=actor, action="consultations.consultation.published", obj=consultation)
    _schedule_close(consultation)
    return consultation


@transaction.atomic
def consultation_close(*, actor: Any, consultation: Consultation) -> Consultation:
    """After the closing time: destroy the respondents' key and blank every respondent hash,
    so nothing links a person to an anonymous response any more. Idempotent."""
    consultation = Consultation.objects.select_for_update().get(pk=consultation.pk)
    if actor is not None:
        _require_manager(actor, consultation)
    if consultation.closed_at is not None:
        return consultation
    if not consultation.has_closed():
        raise ValidationError(_("This consultation is still open."))
    consultation.response_key = ""
    consultation.closed_at = timezone.now()
    consultation.save(update_fields=["response_key", "closed_at", "updated_at"])
    blanked = Response.objects.filter(
        consultation=consultation, respondent_hash__isnull=False
    ).update(respondent_hash=None)
    audit_record(
        actor=actor,
        action="consultations.consultation.closed",
        obj=consultation,
        data={"hashes_blanked": blanked},
    )
    return consultation


def consultations_close_due() -> int:
    """Close every consultation past its closing time (the sweep). Returns how many."""
    due = Consultation.objects.filter(
        status=Consultation.Status.PUBLISHED,
        closes_at__lte=timezone.now(),
        closed_at__isnull=True,
    ).values_list("pk", flat=True)
    count = 0
    for pk in list(due):
        consultation_close(actor=None, consultation=Consultation(pk=pk))
        count += 1
    return count


@transaction.atomic
def consultation_outcome_publish(
    *, actor: User, consultation: Consultation, outcome: dict[str, str]
) -> Consultation:
    """Publish (or correct) "you said, we did". The first publication tells everyone who
    took part (inbox, and email/SMS as they chose), in a background task."""
    consultation = Consultation.objects.select_for_update().get(pk=consultation.pk)
    _require_manager(actor, consultation)
    if not consultation.has_closed():
        raise ValidationError(_("You can publish the response once the consultation has closed."))
    if not (outcome or {}).get("en", "").strip():
        raise ValidationError({"outcome_en": [_("Enter the response in English.")]})
    first = consultation.outcome_published_at is None
    consultation.outcome = outcome
    if first:
        consultation.outcome_published_at = timezone.now()
    consultation.save(update_fields=["outcome", "outcome_published_at", "updated_at"])
    audit_record(
        actor=actor,
        action="consultations.outcome.published" if first else "consultations.outcome.updated",
        obj=consultation,
    )
    if first:
        from ecitizen.consultations.tasks import notify_outcome

        pk = consultation.pk
        transaction.on_commit(lambda: notify_outcome.enqueue(pk))
    return consultation


def consultation_outcome_notify(*, consultation_id: int) -> int:
    """Tell each follower the response is published (one inbox message each, plus email/SMS
    as they chose). Safe to run twice: the idempotency key is (consultation, person)."""
    from ecitizen.consultations.notify import EVENT, outcome_values
    from ecitizen.notifications.services import notification_send

    consultation = Consultation.objects.filter(pk=consultation_id).first()
    if consultation is None or consultation.outcome_published_at is None:
        return 0
    told = 0
    followers = (
        Follower.objects.filter(consultation=consultation)
        .select_related("user", "user__profile")
        .order_by("id")
    )
    for follower in followers.iterator(chunk_size=500):
        user = follower.user
        with transaction.atomic():
            created = notification_send(
                actor=None,
                recipient=user,
                event=EVENT,
                values=outcome_values(consultation, user),
                idempotency_key=f"consultations.outcome:{consultation.pk}:{user.pk}",
                url=outcome_values(consultation, user)["url"],
            )
        told += bool(created)
    return told


# --------------------------------------------------------------------------- documents


def _require_editable(consultation: Consultation) -> None:
    if consultation.has_closed() or consultation.closed_at:
        raise ValidationError(_("This consultation has closed: it can no longer be changed."))


@transaction.atomic
def document_add(
    *, actor: User, consultation: Consultation, title: dict[str, str], upload: ValidatedUpload
) -> Document:
    _require_manager(actor, consultation)
    _require_editable(consultation)
    if not (title or {}).get("en", "").strip():
        raise ValidationError({"title_en": [_("Enter the document's title in English.")]})
    last = consultation.documents.aggregate(p=Max("position"))["p"]
    document = Document(
        consultation=consultation,
        title=title,
        original_name=upload.original_name,
        content_type=upload.content_type,
        size=upload.size,
        sha256=upload.sha256,
        position=(last or 0) + 1,
    )
    upload.file.seek(0)
    # A random name: nothing staff typed reaches the file system; nothing serves it by URL.
    document.file.save(upload.storage_name, upload.file, save=False)
    document.save()
    audit_record(
        actor=actor,
        action="consultations.document.added",
        obj=document,
        data={"consultation": consultation.pk, "sha256": upload.sha256, "size": upload.size},
    )
    return document


@transaction.atomic
def document_remove(*, actor: User, document: Document) -> None:
    consultation = document.consultation
    _require_manager(actor, consultation)
    _require_editable(consultation)
    if Comment.objects.filter(section__document=document).exists():
        raise ValidationError(
            _("People have commented on this document's sections: it cannot be removed.")
        )
    name = document.file.name
    audit_record(
        actor=actor,
        action="consultations.document.removed",
        obj=document,
        data={"consultation": consultation.pk, "name": document.original_name},
    )
    document.delete()

    def delete_file() -> None:
        from django.core.files.storage import default_storage

        if name:
            default_storage.delete(name)

    transaction.on_commit(delete_file)


@transaction.atomic
def section_add(*, actor: User, document: Document, title: dict[str, str]) -> Section:
    _require_manager(actor, document.consultation)
    _require_editable(document.consultation)
    english = (title or {}).get("en", "").strip()
    if not english:
        raise ValidationError({"title_en": [_("Enter the heading in English.")]})
    base = slugify(english)[:50] or "section"
    taken = set(document.sections.values_list("anchor", flat=True))
    anchor, n = base, 2
    while anchor in taken:
        anchor, n = f"{base}-{n}", n + 1
    last = document.sections.aggregate(p=Max("position"))["p"]
    section = Section.objects.create(
        document=document, anchor=anchor, title=title, position=(last or 0) + 1
    )
    audit_record(
        actor=actor,
        action="consultations.section.added",
        obj=section,
        data={"document": document.pk, "anchor": anchor},
    )
    return section


@transaction.atomic
def section_remove(*, actor: User, section: Section) -> None:
    _require_manager(actor, section.document.consultation)
    if section.comments.exists():
        raise ValidationError(_("People have commented on this section: it cannot be removed."))
    audit_record(actor=actor, action="consultations.section.removed", obj=section)
    section.delete()


# --------------------------------------------------------------------------- questions


@dataclass
class QuestionData:
    kind: str
    label: dict[str, str]
    help_text: dict[str, str] = field(default_factory=dict)
    required: bool = True
    # One dict per option: {"en": ..., "fr": ..., "es": ...}
    options: list[dict[str, str]] = field(default_factory=list)
    scale_points: int = 5
    scale_low: dict[str, str] = field(default_factory=dict)
    scale_high: dict[str, str] = field(default_factory=dict)
    condition: dict[str, Any] = field(default_factory=dict)


def _option_values(labels: list[dict[str, str]], previous: list[dict[str, Any]]) -> list[str]:
    """Stable values for options: kept when the English label is unchanged."""
    by_label = {tr(o.get("label"), "en"): str(o["value"]) for o in previous}
    values: list[str] = []
    for label in labels:
        english = label.get("en", "").strip()
        value = by_label.get(english) or slugify(english)[:40] or "option"
        base, n = value, 2
        while value in values:
            value, n = f"{base}-{n}", n + 1
        values.append(value)
    return values


def _check_question(
    consultation: Consultation, question: Question, data: QuestionData
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if data.kind not in Kind.values:
        errors["kind"] = [_("Choose the type of question.")]
    if not data.label.get("en", "").strip():
        errors["label_en"] = [_("Enter the question in English.")]
    if data.kind in (Kind.SINGLE, Kind.MULTIPLE, Kind.RANKING):
        if len(data.options) < 2:
            errors["options_en"] = [_("Give at least 2 options, one per line.")]
        elif any(not o.get("en", "").strip() for o in data.options):
            errors["options_en"] = [_("Give every option in English.")]
    if data.kind == Kind.SCALE and not 2 <= data.scale_points <= 10:
        errors["scale_points"] = [_("A rating scale has between 2 and 10 points.")]
    if data.condition:
        earlier = {
            q.key: q
            for q in consultation.questions.exclude(pk=question.pk)
            if question.pk is None or (q.position, q.pk) < (question.position, question.pk)
        }
        target = earlier.get(str(data.condition.get("question", "")))
        values = set(engine.option_values(target)) if target else set()
        wanted = data.condition.get("in") or []
        if target is None or target.kind not in CHOICE_KINDS or not set(wanted) <= values:
            errors["condition"] = [_("Choose an answer to an earlier choice question.")]
    return errors


@transaction.atomic
def question_save(
    *,
    actor: User,
    consultation: Consultation,
    data: QuestionData,
    question: Question | None = None,
) -> Question:
    """Add or change a question: only before the consultation opens (answers would otherwise
    mean different things)."""
    consultation = Consultation.objects.select_for_update().get(pk=consultation.pk)
    _require_manager(actor, consultation)
    if consultation.has_opened():
        raise ValidationError(_("Questions cannot change once the consultation has opened."))
    if question is None:
        last = consultation.questions.aggregate(p=Max("position"))["p"]
        keys = set(consultation.questions.values_list("key", flat=True))
        n = consultation.questions.count() + 1
        while f"q{n}" in keys:
            n += 1
        question = Question(consultation=consultation, key=f"q{n}", position=(last or 0) + 1)
    elif question.consultation_id != consultation.pk:
        raise PermissionDenied
    errors = _check_question(consultation, question, data)
    if errors:
        raise ValidationError(errors)
    question.kind = data.kind
    question.label = data.label
    question.help_text = data.help_text
    question.required = data.required
    if data.kind in (Kind.SINGLE, Kind.MULTIPLE, Kind.RANKING):
        values = _option_values(data.options, question.options or [])
        question.options = [
            {"value": v, "label": label} for v, label in zip(values, data.options, strict=True)
        ]
    else:
        question.options = []
    question.scale_points = data.scale_points if data.kind == Kind.SCALE else 5
    question.scale_low = data.scale_low if data.kind == Kind.SCALE else {}
    question.scale_high = data.scale_high if data.kind == Kind.SCALE else {}
    question.condition = data.condition or {}
    created = question.pk is None
    question.save()
    audit_record(
        actor=actor,
        action="consultations.question.added" if created else "consultations.question.changed",
        obj=question,
        data={"consultation": consultation.pk, "key": question.key, "kind": question.kind},
    )
    return question


@transaction.atomic
def question_delete(*, actor: User, question: Question) -> None:
    consultation = question.consultation
    _require_manager(actor, consultation)
    if consultation.has_opened():
        raise ValidationError(_("Questions cannot change once the consultation has opened."))
    dependent = [
        q
        for q in consultation.questions.all()
        if (q.condition or {}).get("question") == question.key
    ]
    if dependent:
        raise ValidationError(
            _("“%(question)s” depends on this question: change its condition first.")
            % {"question": tr(dependent[0].label)}
        )
    audit_record(
        actor=actor,
        action="consultations.question.deleted",
        obj=question,
        data={"consultation": consultation.pk, "key": question.key},
    )
    question.delete()


@transaction.atomic
def question_move(*, actor: User, question: Question, up: bool) -> None:
    """Swap a question with its neighbour; never above a question its condition is on."""
    consultation = question.consultation
    _require_manager(actor, consultation)
    if consultation.has_opened():
        raise ValidationError(_("Questions cannot change once the consultation has opened."))
    ordered = list(consultation.questions.order_by("position", "id"))
    index = next(i for i, q in enumerate(ordered) if q.pk == question.pk)
    other = index - 1 if up else index + 1
    if not 0 <= other < len(ordered):
        return
    first, second = sorted((index, other))
    a, b = ordered[first], ordered[second]
    if (b.condition or {}).get("question") == a.key:
        raise ValidationError(_("A question cannot come before the question it depends on."))
    ordered[first], ordered[second] = b, a
    for position, q in enumerate(ordered, start=1):
        if q.position != position:
            Question.objects.filter(pk=q.pk).update(position=position)
    audit_record(
        actor=actor,
        action="consultations.question.moved",
        obj=question,
        data={"up": up},
    )


# --------------------------------------------------------------------------- responses


def _follow(consultation: Consultation, user: User) -> None:
    Follower.objects.get_or_create(consultation=consultation, user=user)


def _stamp(anonymous: bool) -> datetime.datetime:
    """Anonymous responses keep only the day (UTC), so their times cannot be matched with
    the audit trail or server logs."""
    now = timezone.now()
    if anonymous:
        return now.replace(hour=0, minute=0, second=0, microsecond=0)
    return now


def _require_participant(consultation: Consultation, actor: Any) -> None:
    problems = selectors.participation_problems(consultation, actor)
    if problems:
        raise ValidationError(problems)


@transaction.atomic
def response_start(*, actor: User, consultation: Consultation, anonymous: bool) -> Response:
    """Start the person's response (or return the one they have). ``anonymous`` only where
    the consultation allows it. One response per person, enforced by the database."""
    consultation = Consultation.objects.select_for_update().get(pk=consultation.pk)
    _require_participant(consultation, actor)
    existing = selectors.own_response(consultation, actor)
    if existing is not None:
        return existing
    if anonymous and not consultation.allow_anonymous:
        raise ValidationError(_("This consultation does not take anonymous responses."))
    key = selectors.respondent_hash(consultation, actor.pk)
    stamp = _stamp(anonymous)
    response = Response(
        consultation=consultation,
        user=None if anonymous else actor,
        anonymous=anonymous,
        respondent_hash=key,
        answers={},
        updated_at=stamp,
    )
    try:
        with transaction.atomic():
            response.save(force_insert=True)
    except IntegrityError:  # the same person, in another tab at the same moment
        found = selectors.own_response(consultation, actor)
        if found is None:
            raise
        return found
    _follow(consultation, actor)
    # Anonymous: the entry names the consultation, never the response.
    audit_record(
        actor=actor,
        action="consultations.response.started",
        obj=consultation if anonymous else response,
        data={"consultation": consultation.pk, "anonymous": anonymous},
    )
    return response


@dataclass
class SaveResult:
    response: Response
    reopened: bool = False  # a sent response has unanswered questions again: now a draft


@transaction.atomic
def response_save(
    *, actor: User, consultation: Consultation, answers: dict[str, Any]
) -> SaveResult:
    """Save answers to some questions (a page of the survey), until the close. A change that
    leaves a sent response with a required question unanswered turns it back into a draft."""
    consultation = Consultation.objects.select_for_update().get(pk=consultation.pk)
    _require_participant(consultation, actor)
    response = selectors.own_response(consultation, actor)
    if response is None:
        raise PermissionDenied
    questions = {q.key: q for q in selectors.questions_of(consultation)}
    merged = dict(response.answers)
    for key, value in answers.items():
        question = questions.get(key)
        if question is None:
            raise ValueError(f"no question {key!r} in this consultation")
        clean = engine.clean_value(question, value)
        if clean is None:
            merged.pop(key, None)
        else:
            merged[key] = clean
    response.answers = merged
    response.updated_at = _stamp(response.anonymous)
    reopened = False
    if response.submitted_at and engine.missing_required(list(questions.values()), merged):
        response.submitted_at = None
        reopened = True
    response.save(update_fields=["answers", "updated_at", "submitted_at"])
    audit_record(
        actor=actor,
        action="consultations.response.saved",
        obj=consultation if response.anonymous else response,
        data={"consultation": consultation.pk, "questions": sorted(answers)},
    )
    return SaveResult(response, reopened)


class MissingAnswers(ValidationError):
    """Required questions without an answer: ``questions`` lists them, in order."""

    def __init__(self, questions: list[Question]) -> None:
        self.questions = questions
        super().__init__([engine.required_message(q) for q in questions])


@transaction.atomic
def response_submit(*, actor: User, consultation: Consultation) -> Response:
    """Send the response (or the changes to a sent one): every required question asked must
    be answered; answers to questions no longer asked are dropped."""
    consultation = Consultation.objects.select_for_update().get(pk=consultation.pk)
    _require_participant(consultation, actor)
    response = selectors.own_response(consultation, actor)
    if response is None:
        raise PermissionDenied
    questions = selectors.questions_of(consultation)
    missing = engine.missing_required(questions, response.answers)
    if missing:
        raise MissingAnswers(missing)
    asked = {q.key for q in engine.visible_questions(questions, response.answers)}
    response.answers = {k: v for k, v in response.answers.items() if k in asked}
    first = response.submitted_at is None
    stamp = _stamp(response.anonymous)
    response.submitted_at = stamp
    response.updated_at = stamp
    response.save(update_fields=["answers", "submitted_at", "updated_at"])
    audit_record(
        actor=actor,
        action="consultations.response.submitted" if first else "consultations.response.changed",
        obj=consultation if response.anonymous else response,
        data={"consultation": consultation.pk, "anonymous": response.anonymous},
    )
    return response


# --------------------------------------------------------------------------- comments


def _display_name(user: User) -> str:
    """How a person is shown next to their comments: first name and initial, never more."""
    name = (profile_for(user).legal_name or "").split()
    if not name:
        return _("A resident")
    return f"{name[0]} {name[-1][0]}." if len(name) > 1 else name[0]


def _rate_limit(kind: str, user_id: int) -> str:
    """Refuse when the person posted too much lately; returns the cache key to count on."""
    allowed, window = selectors.comment_rate_window()
    key = f"consultations:{kind}:{user_id}"
    if int(cache.get(key, 0)) >= allowed:
        minutes = max(1, window // 60)
        raise ValidationError(
            {
                "body": [
                    ngettext(
                        "You have posted a lot in a short time. Wait %(minutes)s minute, "
                        "then try again.",
                        "You have posted a lot in a short time. Wait %(minutes)s minutes, "
                        "then try again.",
                        minutes,
                    )
                    % {"minutes": minutes}
                ]
            },
            code="rate_limited",
        )
    return key


def _count_post(key: str) -> None:
    _allowed, window = selectors.comment_rate_window()
    cache.add(key, 0, timeout=window)  # the window starts with the first post
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)


@transaction.atomic
def comment_post(
    *,
    actor: User,
    consultation: Consultation,
    body: str,
    section: Section | None = None,
    parent: Comment | None = None,
) -> Comment:
    """A comment (or a reply) while the consultation is open, by someone who may take part;
    at most N per person per window (``CONSULTATIONS_COMMENTS_PER_WINDOW``, default 5 per
    ``CONSULTATIONS_COMMENT_WINDOW_SECONDS``, default 600)."""
    _require_participant(consultation, actor)
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": [_("Enter your comment.")]})
    if len(body) > COMMENT_MAX_LENGTH:
        raise ValidationError(
            {
                "body": [
                    _("Your comment must be %(limit)s characters or fewer.")
                    % {"limit": COMMENT_MAX_LENGTH}
                ]
            }
        )
    if section is not None and section.document.consultation_id != consultation.pk:
        raise PermissionDenied
    if parent is not None:
        if parent.consultation_id != consultation.pk:
            raise PermissionDenied
        section = parent.section
        parent = parent.parent or parent  # replies stay one level deep
    key = _rate_limit("comments", actor.pk)
    comment = Comment.objects.create(
        consultation=consultation,
        section=section,
        parent=parent,
        author=actor,
        author_name=_display_name(actor),
        body=body,
    )
    _follow(consultation, actor)
    audit_record(
        actor=actor,
        action="consultations.comment.posted",
        obj=comment,
        data={
            "consultation": consultation.pk,
            "section": section.pk if section else None,
            "parent": parent.pk if parent else None,
        },
    )
    _count_post(key)
    return comment


@transaction.atomic
def comment_report(
    *, actor: User, comment: Comment, reason: str, detail: str = ""
) -> CommentReport:
    if not actor.is_authenticated:
        raise PermissionDenied
    if reason not in CommentReport.Reason.values:
        raise ValidationError({"reason": [_("Choose why you are reporting this comment.")]})
    if comment.author_id == actor.pk:
        raise ValidationError(_("You cannot report your own comment."))
    if CommentReport.objects.filter(comment=comment, reporter=actor).exists():
        raise ValidationError(_("You have already reported this comment. Thank you."))
    report = CommentReport.objects.create(
        comment=comment, reporter=actor, reason=reason, detail=(detail or "").strip()[:500]
    )
    audit_record(
        actor=actor,
        action="consultations.comment.reported",
        obj=comment,
        data={"reason": reason, "report": report.pk},
    )
    return report


def _resolve_reports(comment: Comment, actor: User) -> int:
    return CommentReport.objects.filter(comment=comment, resolved_at__isnull=True).update(
        resolved_at=timezone.now(), resolved_by=actor
    )


@transaction.atomic
def comment_hide(*, actor: User, comment: Comment, reason: str) -> Comment:
    """Hide a comment: its place shows "hidden by a moderator" with the reason. Never a
    deletion: the text stays for the record (and can be restored)."""
    comment = Comment.objects.select_for_update().select_related("consultation").get(pk=comment.pk)
    _require_manager(actor, comment.consultation)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Enter the reason, which everyone will see.")]})
    if len(reason) > 300:
        raise ValidationError({"reason": [_("The reason must be 300 characters or fewer.")]})
    comment.status = Comment.Status.HIDDEN
    comment.hidden_reason = reason
    comment.hidden_by = actor
    comment.hidden_at = timezone.now()
    comment.save(update_fields=["status", "hidden_reason", "hidden_by", "hidden_at"])
    resolved = _resolve_reports(comment, actor)
    audit_record(
        actor=actor,
        action="consultations.comment.hidden",
        obj=comment,
        data={"reason": reason, "reports_resolved": resolved},
    )
    return comment


@transaction.atomic
def comment_restore(*, actor: User, comment: Comment) -> Comment:
    comment = Comment.objects.select_for_update().select_related("consultation").get(pk=comment.pk)
    _require_manager(actor, comment.consultation)
    comment.status = Comment.Status.VISIBLE
    comment.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="consultations.comment.restored",
        obj=comment,
        data={"previous_reason": comment.hidden_reason},
    )
    return comment


@transaction.atomic
def comment_reports_dismiss(*, actor: User, comment: Comment) -> int:
    """The comment keeps to the rules: close its reports, leave it visible."""
    _require_manager(actor, comment.consultation)
    resolved = _resolve_reports(comment, actor)
    audit_record(
        actor=actor,
        action="consultations.comment.reports_dismissed",
        obj=comment,
        data={"reports_resolved": resolved},
    )
    return resolved


# --------------------------------------------------------------------------- tags


@transaction.atomic
def answer_tag_add(*, actor: User, response: Response, question: Question, label: str) -> AnswerTag:
    consultation = response.consultation
    _require_manager(actor, consultation)
    if question.consultation_id != consultation.pk or question.kind != Kind.TEXT:
        raise PermissionDenied
    label = " ".join((label or "").split())[:60]
    if not label:
        raise ValidationError({"label": [_("Enter a tag.")]})
    tag, created = AnswerTag.objects.get_or_create(
        response=response, question=question, label=label, defaults={"created_by": actor}
    )
    if created:
        audit_record(
            actor=actor,
            action="consultations.answer.tagged",
            obj=consultation,
            data={"question": question.key, "label": label},
        )
    return tag


@transaction.atomic
def answer_tag_remove(*, actor: User, tag: AnswerTag) -> None:
    consultation = tag.response.consultation
    _require_manager(actor, consultation)
    audit_record(
        actor=actor,
        action="consultations.answer.untagged",
        obj=consultation,
        data={"question": tag.question.key, "label": tag.label},
    )
    tag.delete()


# --------------------------------------------------------------------------- opinion map


def _require_map(consultation: Consultation) -> None:
    if not consultation.opinion_map_enabled:
        raise PermissionDenied


def _statement_text(text: str) -> str:
    text = " ".join((text or "").split())
    if not text:
        raise ValidationError({"text": [_("Enter your statement.")]})
    if len(text) > STATEMENT_MAX_LENGTH:
        raise ValidationError(
            {
                "text": [
                    _("Keep your statement to %(limit)s characters or fewer.")
                    % {"limit": STATEMENT_MAX_LENGTH}
                ]
            }
        )
    return text


@transaction.atomic
def statement_submit(
    *, actor: User, consultation: Consultation, text: str, language: str
) -> Statement:
    """A participant's own statement: shown to others once a moderator approves it."""
    _require_map(consultation)
    _require_participant(consultation, actor)
    clean = _statement_text(text)
    key = _rate_limit("statements", actor.pk)
    language = language if language in LANGUAGE_CODES else "en"
    statement = Statement.objects.create(
        consultation=consultation, text={language: clean}, author=actor
    )
    _follow(consultation, actor)
    audit_record(
        actor=actor,
        action="consultations.statement.submitted",
        obj=statement,
        data={"consultation": consultation.pk},
    )
    _count_post(key)
    return statement


@transaction.atomic
def statement_add(*, actor: User, consultation: Consultation, text: dict[str, str]) -> Statement:
    """A statement written by staff (in every language they give), shown at once."""
    _require_manager(actor, consultation)
    _require_editable(consultation)
    english = text.get("en", "")
    try:
        _statement_text(english)
    except ValidationError:
        raise ValidationError(
            {
                "text_en": [
                    _("Enter the statement in English, in %(limit)s characters or fewer.")
                    % {"limit": STATEMENT_MAX_LENGTH}
                ]
            }
        ) from None
    clean = {code: " ".join(v.split()) for code, v in text.items() if v.strip()}
    if any(len(v) > STATEMENT_MAX_LENGTH for v in clean.values()):
        raise ValidationError(
            _("Keep each statement to %(limit)s characters or fewer.")
            % {"limit": STATEMENT_MAX_LENGTH}
        )
    statement = Statement.objects.create(
        consultation=consultation,
        text=clean,
        author=actor,
        by_staff=True,
        status=Statement.Status.APPROVED,
        moderated_by=actor,
        moderated_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action="consultations.statement.added",
        obj=statement,
        data={"consultation": consultation.pk},
    )
    return statement


@transaction.atomic
def statement_moderate(
    *, actor: User, statement: Statement, approve: bool, reason: str = ""
) -> Statement:
    statement = (
        Statement.objects.select_for_update().select_related("consultation").get(pk=statement.pk)
    )
    _require_manager(actor, statement.consultation)
    if not approve and not (reason or "").strip():
        raise ValidationError({"reason": [_("Enter why the statement is not shown.")]})
    was_approved = statement.status == Statement.Status.APPROVED
    statement.status = Statement.Status.APPROVED if approve else Statement.Status.REJECTED
    statement.rejection_reason = "" if approve else reason.strip()[:300]
    statement.moderated_by = actor
    statement.moderated_at = timezone.now()
    statement.save(update_fields=["status", "rejection_reason", "moderated_by", "moderated_at"])
    audit_record(
        actor=actor,
        action="consultations.statement.approved"
        if approve
        else "consultations.statement.rejected",
        obj=statement,
        data={"reason": statement.rejection_reason},
    )
    if was_approved != approve and statement.votes.exists():
        _schedule_recompute(statement.consultation_id)
    return statement


def _schedule_recompute(consultation_id: int) -> None:
    from ecitizen.consultations.tasks import schedule_recompute

    transaction.on_commit(lambda: schedule_recompute(consultation_id))


@transaction.atomic
def opinion_vote(
    *, actor: User, consultation: Consultation, statement: Statement, vote: int
) -> Vote:
    """Agree (+1), disagree (-1) or pass (0) on a shown statement; voting again replaces the
    earlier vote. The map is recomputed in the background (debounced)."""
    _require_map(consultation)
    _require_participant(consultation, actor)
    if (
        statement.consultation_id != consultation.pk
        or statement.status != Statement.Status.APPROVED
    ):
        raise PermissionDenied
    if vote not in (Vote.AGREE, Vote.DISAGREE, Vote.PASS):
        raise ValidationError(_("Choose agree, disagree or pass."))
    participant, _created = OpinionParticipant.objects.get_or_create(
        consultation=consultation, user=actor
    )
    record, _created = Vote.objects.update_or_create(
        participant=participant, statement=statement, defaults={"vote": vote}
    )
    _follow(consultation, actor)
    audit_record(
        actor=actor,
        action="consultations.opinion.voted",
        obj=statement,
        data={"consultation": consultation.pk},
    )
    _schedule_recompute(consultation.pk)
    return record


def opinion_map_recompute(*, consultation_id: int) -> OpinionMapResult | None:
    """Compute the map from the latest votes on the shown statements and store it (JSON and
    the SVG in each language). Deterministic: the same votes give the same stored result.
    Run by the background task, never by a page view."""
    from ecitizen.consultations import mapping
    from ecitizen.consultations.opinion import compute_opinion_map

    consultation = Consultation.objects.filter(pk=consultation_id).first()
    if consultation is None or not consultation.opinion_map_enabled:
        return None
    started = timezone.now()
    statement_ids = list(selectors.approved_statements(consultation).values_list("pk", flat=True))
    votes = list(
        Vote.objects.filter(statement_id__in=statement_ids).values_list(
            "participant_id", "statement_id", "vote"
        )
    )
    result = compute_opinion_map(votes, statement_ids=statement_ids)
    data = mapping.to_json(result)
    svg = mapping.svg_in_every_language(result)
    with transaction.atomic():
        newer = OpinionMapResult.objects.select_for_update().filter(
            consultation=consultation, computed_at__gt=started
        )
        if newer.exists():  # a run that started later has stored fresher votes already
            return newer.first()
        stored, _created = OpinionMapResult.objects.update_or_create(
            consultation=consultation,
            defaults={
                "status": str(result.status),
                "computed_at": started,
                "n_votes": len(votes),
                "n_participants": len(result.positions),
                "data": data,
                "svg": svg,
            },
        )
        audit_record(
            actor=None,
            action="consultations.opinion_map.computed",
            obj=consultation,
            data={
                "status": str(result.status),
                "votes": len(votes),
                "mapped": len(result.positions),
                "groups": len(result.groups),
            },
        )
    return stored
