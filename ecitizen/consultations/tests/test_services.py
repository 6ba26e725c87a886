"""Consultation services against a real database: who may take part, saving and editing a
response until the close, conditions, anonymous responses that nothing links to a person,
comments with replies, reports, moderation and the flood limit, results and exports, and the
published response told to everyone who took part."""

import csv
import io
import json
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from ecitizen.accounts.tests.factories import AgencyFactory, AreaFactory
from ecitizen.audit.models import AuditEntry
from ecitizen.consultations import exports, selectors, services
from ecitizen.consultations.models import (
    AnswerTag,
    Comment,
    CommentReport,
    Consultation,
    Follower,
    Question,
    Response,
)
from ecitizen.consultations.services import MissingAnswers, QuestionData
from ecitizen.consultations.tests.factories import (
    COMPLETE,
    close_now,
    make_survey,
    resident_in,
    staff_admin,
    t,
)
from ecitizen.core import crypto
from ecitizen.notifications.models import Channel, Message

pytestmark = pytest.mark.django_db
Participation = Consultation.Participation


def answer_all(
    user: Any,
    consultation: Consultation,
    answers: dict[str, Any] | None = None,
    *,
    anonymous: bool = False,
) -> Response:
    services.response_start(actor=user, consultation=consultation, anonymous=anonymous)
    services.response_save(actor=user, consultation=consultation, answers=answers or COMPLETE)
    return services.response_submit(actor=user, consultation=consultation)


# --------------------------------------------------------------------------- participation


def test_verified_residents_need_a_confirmed_email_and_a_district(consultation, area) -> None:
    assert selectors.participation_problems(consultation, resident_in(area)) == []
    problems = selectors.participation_problems(consultation, resident_in(area, verified=False))
    assert problems == [
        "Confirm your email address before you take part: open the link we emailed you."
    ]
    assert selectors.participation_problems(consultation, resident_in(None)) == [
        "Add your district to your profile before you take part."
    ]


def test_everyone_signed_in_may_take_part_when_staff_say_so(agency, admin) -> None:
    consultation = make_survey(agency=agency, admin=admin, participation=Participation.EVERYONE)
    assert selectors.participation_problems(consultation, resident_in(None, verified=False)) == []


def test_residents_of_the_areas_includes_districts_of_a_region(agency, admin) -> None:
    region = AreaFactory(code="metro", name="Metro", kind="region")
    inside = AreaFactory(code="docks", name="Docks", parent=region)
    outside = AreaFactory(code="hills", name="Hills")
    consultation = make_survey(
        agency=agency, admin=admin, participation=Participation.AREA_RESIDENTS, areas=[region]
    )
    assert selectors.participation_problems(consultation, resident_in(inside)) == []
    assert selectors.participation_problems(consultation, resident_in(outside)) == [
        "Only residents of Metro can take part in this consultation."
    ]
    with pytest.raises(ValidationError):
        services.response_start(
            actor=resident_in(outside), consultation=consultation, anonymous=False
        )


def test_area_rule_needs_areas(agency, admin) -> None:
    with pytest.raises(ValidationError) as error:
        make_survey(agency=agency, admin=admin, participation=Participation.AREA_RESIDENTS)
    assert "areas" in error.value.error_dict


def test_only_the_agencys_admins_create_and_change_a_consultation(consultation, agency) -> None:
    other = staff_admin(AgencyFactory())
    data = services.ConsultationData(
        title=t("X"),
        summary={},
        body={},
        opens_at=consultation.opens_at,
        closes_at=consultation.closes_at,
    )
    with pytest.raises(PermissionDenied):
        services.consultation_create(actor=other, agency=agency, data=data)
    with pytest.raises(PermissionDenied):
        services.consultation_update(actor=other, consultation=consultation, data=data)


