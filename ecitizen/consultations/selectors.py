"""Reads for consultations, scoped to what the requester may see.

Residents see published consultations only (a draft answers 404), their own response only,
and comments as everyone sees them. Staff see the consultations of their agency (platform
admins: all). Nobody - staff included - is shown who wrote which response: results, free-text
lists and exports carry answers, never people.
"""

import datetime
import hashlib
import hmac
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from ecitizen.accounts.models import StaffRole, User
from ecitizen.accounts.selectors import profile_for, staff_roles, user_has_role
from ecitizen.consultations import answers as engine
from ecitizen.consultations.models import (
    AnswerTag,
    Comment,
    CommentReport,
    Consultation,
    OpinionMapResult,
    OpinionParticipant,
    Question,
    Response,
    Section,
    Statement,
)

ADMIN_ROLE = StaffRole.Role.AGENCY_ADMIN


# --------------------------------------------------------------------------- residents


def consultations_public() -> QuerySet[Consultation]:
    return (
        Consultation.objects.filter(status=Consultation.Status.PUBLISHED)
        .select_related("agency")
        .prefetch_related("areas")
        .order_by("closes_at", "id")
    )


def consultation_public(pk: int) -> Consultation:
    """A published consultation with its documents and sections; ``DoesNotExist`` otherwise
    (drafts are not even confirmed to exist)."""
    return (
        Consultation.objects.filter(status=Consultation.Status.PUBLISHED)
        .select_related("agency")
        .prefetch_related("areas", "documents__sections")
        .get(pk=pk)
    )


def questions_of(consultation: Consultation) -> list[Question]:
    return list(consultation.questions.order_by("position", "id"))


def _area_ids(consultation: Consultation) -> set[int]:
    ids: set[int] = set()
    for area in consultation.areas.all():
        ids.add(area.pk)
    return ids


def participation_problems(
    consultation: Consultation, user: Any, *, when: datetime.datetime | None = None
) -> list[str]:
    """Why ``user`` may not take part (respond, comment, vote) now; empty when they may."""
    if not consultation.is_open(when):
        if consultation.has_closed(when):
            return [_("This consultation has closed.")]
        return [_("This consultation has not opened yet.")]
    if not user.is_authenticated:
        return [_("Sign in to take part.")]
    rule = consultation.participation
    if rule == Consultation.Participation.EVERYONE:
        return []
    problems = []
    if not EmailAddress.objects.filter(user=user, verified=True).exists():
        problems.append(
            _("Confirm your email address before you take part: open the link we emailed you.")
        )
    profile = profile_for(user)
    if profile.area_id is None:
        problems.append(_("Add your district to your profile before you take part."))
    elif rule == Consultation.Participation.AREA_RESIDENTS:
        areas = _area_ids(consultation)
        parent_id = profile.area.parent_id if profile.area else None
        if profile.area_id not in areas and parent_id not in areas:
            problems.append(
                _("Only residents of %(areas)s can take part in this consultation.")
                % {"areas": ", ".join(str(a) for a in consultation.areas.all())}
            )
    return problems


def respondent_hash(consultation: Consultation, user_id: int) -> str | None:
    """HMAC-SHA256 of the person's id under the consultation's own secret; ``None`` once the
    secret was destroyed at the close."""
    if not consultation.response_key:
        return None
    message = f"consultations.response\x00{consultation.pk}\x00{user_id}".encode()
    return hmac.new(consultation.response_key.encode(), message, hashlib.sha256).hexdigest()


def own_response(consultation: Consultation, user: Any) -> Response | None:
    """The person's own response (named, or anonymous through the keyed hash), else None."""
    if not user.is_authenticated:
        return None
    named = Response.objects.filter(consultation=consultation, user=user).first()
    if named is not None:
        return named
    key = respondent_hash(consultation, user.pk)
    if key is None:
        return None
    return Response.objects.filter(consultation=consultation, respondent_hash=key).first()


# --------------------------------------------------------------------------- comments


@dataclass
class Thread:
    comment: Comment
    replies: list[Comment] = field(default_factory=list)


def comment_threads(consultation: Consultation, section: Section | None = None) -> list[Thread]:
    """Top-level comments (on the consultation, or on one section) with their replies, oldest
    first. Two queries, whatever the number of comments."""
    replies = Comment.objects.order_by("created_at", "id")
    roots = (
        Comment.objects.filter(consultation=consultation, section=section, parent=None)
        .prefetch_related(Prefetch("replies", queryset=replies))
        .order_by("created_at", "id")
    )
    return [Thread(root, list(root.replies.all())) for root in roots]


def comment_public(pk: int) -> Comment:
    return Comment.objects.select_related("consultation", "section__document").get(
        pk=pk, consultation__status=Consultation.Status.PUBLISHED
    )


def section_public(consultation: Consultation, document_id: int, anchor: str) -> Section:
    return Section.objects.select_related("document").get(
        document__consultation=consultation, document_id=document_id, anchor=anchor
    )


