"""Resident and staff pages: who gets 404, the survey one question per page with errors that
keep what was typed, a closed consultation refusing edits, comments with moderation shown in
place, results with a chart and its table, exports for staff only, and constant queries."""

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ecitizen.accounts.tests.factories import AgencyFactory
from ecitizen.audit.models import AuditEntry
from ecitizen.consultations import services
from ecitizen.consultations.models import Comment, Consultation, Question, Response
from ecitizen.consultations.tests.factories import (
    COMPLETE,
    close_now,
    make_survey,
    resident_in,
    staff_admin,
)

pytestmark = pytest.mark.django_db


def url(name: str, *args: Any, **query: str) -> str:
    path = reverse(name, args=args)
    return path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def html(response: Any) -> str:
    return response.content.decode()


# --------------------------------------------------------------------------- who sees what


def test_a_draft_consultation_does_not_exist_for_residents(agency, admin, area) -> None:
    draft = make_survey(agency=agency, admin=admin, publish=False)
    resident = signed_in(resident_in(area))
    for name in ("consultations:detail", "consultations:respond", "consultations:results"):
        assert resident.get(url(name, draft.pk)).status_code == 404
    assert draft.pk not in [c.pk for c in Client().get(url("consultations:index")).context["open"]]


def test_staff_of_another_agency_get_404(consultation) -> None:
    outsider = signed_in(staff_admin(AgencyFactory()))
    for name in (
        "backoffice:consultation",
        "backoffice:consultation_edit",
        "backoffice:consultation_moderation",
        "backoffice:consultation_question_add",
    ):
        assert outsider.get(url(name, consultation.pk)).status_code == 404
    assert outsider.post(url("backoffice:consultation_publish", consultation.pk)).status_code == 404
    listed = outsider.get(url("backoffice:consultations")).context["consultations"]
    assert consultation not in listed


def test_residents_never_reach_staff_pages(consultation, area) -> None:
    resident = signed_in(resident_in(area))
    close_now(consultation)
    for name in ("backoffice:consultation_results", "backoffice:consultation_export_csv"):
        assert resident.get(url(name, consultation.pk)).status_code == 404


def test_a_resident_only_ever_sees_their_own_draft(consultation, area) -> None:
    author, other = resident_in(area), resident_in(area)
    services.response_start(actor=author, consultation=consultation, anonymous=False)
    services.response_save(
        actor=author, consultation=consultation, answers={"q6": "My private thoughts"}
    )
    page = signed_in(other).get(url("consultations:check", consultation.pk))
    assert page.status_code == 302 and page["Location"] == url(
        "consultations:respond", consultation.pk
    )
    mine = signed_in(author).get(url("consultations:check", consultation.pk))
    assert "My private thoughts" in html(mine)
    # No URL names a response: there is nothing of someone else's to ask for.
    assert "response" not in reverse("consultations:check", args=[consultation.pk])


# --------------------------------------------------------------------------- the survey


def test_the_survey_one_question_at_a_time_with_errors_and_conditions(consultation, area) -> None:
    resident = resident_in(area)
    client = signed_in(resident)
    start = client.post(url("consultations:respond", consultation.pk))
    assert start["Location"] == url("consultations:question", consultation.pk, "q1")

    empty = client.post(start["Location"], {"action": "continue"})
    assert empty.status_code == 400
    page = html(empty)
    assert "There is a problem" in page
    assert 'href="#id_answer_0"' in page  # the summary links to the first radio button
    assert "Select an answer to “How often do you visit the park?”" in page

    rarely = client.post(start["Location"], {"action": "continue", "answer": "rarely"})
    assert rarely["Location"] == url("consultations:question", consultation.pk, "q2")
    too_long = "x" * 5001
    kept = client.post(rarely["Location"], {"action": "continue", "answer": too_long})
    assert kept.status_code == 400 and too_long in html(kept)  # what was typed is kept
    client.post(rarely["Location"], {"action": "continue", "answer": "Too dark at night"})

    ranking = url("consultations:question", consultation.pk, "q4")
    same = client.post(ranking, {"action": "continue", "rank_0": "1", "rank_1": "1", "rank_2": "2"})
    assert same.status_code == 400 and "Give each option a different rank" in html(same)
    assert "selected>1</option>" in html(same)

    later = client.post(url("consultations:question", consultation.pk, "q3"), {"action": "save"})
    assert later["Location"] == url("consultations:detail", consultation.pk)
    response = Response.objects.get(user=resident)
    assert response.answers == {"q1": "rarely", "q2": "Too dark at night"}

    check = client.post(url("consultations:check", consultation.pk))
    assert check.status_code == 400
    assert "Select at least one answer to “What would you like?”" in html(check)
    for key, data in {
        "q3": {"answer": ["benches"]},
        "q4": {"rank_0": "2", "rank_1": "3", "rank_2": "1"},
        "q5": {"answer": "5"},
    }.items():
        client.post(url("consultations:question", consultation.pk, key), {**data})
    sent = client.post(url("consultations:check", consultation.pk))
    assert sent["Location"] == url("consultations:sent", consultation.pk)
    response.refresh_from_db()
    assert response.is_submitted
    assert response.answers["q4"] == ["safety", "trees", "play"]
    assert response.answers["q5"] == 5