def test_publishing_needs_every_language_and_a_question(agency, admin) -> None:
    draft = make_survey(
        agency=agency, admin=admin, questions=[], publish=False, title={"en": "Only English"}
    )
    with pytest.raises(ValidationError) as error:
        services.consultation_publish(actor=admin, consultation=draft)
    assert error.value.messages == [
        "Add the title in French.",
        "Add the title in Spanish.",
        "Add at least one question, or turn on the opinion map.",
    ]
    assert Consultation.objects.get(pk=draft.pk).status == Consultation.Status.DRAFT


def test_questions_are_fixed_once_the_consultation_has_opened(consultation, admin) -> None:
    with pytest.raises(ValidationError, match="cannot change once the consultation has opened"):
        services.question_save(
            actor=admin,
            consultation=consultation,
            data=QuestionData(kind="text", label=t("Late question")),
        )


def test_a_condition_must_be_on_an_earlier_choice_question(agency, admin) -> None:
    draft = make_survey(agency=agency, admin=admin, publish=False)
    with pytest.raises(ValidationError) as error:
        services.question_save(
            actor=admin,
            consultation=draft,
            data=QuestionData(
                kind="text", label=t("Why?"), condition={"question": "q6", "in": ["x"]}
            ),
        )
    assert error.value.error_dict["condition"][0].messages == [
        "Choose an answer to an earlier choice question."
    ]


# --------------------------------------------------------------------------- responses


def test_a_resident_saves_returns_and_sends_then_edits_until_the_close(consultation, area) -> None:
    resident = resident_in(area)
    services.response_start(actor=resident, consultation=consultation, anonymous=False)
    services.response_save(actor=resident, consultation=consultation, answers={"q1": "every-day"})
    # Coming back later finds the same draft.
    draft = selectors.own_response(consultation, resident)
    assert draft is not None and draft.answers == {"q1": "every-day"} and not draft.is_submitted
    with pytest.raises(MissingAnswers) as missing:
        services.response_submit(actor=resident, consultation=consultation)
    assert [q.key for q in missing.value.questions] == ["q3", "q4", "q5"]

    services.response_save(actor=resident, consultation=consultation, answers=COMPLETE)
    sent = services.response_submit(actor=resident, consultation=consultation)
    assert sent.is_submitted and sent.user == resident and sent.answers == COMPLETE

    services.response_save(actor=resident, consultation=consultation, answers={"q5": 2})
    assert Response.objects.get(pk=sent.pk).answers["q5"] == 2

    close_now(consultation)
    with pytest.raises(ValidationError, match=r"This consultation has closed\."):
        services.response_save(actor=resident, consultation=consultation, answers={"q5": 5})
    assert Response.objects.get(pk=sent.pk).answers["q5"] == 2


def test_answers_to_questions_no_longer_asked_are_dropped(consultation, area) -> None:
    resident = resident_in(area)
    services.response_start(actor=resident, consultation=consultation, anonymous=False)
    services.response_save(
        actor=resident, consultation=consultation, answers={**COMPLETE, "q1": "rarely"}
    )
    with pytest.raises(MissingAnswers) as missing:  # the follow-up is required once asked
        services.response_submit(actor=resident, consultation=consultation)
    assert [q.key for q in missing.value.questions] == ["q2"]
    services.response_save(actor=resident, consultation=consultation, answers={"q2": "Too dark"})
    services.response_save(actor=resident, consultation=consultation, answers={"q1": "every-day"})
    sent = services.response_submit(actor=resident, consultation=consultation)
    assert "q2" not in sent.answers


def test_a_change_that_leaves_a_required_question_empty_reopens_the_response(
    consultation, area
) -> None:
    resident = resident_in(area)
    answer_all(resident, consultation)
    result = services.response_save(
        actor=resident, consultation=consultation, answers={"q1": "rarely"}
    )
    assert result.reopened and not result.response.is_submitted


def test_answers_are_checked_against_the_question(consultation, area) -> None:
    resident = resident_in(area)
    services.response_start(actor=resident, consultation=consultation, anonymous=False)
    for bad in ({"q1": "never-heard-of-it"}, {"q4": ["trees", "trees", "play"]}, {"q5": 9}):
        with pytest.raises(ValueError):
            services.response_save(actor=resident, consultation=consultation, answers=bad)