def comment_counts(consultation: Consultation) -> dict[int | None, int]:
    """Comments per section (``None``: on the consultation itself), one query."""
    rows = (
        Comment.objects.filter(consultation=consultation)
        .values("section_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["section_id"]: row["n"] for row in rows}


# --------------------------------------------------------------------------- results


@dataclass
class OptionResult:
    value: str
    label: str
    count: int
    share: float  # of people who answered the question
    extra: str = ""  # e.g. the average rank


@dataclass
class QuestionResult:
    question: Question
    answered: int
    options: list[OptionResult]
    mean: float | None = None  # rating scales: the average point
    texts: int = 0  # free text: how many wrote something


def submitted_responses(consultation: Consultation) -> QuerySet[Response]:
    return Response.objects.filter(consultation=consultation, submitted_at__isnull=False)


def question_results(consultation: Consultation) -> tuple[int, list[QuestionResult]]:
    """(number of responses, results per question) from the submitted responses. Two
    queries. Only answers to questions the person was asked count (conditions)."""
    questions = questions_of(consultation)
    all_answers = list(submitted_responses(consultation).values_list("answers", flat=True))
    counters: dict[str, Counter[str]] = {q.key: Counter() for q in questions}
    answered: Counter[str] = Counter()
    rank_sums: dict[str, Counter[str]] = {q.key: Counter() for q in questions}
    for answers in all_answers:
        for question in engine.visible_questions(questions, answers):
            value = answers.get(question.key)
            if not engine.is_answered(value):
                continue
            answered[question.key] += 1
            if question.kind == Question.Kind.MULTIPLE:
                counters[question.key].update(str(v) for v in value)
            elif question.kind == Question.Kind.RANKING:
                counters[question.key][str(value[0])] += 1  # first choices
                for rank, v in enumerate(value, start=1):
                    rank_sums[question.key][str(v)] += rank
            elif question.kind != Question.Kind.TEXT:
                counters[question.key][str(value)] += 1
    results = []
    for question in questions:
        n = answered[question.key]
        counts = counters[question.key]
        options: list[OptionResult] = []
        mean = None
        if question.kind == Question.Kind.SCALE:
            labels = engine.scale_labels(question)
            for point, label in enumerate(labels, start=1):
                c = counts[str(point)]
                options.append(OptionResult(str(point), label, c, c / n if n else 0.0))
            total = sum(point * counts[str(point)] for point in range(1, len(labels) + 1))
            mean = total / n if n else None
        elif question.kind != Question.Kind.TEXT:
            for option in question.options:
                value = str(option["value"])
                c = counts[value]
                extra = ""
                if question.kind == Question.Kind.RANKING and n:
                    extra = f"{rank_sums[question.key][value] / n:.1f}"
                options.append(
                    OptionResult(value, engine.option_label(question, value), c, c / n if n else 0)
                )
                options[-1].extra = extra
        results.append(
            QuestionResult(
                question=question,
                answered=n,
                options=options,
                mean=mean,
                texts=n if question.kind == Question.Kind.TEXT else 0,
            )
        )
    return len(all_answers), results


@dataclass
class TextAnswer:
    response_id: str
    text: str
    tags: list[AnswerTag]


def free_text_answers(
    consultation: Consultation, question: Question, *, tag: str = ""
) -> list[TextAnswer]:
    """Written answers to one question, for staff, with their tags; never who wrote them.
    Two queries."""
    responses = submitted_responses(consultation).prefetch_related(
        Prefetch("tags", queryset=AnswerTag.objects.filter(question=question).order_by("label"))
    )
    if tag:
        responses = responses.filter(tags__question=question, tags__label=tag)
    found = []
    for response in responses.order_by("id"):
        text = response.answers.get(question.key)
        if isinstance(text, str) and text.strip():
            found.append(TextAnswer(str(response.id), text, list(response.tags.all())))
    return found


def tag_labels(consultation: Consultation, question: Question) -> list[tuple[str, int]]:
    rows = (
        AnswerTag.objects.filter(question=question, response__consultation=consultation)
        .values("label")
        .annotate(n=Count("id"))
        .order_by("label")
    )
    return [(row["label"], row["n"]) for row in rows]


def export_table(consultation: Consultation) -> tuple[list[Question], list[Response]]:
    """Questions and submitted responses for CSV/JSON export (no person, no exact time)."""
    return questions_of(consultation), list(submitted_responses(consultation).order_by("id"))


# --------------------------------------------------------------------------- opinion map


def opinion_participant(consultation: Consultation, user: Any) -> OpinionParticipant | None:
    if not user.is_authenticated:
        return None
    return OpinionParticipant.objects.filter(consultation=consultation, user=user).first()


def approved_statements(consultation: Consultation) -> QuerySet[Statement]:
    return Statement.objects.filter(
        consultation=consultation, status=Statement.Status.APPROVED
    ).order_by("id")


def next_statement(
    consultation: Consultation, participant: OpinionParticipant | None
) -> Statement | None:
    """The next statement to show: one the person has not voted on, the least-voted first
    (so every statement gets enough votes to place people), ties by age."""
    statements = approved_statements(consultation)
    if participant is not None:
        statements = statements.exclude(votes__participant=participant)
    return statements.annotate(n=Count("votes")).order_by("n", "id").first()


def opinion_progress(
    consultation: Consultation, participant: OpinionParticipant | None
) -> tuple[int, int]:
    """(statements voted on, statements shown) for the person."""
    total = approved_statements(consultation).count()
    voted = (
        participant.votes.filter(statement__status=Statement.Status.APPROVED).count()
        if (participant)
        else 0
    )
    return voted, total


def opinion_result(consultation: Consultation) -> OpinionMapResult | None:
    return OpinionMapResult.objects.filter(consultation=consultation).first()


def statements_by_id(consultation: Consultation) -> dict[int, Statement]:
    return {s.pk: s for s in Statement.objects.filter(consultation=consultation)}


# --------------------------------------------------------------------------- staff


def staff_may_manage(user: User, consultation: Consultation) -> bool:
    return user_has_role(user, ADMIN_ROLE, agency_id=consultation.agency_id)


def staff_agencies(user: User) -> list[Any]:
    """Agencies the person may create consultations for (platform admins: all active)."""
    from ecitizen.core.models import Agency

    if user_has_role(user, StaffRole.Role.PLATFORM_ADMIN):
        return list(Agency.objects.filter(is_active=True).order_by("name"))
    ids = [r.agency_id for r in staff_roles(user) if r.role == ADMIN_ROLE and r.agency_id]
    return list(Agency.objects.filter(pk__in=ids).order_by("name"))


def consultations_for_staff(user: User) -> QuerySet[Consultation]:
    qs = Consultation.objects.select_related("agency").annotate(
        n_responses=Count(
            "responses", filter=Q(responses__submitted_at__isnull=False), distinct=True
        ),
        n_open_reports=Count(
            "comments__reports",
            filter=Q(comments__reports__resolved_at__isnull=True),
            distinct=True,
        ),
        n_pending=Count(
            "statements", filter=Q(statements__status=Statement.Status.PENDING), distinct=True
        ),
    )
    if not user_has_role(user, StaffRole.Role.PLATFORM_ADMIN):
        ids = [r.agency_id for r in staff_roles(user) if r.role == ADMIN_ROLE and r.agency_id]
        qs = qs.filter(agency_id__in=ids)
    return qs.order_by("-created_at", "-id")


def consultation_for_staff(user: User, pk: int) -> Consultation:
    """The consultation if ``user`` manages it; ``DoesNotExist`` otherwise (404)."""
    consultation = (
        Consultation.objects.select_related("agency")
        .prefetch_related("areas", "documents__sections")
        .get(pk=pk)
    )
    if not staff_may_manage(user, consultation):
        raise Consultation.DoesNotExist
    return consultation


def reported_comments(consultation: Consultation) -> list[tuple[Comment, list[CommentReport]]]:
    """Comments with reports not yet dealt with, oldest report first. Two queries."""
    open_reports = CommentReport.objects.filter(resolved_at__isnull=True).order_by("created_at")
    comments = (
        Comment.objects.filter(consultation=consultation, reports__resolved_at__isnull=True)
        .distinct()
        .select_related("section")
        .prefetch_related(Prefetch("reports", queryset=open_reports, to_attr="open_reports"))
        .order_by("id")
    )
    return [(c, c.open_reports) for c in comments]  # type: ignore[attr-defined]


def hidden_comments(consultation: Consultation) -> QuerySet[Comment]:
    return Comment.objects.filter(consultation=consultation, status=Comment.Status.HIDDEN).order_by(
        "-hidden_at"
    )


def pending_statements(consultation: Consultation) -> QuerySet[Statement]:
    return Statement.objects.filter(
        consultation=consultation, status=Statement.Status.PENDING
    ).order_by("created_at", "id")


def staff_statements(consultation: Consultation) -> QuerySet[Statement]:
    return (
        Statement.objects.filter(consultation=consultation)
        .annotate(
            n_votes=Count("votes"),
            n_agree=Count("votes", filter=Q(votes__vote=1)),
            n_disagree=Count("votes", filter=Q(votes__vote=-1)),
        )
        .order_by("id")
    )


def comment_rate_window() -> tuple[int, int]:
    """(comments allowed, per this many seconds) for one person."""
    return (
        int(getattr(settings, "CONSULTATIONS_COMMENTS_PER_WINDOW", 5)),
        int(getattr(settings, "CONSULTATIONS_COMMENT_WINDOW_SECONDS", 600)),
    )