def test_a_closed_consultation_refuses_edits(consultation, area) -> None:
    resident = resident_in(area)
    services.response_start(actor=resident, consultation=consultation, anonymous=False)
    services.response_save(actor=resident, consultation=consultation, answers=COMPLETE)
    services.response_submit(actor=resident, consultation=consultation)
    close_now(consultation)
    client = signed_in(resident)
    refused = client.post(
        url("consultations:question", consultation.pk, "q1"),
        {"action": "continue", "answer": "rarely"},
    )
    assert refused.status_code == 403 and "This consultation has closed." in html(refused)
    assert Response.objects.get(user=resident).answers["q1"] == "every-day"
    assert client.post(url("consultations:check", consultation.pk)).status_code == 403
    comment = client.post(url("consultations:detail", consultation.pk), {"body": "Late"})
    assert comment.status_code == 403 and "This consultation has closed." in html(comment)
    assert not Comment.objects.exists()


def test_anonymous_choice_only_where_allowed(agency, admin, area) -> None:
    allowed = make_survey(agency=agency, admin=admin, allow_anonymous=True)
    client = signed_in(resident_in(area))
    assert "Anonymously" in html(client.get(url("consultations:respond", allowed.pk)))
    missing = client.post(url("consultations:respond", allowed.pk))
    assert missing.status_code == 400
    assert "Choose how we should keep your response." in html(missing)
    client.post(url("consultations:respond", allowed.pk), {"anonymous": "yes"})
    response = Response.objects.get(consultation=allowed)
    assert response.anonymous and response.user is None


# --------------------------------------------------------------------------- comments


def test_comment_report_and_moderation_in_place(consultation, admin, area) -> None:
    author, reader = resident_in(area, name="Amara Okafor"), resident_in(area)
    client = signed_in(author)
    empty = client.post(url("consultations:detail", consultation.pk), {"body": ""})
    assert empty.status_code == 400 and "Enter your comment." in html(empty)
    posted = client.post(url("consultations:detail", consultation.pk), {"body": "Buy stuff"})
    comment = Comment.objects.get()
    assert posted["Location"].endswith(f"#comment-{comment.pk}")

    reporting = signed_in(reader)
    report_url = url("consultations:report", consultation.pk, comment.pk)
    assert reporting.post(report_url, {}).status_code == 400
    assert reporting.post(report_url, {"reason": "spam"}).status_code == 302

    staff = signed_in(admin)
    moderation = html(staff.get(url("backoffice:consultation_moderation", consultation.pk)))
    assert "Buy stuff" in moderation and "It is spam or advertising" in moderation
    hide_url = url("backoffice:consultation_comment_hide", consultation.pk, comment.pk)
    assert staff.post(hide_url, {"reason": ""}).status_code == 400
    staff.post(hide_url, {"reason": "Advertising is not allowed."})

    page = html(Client().get(url("consultations:detail", consultation.pk)))
    assert "This comment was hidden by a moderator: Advertising is not allowed." in page
    assert "Buy stuff" not in page and "Amara O." in page