def test_one_response_per_person_even_when_started_twice(consultation, area) -> None:
    resident = resident_in(area)
    first = services.response_start(actor=resident, consultation=consultation, anonymous=False)
    again = services.response_start(actor=resident, consultation=consultation, anonymous=False)
    assert first.pk == again.pk
    with pytest.raises(IntegrityError), transaction.atomic():
        Response.objects.create(
            consultation=consultation,
            respondent_hash=first.respondent_hash,
            updated_at=first.updated_at,
        )


def test_anonymous_only_where_staff_allow_it(consultation, area) -> None:
    with pytest.raises(ValidationError, match="does not take anonymous responses"):
        services.response_start(actor=resident_in(area), consultation=consultation, anonymous=True)


def test_an_anonymous_response_cannot_be_linked_to_its_author(agency, admin, area) -> None:
    consultation = make_survey(agency=agency, admin=admin, allow_anonymous=True)
    resident = resident_in(area)
    sent = answer_all(resident, consultation, anonymous=True)
    stored = Response.objects.get(pk=sent.pk)
    assert stored.user_id is None and stored.anonymous
    # No time finer than the day, and no trace of the person in the row.
    assert (stored.submitted_at.hour, stored.submitted_at.minute) == (0, 0)
    row = json.dumps(
        {f.name: str(getattr(stored, f.attname)) for f in Response._meta.concrete_fields}
    )
    assert resident.email not in row
    # The hash is keyed by the consultation's own secret, not the platform's lookup key.
    assert stored.respondent_hash != crypto.lookup_hash(str(resident.pk), context="x")
    assert stored.respondent_hash == selectors.respondent_hash(consultation, resident.pk)
    # The person finds it again (to edit it) while it is open...
    assert selectors.own_response(consultation, resident) == stored
    # ...and the audit trail never names the response.
    entries = AuditEntry.objects.filter(action__startswith="consultations.response.")
    assert entries.count() == 3
    assert all(e.object_type == "consultations.consultation" for e in entries)
    assert not AuditEntry.objects.filter(object_id=str(stored.pk)).exists()
    # A named response for the same person is the same (single) response.
    assert (
        services.response_start(actor=resident, consultation=consultation, anonymous=False)
        == stored
    )

    close_now(consultation)
    services.consultation_close(actor=admin, consultation=consultation)
    consultation.refresh_from_db()
    stored.refresh_from_db()
    assert consultation.response_key == "" and stored.respondent_hash is None
    assert selectors.own_response(consultation, resident) is None
    assert Response.objects.filter(consultation=consultation).count() == 1


def test_closing_needs_the_closing_time_to_have_passed(consultation, admin) -> None:
    with pytest.raises(ValidationError, match="still open"):
        services.consultation_close(actor=admin, consultation=consultation)
    close_now(consultation)
    assert services.consultations_close_due() == 1
    assert services.consultations_close_due() == 0


# --------------------------------------------------------------------------- comments


def test_comments_replies_stay_one_level_deep_and_on_their_section(consultation, admin, area):
    resident, other = resident_in(area), resident_in(area, name="Lucie Martin")
    top = services.comment_post(actor=resident, consultation=consultation, body="Keep the trees")
    reply = services.comment_post(actor=other, consultation=consultation, body="Yes", parent=top)
    deeper = services.comment_post(
        actor=resident, consultation=consultation, body="Thanks", parent=reply
    )
    assert reply.parent == top and deeper.parent == top
    assert top.author_name == "Amara O." and reply.author_name == "Lucie M."
    threads = selectors.comment_threads(consultation)
    assert [(th.comment.pk, [r.pk for r in th.replies]) for th in threads] == [
        (top.pk, [reply.pk, deeper.pk])
    ]
    assert Follower.objects.filter(consultation=consultation).count() == 2