def test_rate_limited_comment_keeps_the_text(consultation, area, settings) -> None:
    settings.CONSULTATIONS_COMMENTS_PER_WINDOW = 1
    client = signed_in(resident_in(area))
    client.post(url("consultations:detail", consultation.pk), {"body": "First"})
    second = client.post(url("consultations:detail", consultation.pk), {"body": "Second thought"})
    assert second.status_code == 400
    assert "You have posted a lot in a short time." in html(second)
    assert "Second thought" in html(second)


def test_comments_on_a_document_section(consultation, admin, area) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    staff = signed_in(admin)
    pdf = SimpleUploadedFile("plan.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")
    added = staff.post(
        url("backoffice:consultation_document_add", consultation.pk),
        {"title_en": "Plan", "file": pdf},
    )
    assert added.status_code == 302
    document = consultation.documents.get()
    fake = SimpleUploadedFile("fake.pdf", b"MZ not a pdf", "application/pdf")
    refused = staff.post(
        url("backoffice:consultation_document_add", consultation.pk),
        {"title_en": "Fake", "file": fake},
    )
    assert refused.status_code == 400 and "must be a PDF" in html(refused)
    staff.post(
        url("backoffice:consultation_section_add", consultation.pk, document.pk),
        {"title_en": "Trees and planting"},
    )
    section = document.sections.get()
    assert section.anchor == "trees-and-planting"
    client = signed_in(resident_in(area))
    section_url = url("consultations:section", consultation.pk, document.pk, section.anchor)
    client.post(section_url, {"body": "Plant oaks"})
    assert Comment.objects.get().section == section
    assert "Plant oaks" in html(Client().get(section_url))
    assert "Plant oaks" not in html(Client().get(url("consultations:detail", consultation.pk)))
    download = Client().get(url("consultations:document", consultation.pk, document.pk))
    assert download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content).startswith(b"%PDF")


def test_comment_pages_run_a_constant_number_of_queries(
    consultation, area, django_assert_max_num_queries, settings
) -> None:
    settings.CONSULTATIONS_COMMENTS_PER_WINDOW = 100
    people = [resident_in(area) for _ in range(3)]
    first = services.comment_post(actor=people[0], consultation=consultation, body="One")
    for person in people:
        services.comment_post(actor=person, consultation=consultation, body="Re", parent=first)
        services.comment_post(actor=person, consultation=consultation, body="Top")
    client = Client()
    page = url("consultations:detail", consultation.pk)
    client.get(page)  # warm the session/URL caches
    with django_assert_max_num_queries(12) as few:
        client.get(page)
    for person in people[:2]:
        for _ in range(3):
            services.comment_post(actor=person, consultation=consultation, body="More")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(page)


# --------------------------------------------------------------------------- results


@pytest.fixture
def closed(consultation, area) -> Consultation:
    for answers in (COMPLETE, {**COMPLETE, "q1": "rarely", "q2": "Dark"}):
        resident = resident_in(area)
        services.response_start(actor=resident, consultation=consultation, anonymous=False)
        services.response_save(actor=resident, consultation=consultation, answers=answers)
        services.response_submit(actor=resident, consultation=consultation)
    return close_now(consultation)


def test_results_only_after_the_close(consultation) -> None:
    assert Client().get(url("consultations:results", consultation.pk)).status_code == 404


def test_results_have_a_chart_and_the_same_figures_in_a_table(closed) -> None:
    page = html(Client().get(url("consultations:results", closed.pk)))
    assert "2 people sent a response." in page
    assert page.count("<svg") == 4  # the four choice questions; written answers have none
    assert "<table" in page and "50 %" in page
    assert "Dark" not in page  # written answers are for staff