def test_reports_and_moderation_never_delete(consultation, admin, area) -> None:
    author, reader = resident_in(area), resident_in(area)
    comment = services.comment_post(actor=author, consultation=consultation, body="Buy my stuff")
    with pytest.raises(ValidationError, match="your own comment"):
        services.comment_report(actor=author, comment=comment, reason="spam")
    services.comment_report(actor=reader, comment=comment, reason="spam", detail="An advert")
    with pytest.raises(ValidationError, match="already reported"):
        services.comment_report(actor=reader, comment=comment, reason="spam")
    assert [c.pk for c, _ in selectors.reported_comments(consultation)] == [comment.pk]

    with pytest.raises(ValidationError):
        services.comment_hide(actor=admin, comment=comment, reason="  ")
    with pytest.raises(PermissionDenied):
        services.comment_hide(actor=reader, comment=comment, reason="No")
    services.comment_hide(actor=admin, comment=comment, reason="Advertising is not allowed.")
    stored = Comment.objects.get(pk=comment.pk)
    assert stored.is_hidden and stored.body == "Buy my stuff"  # kept for the record
    assert stored.hidden_reason == "Advertising is not allowed."
    assert selectors.reported_comments(consultation) == []
    assert CommentReport.objects.get().resolved_by == admin
    assert AuditEntry.objects.filter(action="consultations.comment.hidden").exists()

    services.comment_restore(actor=admin, comment=comment)
    assert not Comment.objects.get(pk=comment.pk).is_hidden


def test_comments_are_rate_limited_per_person(consultation, area, settings) -> None:
    settings.CONSULTATIONS_COMMENTS_PER_WINDOW = 3
    flooder, neighbour = resident_in(area), resident_in(area)
    for i in range(3):
        services.comment_post(actor=flooder, consultation=consultation, body=f"Comment {i}")
    with pytest.raises(ValidationError) as error:
        services.comment_post(actor=flooder, consultation=consultation, body="One more")
    assert error.value.error_dict["body"][0].messages == [
        "You have posted a lot in a short time. Wait 10 minutes, then try again."
    ]
    services.comment_post(actor=neighbour, consultation=consultation, body="Hello")
    assert Comment.objects.filter(author=flooder).count() == 3


def test_no_comments_after_the_close(consultation, area) -> None:
    resident = resident_in(area)
    close_now(consultation)
    with pytest.raises(ValidationError, match="closed"):
        services.comment_post(actor=resident, consultation=consultation, body="Too late")


# --------------------------------------------------------------------------- results


@pytest.fixture
def closed_with_answers(agency, admin, area) -> Consultation:
    consultation = make_survey(agency=agency, admin=admin, allow_anonymous=True)
    answer_all(resident_in(area), consultation)
    answer_all(
        resident_in(area),
        consultation,
        {
            **COMPLETE,
            "q3": ["lighting"],
            "q4": ["trees", "safety", "play"],
            "q5": 2,
            "q6": '=HYPERLINK("http://evil")',
        },
        anonymous=True,
    )
    answer_all(
        resident_in(area),
        consultation,
        {
            "q1": "rarely",
            "q2": "It is too dark",
            "q3": ["benches"],
            "q4": ["safety", "play", "trees"],
            "q5": 5,
        },
    )
    # A draft never counts.
    drafter = resident_in(area)
    services.response_start(actor=drafter, consultation=consultation, anonymous=False)
    services.response_save(actor=drafter, consultation=consultation, answers={"q1": "rarely"})
    return close_now(consultation)


def test_results_per_question(closed_with_answers) -> None:
    total, results = selectors.question_results(closed_with_answers)
    by_key = {r.question.key: r for r in results}
    assert total == 3
    often = by_key["q1"]
    assert often.answered == 3
    assert [(o.value, o.count, round(o.share, 3)) for o in often.options] == [
        ("every-day", 2, 0.667),
        ("every-week", 0, 0.0),
        ("rarely", 1, 0.333),
    ]
    assert by_key["q2"].answered == 1  # asked only of the one who rarely comes
    assert {o.value: o.count for o in by_key["q3"].options} == {
        "benches": 2,
        "playground": 0,
        "lighting": 2,
    }
    ranking = {o.value: (o.count, o.extra) for o in by_key["q4"].options}
    assert ranking == {"trees": (1, "2.0"), "play": (0, "2.7"), "safety": (2, "1.3")}
    scale = by_key["q5"]
    assert [o.count for o in scale.options] == [0, 1, 0, 1, 1]
    assert scale.mean == pytest.approx(11 / 3)