def test_staff_results_text_answers_tags_and_exports(closed, admin) -> None:
    staff = signed_in(admin)
    assert staff.get(url("backoffice:consultation_results", closed.pk)).status_code == 200
    question = Question.objects.get(consultation=closed, key="q2")
    answers_url = url("backoffice:consultation_text_answers", closed.pk, question.pk)
    assert "Dark" in html(staff.get(answers_url))
    response = Response.objects.get(answers__q2="Dark")
    staff.post(
        url("backoffice:consultation_tag_add", closed.pk, question.pk, response.pk),
        {f"r{str(response.pk)[:8]}-label": "Safety"},
    )
    assert response.tags.get().label == "Safety"
    csv_response = staff.get(url("backoffice:consultation_export_csv", closed.pk))
    assert csv_response["Content-Type"].startswith("text/csv")
    assert "attachment" in csv_response["Content-Disposition"]
    body = csv_response.content.decode()
    assert body.count("\n") == 3
    for r in Response.objects.select_related("user"):
        assert r.user.email not in body
    assert staff.get(url("backoffice:consultation_export_json", closed.pk)).json()["responses"]
    assert AuditEntry.objects.filter(action="consultations.export.downloaded").count() == 2


def test_staff_publish_the_response_and_residents_read_it(closed, admin) -> None:
    staff = signed_in(admin)
    missing = staff.post(url("backoffice:consultation_outcome", closed.pk), {"outcome_en": ""})
    assert missing.status_code == 400
    staff.post(
        url("backoffice:consultation_outcome", closed.pk),
        {"outcome_en": "We will add lighting.", "outcome_fr": "Nous ajouterons de l'éclairage."},
    )
    page = html(Client().get(url("consultations:detail", closed.pk)))
    assert "You said, we did" in page and "We will add lighting." in page


def test_staff_build_a_consultation_without_code(admin, agency) -> None:
    staff = signed_in(admin)
    created = staff.post(
        url("backoffice:consultation_create"),
        {
            "agency": agency.pk,
            "title_en": "New library",
            "title_fr": "Nouvelle bibliothèque",
            "title_es": "Nueva biblioteca",
            "summary_en": "Where?",
            "summary_fr": "Où ?",
            "summary_es": "¿Dónde?",
            "opens_at": "2030-01-01T09:00",
            "closes_at": "2029-01-01T09:00",
            "participation": "verified",
        },
    )
    assert created.status_code == 400
    assert "The closing date must be after the opening date." in html(created)
    assert 'value="New library"' in html(created)
    created = staff.post(
        url("backoffice:consultation_create"),
        {
            "agency": agency.pk,
            **{
                f"{k}_{c}": v
                for k, v in (("title", "Library"), ("summary", "Where?"))
                for c in ("en", "fr", "es")
            },
            "opens_at": "2030-01-01T09:00",
            "closes_at": "2030-02-01T09:00",
            "participation": "everyone",
        },
    )
    consultation = Consultation.objects.get(title__en="Library")
    assert created["Location"] == url("backoffice:consultation", consultation.pk)
    question_url = url("backoffice:consultation_question_add", consultation.pk)
    uneven = staff.post(
        question_url,
        {
            "kind": "single",
            "label_en": "Where?",
            "options_en": "North\nSouth",
            "options_fr": "N",
            "required": "on",
        },
    )
    assert uneven.status_code == 400 and "Give as many options as in English (2)" in html(uneven)
    staff.post(
        question_url,
        {"kind": "single", "label_en": "Where?", "options_en": "North\nSouth", "required": "on"},
    )
    staff.post(
        question_url,
        {"kind": "text", "label_en": "Why north?", "condition": "q1=north"},
    )
    assert [q.condition for q in consultation.questions.all()] == [
        {},
        {"question": "q1", "in": ["north"]},
    ]
    staff.post(url("backoffice:consultation_publish", consultation.pk))
    consultation.refresh_from_db()
    assert consultation.status == Consultation.Status.PUBLISHED and consultation.response_key


def test_staff_list_runs_a_constant_number_of_queries(
    admin, agency, django_assert_max_num_queries
) -> None:
    for _ in range(2):
        make_survey(agency=agency, admin=admin, questions=[], opinion_map=True, statements=1)
    staff = signed_in(admin)
    staff.get(url("backoffice:consultations"))
    with django_assert_max_num_queries(20) as few:
        staff.get(url("backoffice:consultations"))
    for _ in range(3):
        make_survey(agency=agency, admin=admin, questions=[], opinion_map=True, statements=1)
    with django_assert_max_num_queries(len(few.captured_queries)):
        staff.get(url("backoffice:consultations"))