def test_free_text_answers_for_staff_with_tags(closed_with_answers, admin) -> None:
    question = Question.objects.get(consultation=closed_with_answers, key="q2")
    found = selectors.free_text_answers(closed_with_answers, question)
    assert [a.text for a in found] == ["It is too dark"]
    response = Response.objects.get(pk=found[0].response_id)
    services.answer_tag_add(actor=admin, response=response, question=question, label=" Safety ")
    services.answer_tag_add(actor=admin, response=response, question=question, label="Safety")
    assert AnswerTag.objects.count() == 1
    assert selectors.tag_labels(closed_with_answers, question) == [("Safety", 1)]
    assert len(selectors.free_text_answers(closed_with_answers, question, tag="Safety")) == 1
    assert selectors.free_text_answers(closed_with_answers, question, tag="Other") == []
    services.answer_tag_remove(actor=admin, tag=AnswerTag.objects.get())
    assert not AnswerTag.objects.exists()


def test_exports_carry_answers_never_people(closed_with_answers) -> None:
    rows = list(csv.reader(io.StringIO(exports.to_csv(closed_with_answers))))
    assert rows[0][:3] == ["response", "sent_on", "q1: How often do you visit the park?"]
    assert len(rows) == 4
    assert {r[2] for r in rows[1:]} == {"Every day", "Rarely"}
    assert "Lighting" in {r[4] for r in rows[1:]}
    assert '\'=HYPERLINK("http://evil")' in {r[7] for r in rows[1:]}  # no formula runs
    document = json.loads(exports.to_json(closed_with_answers))
    assert [q["key"] for q in document["questions"]] == ["q1", "q2", "q3", "q4", "q5", "q6"]
    assert len(document["responses"]) == 3
    text = exports.to_csv(closed_with_answers) + exports.to_json(closed_with_answers)
    for response in Response.objects.filter(user__isnull=False):
        assert response.user.email not in text
        assert f'"user": {response.user_id}' not in text


def test_the_published_response_is_told_to_everyone_who_took_part(
    closed_with_answers, admin, django_capture_on_commit_callbacks
) -> None:
    with pytest.raises(ValidationError):
        services.consultation_outcome_publish(
            actor=admin, consultation=closed_with_answers, outcome={"en": ""}
        )
    followers = list(Follower.objects.filter(consultation=closed_with_answers))
    assert len(followers) == 4  # three respondents (one anonymous) and one with a draft
    with django_capture_on_commit_callbacks(execute=True):
        services.consultation_outcome_publish(
            actor=admin, consultation=closed_with_answers, outcome=t("We will add lighting.")
        )
    inbox = Message.objects.filter(channel=Channel.INBOX, event="consultation.outcome_published")
    assert inbox.count() == 4
    assert "We have published what we did with your views" in inbox.first().subject
    # Again (a retried task, or a correction): nobody is told twice.
    services.consultation_outcome_notify(consultation_id=closed_with_answers.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.consultation_outcome_publish(
            actor=admin, consultation=closed_with_answers, outcome=t("We will add more lighting.")
        )
    assert inbox.count() == 4


def test_the_response_can_only_be_published_after_the_close(consultation, admin) -> None:
    with pytest.raises(ValidationError, match="once the consultation has closed"):
        services.consultation_outcome_publish(
            actor=admin, consultation=consultation, outcome=t("Too early")
        )


def test_someone_from_another_agency_cannot_tag_or_moderate(closed_with_answers) -> None:
    outsider = staff_admin(AgencyFactory())
    question = Question.objects.get(consultation=closed_with_answers, key="q2")
    response = Response.objects.filter(consultation=closed_with_answers).first()
    with pytest.raises(PermissionDenied):
        services.answer_tag_add(actor=outsider, response=response, question=question, label="x")
