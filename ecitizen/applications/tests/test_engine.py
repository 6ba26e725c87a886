"""The form engine: every question type, every validation rule, conditions, pre-fill and
tampered input. Pure functions and forms: no database."""

import copy
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from django.utils.datastructures import MultiValueDict

from ecitizen.applications import engine
from ecitizen.applications.tests.factories import (
    DEFINITION,
    EXE_BYTES,
    PDF_BYTES,
    PNG_BYTES,
)

DISTRICTS = [("riverside", "Riverside"), ("old-town", "Old Town")]
PREFILL = {
    "legal_name": "Amara Okafor",
    "email": "amara@example.org",
    "phone": "+33 6 12 34 56 78",
    "address": {
        "line1": "1 River Street",
        "line2": "",
        "town": "Metropolis",
        "postcode": "75001",
        "area": "riverside",
    },
}


@pytest.fixture(autouse=True)
def english() -> Any:
    with translation.override("en"):
        yield


def page(page_id: str) -> dict[str, Any]:
    found = engine.page_by_id(DEFINITION, page_id)
    assert found is not None
    return found


def form_for(
    page_id: str,
    data: dict[str, Any] | None = None,
    files: dict[str, Any] | None = None,
    *,
    answers: dict[str, Any] | None = None,
    prefill: dict[str, Any] | None = None,
    include_prefilled: bool = False,
    documents: list[Any] | None = None,
    definition: dict[str, Any] | None = None,
) -> engine.PageForm:
    definition = definition or DEFINITION
    return engine.build_page_form(
        definition,
        engine.page_by_id(definition, page_id),  # type: ignore[arg-type]
        answers=answers or {},
        prefill=PREFILL if prefill is None else prefill,
        include_prefilled=include_prefilled,
        documents=documents or [],
        districts=DISTRICTS,
        data=data,
        files=MultiValueDict(files or {}) if data is not None else None,
    )


def works(**overrides: Any) -> dict[str, Any]:
    data = {
        "floor_area": "120",
        "budget": "1250.50",
        "start_date": "2099-01-15",
        "use": "home",
        "features": ["solar"],
        "description": "A small extension.",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def errors_of(form: engine.PageForm) -> dict[str, list[str]]:
    assert not form.is_valid()
    return {name: [str(e) for e in errors] for name, errors in form.errors.items()}


# --- normalised answers ------------------------------------------------------------------


def test_every_type_is_normalised_to_json() -> None:
    form = form_for("works", works(features=["pool", "solar"]))
    assert form.is_valid(), form.errors
    assert form.answers() == {
        "floor_area": 120,
        "budget": 125050,
        "start_date": "2099-01-15",
        "use": "home",
        "features": ["solar", "pool"],  # in the definition's order
        "description": "A small extension.",
    }
    garage = form_for("garage", {"has_garage": "yes", "garage_area": "18"})
    assert garage.is_valid(), garage.errors
    assert garage.answers() == {"has_garage": True, "garage_area": 18}
    no_garage = form_for("garage", {"has_garage": "no"})
    assert no_garage.is_valid() and no_garage.answers() == {
        "has_garage": False,
        "garage_area": None,
    }


def test_text_email_phone_and_address_answers() -> None:
    form = form_for(
        "you",
        {
            "full_name": "  Amara   Okafor ",
            "contact_email": "A@Example.org",
            "contact_phone": "01632 960 001",
        },
        include_prefilled=True,
    )
    assert form.is_valid(), form.errors
    assert form.answers() == {
        "full_name": "Amara   Okafor",
        "contact_email": "A@Example.org",
        "contact_phone": "01632 960 001",
    }
    site = form_for(
        "site",
        {
            "site_address-line1": "2 Mill Lane",
            "site_address-line2": "",
            "site_address-town": "Metropolis",
            "site_address-postcode": "75002",
            "site_address-area": "old-town",
            "parcel": "CD45",
        },
        include_prefilled=True,
    )
    assert site.is_valid(), site.errors
    assert site.answers()["site_address"] == {
        "line1": "2 Mill Lane",
        "line2": "",
        "town": "Metropolis",
        "postcode": "75002",
        "area": "old-town",
    }


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("12", 1200),
        ("12.5", 1250),
        ("12,50", 1250),
        ("1,234.56", 123456),
        ("1.234,56", 123456),
        ("1 234", 123400),
        ("€ 99.99", 9999),
    ],
)
def test_money_is_typed_in_major_units_and_stored_in_minor_units(typed: str, cents: int) -> None:
    assert engine.parse_money(typed) == cents


@pytest.mark.parametrize("typed", ["12.3456", "abc", "1,2,3", "-5", "12.5.5"])
def test_money_that_is_not_an_amount(typed: str) -> None:
    assert engine.parse_money(typed) is None


def test_decimal_number_with_a_comma() -> None:
    definition = copy.deepcopy(DEFINITION)
    definition["form"]["pages"][2]["questions"][0]["validation"] = {"min": 0.5}
    form = form_for("works", works(floor_area="12,75"), definition=definition)
    assert form.is_valid(), form.errors
    assert form.answers()["floor_area"] == 12.75


def test_initial_values_show_saved_answers() -> None:
    form = form_for("works", answers={"budget": 125050, "start_date": "2099-01-15", "use": "shop"})
    assert form["budget"].value() == "1250.50"
    assert form["start_date"].value() == "2099-01-15"
    assert form["use"].value() == "shop"
    garage = form_for("garage", answers={"has_garage": False})
    assert garage["has_garage"].value() == "no"


# --- validation rules --------------------------------------------------------------------


def test_required_questions_have_specific_messages() -> None:
    errors = errors_of(form_for("works", {}))
    assert errors["floor_area"] == ["Enter an answer for “Floor area”."]
    assert errors["use"] == ["Select an answer for “Use”."]
    assert errors["description"] == ["Enter an answer for “Description”."]
    assert "features" not in errors  # optional
    garage = errors_of(form_for("garage", {}))
    assert garage == {"has_garage": ["Select an answer for “Is there a garage?”."]}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("AB", "“Parcel number” must be 3 characters or more."),
        ("AB123456789", "“Parcel number” must be 10 characters or fewer."),
        ("ab123", "“Parcel number” is not in the right format."),
    ],
)
def test_text_length_and_pattern(value: str, message: str) -> None:
    form = form_for("site", {"parcel": value})
    assert errors_of(form) == {"parcel": [message]}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("floor_area", "lots", "“Floor area” must be a number."),
        ("floor_area", "12.5", "“Floor area” must be a whole number."),
        ("floor_area", "0", "“Floor area” must be 1 or more."),
        ("floor_area", "10001", "“Floor area” must be 10000 or less."),
        ("budget", "a lot", "Enter “Budget” as an amount, like 125.50."),
        ("budget", "99.99", "“Budget” must be €100.00 or more."),
        ("budget", "1000001", "“Budget” must be €1,000,000.00 or less."),
        ("start_date", "31/02/2099", "“Start date” must be a real date, like 2026-03-27."),
        ("start_date", "2000-01-01", "“Start date” must be on or after"),
        ("start_date", "2100-01-01", "“Start date” must be on or before"),
        ("use", "castle", "Select one of the options for “Use”."),
        ("features", ["solar", "garden", "pool"], "Select no more than 2 options for “Features”."),
        ("features", ["solar", "moat"], "Select one of the options for “Features”."),
        ("description", "x" * 501, "“Description” must be 500 characters or fewer."),
    ],
)
def test_validation_rules(field: str, value: Any, message: str) -> None:
    errors = errors_of(form_for("works", works(**{field: value})))
    assert list(errors) == [field]
    assert errors[field][0].startswith(message)


def test_min_date_today_allows_today() -> None:
    today = timezone.localdate().isoformat()
    form = form_for("works", works(start_date=today))
    assert form.is_valid(), form.errors


def test_email_and_phone_formats() -> None:
    form = form_for(
        "you",
        {"full_name": "A", "contact_email": "not-an-email", "contact_phone": "call me"},
        include_prefilled=True,
    )
    assert errors_of(form) == {
        "contact_email": ["Enter an email address in the right format, like name@example.com."],
        "contact_phone": ["Enter a phone number, like 01632 960 001 or +33 6 12 34 56 78."],
    }


def test_address_needs_first_line_town_and_district() -> None:
    form = form_for(
        "site",
        {
            "site_address-line1": "",
            "site_address-town": "",
            "site_address-area": "atlantis",
            "parcel": "AB1",
        },
        include_prefilled=True,
    )
    assert errors_of(form) == {
        "site_address-line1": ["Enter the first line of the address for “Site address”."],
        "site_address-town": ["Enter the town or city for “Site address”."],
        "site_address-area": ["Select one of the districts."],
    }


def test_error_summary_links_to_each_field() -> None:
    form = form_for("works", works(use="castle", floor_area=""))
    assert not form.is_valid()
    anchors = dict(form.error_summary())
    assert anchors["id_floor_area"] == "Enter an answer for “Floor area”."
    assert anchors["id_use_0"] == "Select one of the options for “Use”."


def test_errors_are_translated() -> None:
    with translation.override("fr"):
        form = form_for("works", {})
        assert not form.is_valid()
        # The label is the French one; the sentence comes from the French catalogue when it
        # has been translated (and is never an untranslated field name).
        assert "Floor area (fr)" in form.errors["floor_area"][0]


def test_entered_values_are_kept_on_error() -> None:
    form = form_for("works", works(floor_area="lots", description="Kept text"))
    assert not form.is_valid()
    assert form["floor_area"].value() == "lots"
    assert form["description"].value() == "Kept text"


def test_staff_written_help_is_escaped() -> None:
    form = form_for("site", include_prefilled=True)
    assert form.fields["parcel"].help_text == "&lt;b&gt;Two&lt;/b&gt; capital letters then digits"


# --- conditions ----------------------------------------------------------------------------


def test_same_page_condition_is_checked_when_the_page_is_sent() -> None:
    needed = form_for("garage", {"has_garage": "yes"})
    assert errors_of(needed) == {"garage_area": ["Enter an answer for “Garage area”."]}
    # Not shown after all: what was typed (even invalid) is ignored and never stored.
    ignored = form_for("garage", {"has_garage": "no", "garage_area": "lots"})
    assert ignored.is_valid(), ignored.errors
    assert ignored.answers() == {"has_garage": False, "garage_area": None}


def test_conditional_page_is_skipped() -> None:
    answers = {"use": "home"}
    assert engine.next_page_id(DEFINITION, answers, PREFILL, after="garage") == "plans"
    assert engine.next_page_id(DEFINITION, {"use": "shop"}, PREFILL, after="garage") == "shop"
    assert engine.previous_page_id(DEFINITION, answers, PREFILL, before="plans") == "garage"


def test_answers_to_questions_no_longer_shown_are_dropped() -> None:
    stored = {"use": "shop", "opening_hours": "9-5", "has_garage": True, "garage_area": 20}
    merged = engine.merge_page_answers(DEFINITION, stored, {"use": "home"}, PREFILL)
    assert "opening_hours" not in merged
    merged = engine.merge_page_answers(DEFINITION, merged, {"has_garage": False}, PREFILL)
    assert merged == {"use": "home", "has_garage": False}


def test_missing_answers_follow_conditions() -> None:
    answers = {
        "parcel": "AB1",
        "floor_area": 1,
        "budget": 10000,
        "start_date": "2099-01-01",
        "use": "shop",
        "description": "x",
        "has_garage": False,
        "drawings": [1],
    }
    assert engine.missing_answers(DEFINITION, answers, PREFILL) == [("shop", "opening_hours")]
    assert engine.missing_answers(DEFINITION, {**answers, "use": "home"}, PREFILL) == []


# --- once-only pre-fill --------------------------------------------------------------------


def test_questions_the_profile_answers_are_not_asked() -> None:
    assert engine.questions_to_ask(page("you"), {}, PREFILL) == []
    assert engine.next_page_id(DEFINITION, {}, PREFILL, after=None) == "site"
    site = form_for("site")
    assert list(site.fields) == ["parcel"]
    # Without a phone number in the profile, only that question is asked.
    no_phone = {k: v for k, v in PREFILL.items() if k != "phone"}
    asked = engine.questions_to_ask(page("you"), {}, no_phone)
    assert [q["id"] for q in asked] == ["contact_phone"]
    # An address without a district does not count as known.
    partial = dict(PREFILL, address=dict(PREFILL["address"], area=""))
    assert [q["id"] for q in engine.questions_to_ask(page("site"), {}, partial)] == [
        "site_address",
        "parcel",
    ]


def test_prefilled_answers_are_shown_and_can_be_overridden() -> None:
    sections = engine.answer_sections(
        DEFINITION, {}, PREFILL, districts=dict(DISTRICTS), documents={}, currency="EUR"
    )
    rows = {row.question_id: row for section in sections for row in section.rows}
    assert rows["full_name"].lines == ["Amara Okafor"] and rows["full_name"].from_profile
    assert rows["site_address"].lines == ["1 River Street", "Metropolis", "75001", "Riverside"]
    form = form_for("you", include_prefilled=True)
    assert form["full_name"].value() == "Amara Okafor"
    # The same value as the profile is not stored: the profile stays the source.
    same = engine.merge_page_answers(DEFINITION, {}, {"full_name": "Amara Okafor"}, PREFILL)
    assert same == {}
    other = engine.merge_page_answers(DEFINITION, {}, {"full_name": "A. Okafor"}, PREFILL)
    assert other == {"full_name": "A. Okafor"}
    frozen = engine.frozen_answers(DEFINITION, other, PREFILL)
    assert frozen["full_name"] == "A. Okafor" and frozen["contact_email"] == "amara@example.org"


# --- tampering -------------------------------------------------------------------------------


def test_answers_for_questions_not_on_the_page_are_ignored() -> None:
    form = form_for("garage", {"has_garage": "no", "floor_area": "999999", "is_admin": "yes"})
    assert form.is_valid()
    assert set(form.answers()) == {"has_garage", "garage_area"}
    merged = engine.merge_page_answers(
        DEFINITION, {}, {"is_admin": True, "has_garage": False}, PREFILL
    )
    assert merged == {"has_garage": False}


def test_a_choice_not_among_the_options_is_refused() -> None:
    form = form_for("garage", {"has_garage": "maybe"})
    assert errors_of(form) == {
        "has_garage": ["Select one of the options for “Is there a garage?”."]
    }


# --- files -----------------------------------------------------------------------------------


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def test_file_question_validates_each_file_by_its_bytes() -> None:
    good = form_for(
        "plans", {}, {"drawings": [upload("plan.pdf", PDF_BYTES), upload("site.png", PNG_BYTES)]}
    )
    assert good.is_valid(), good.errors
    uploads = good.new_uploads()["drawings"]
    assert [u.content_type for u in uploads] == ["application/pdf", "image/png"]
    assert good.answers() == {"drawings": None}  # no stored document yet: the service adds them

    wrong = form_for("plans", {}, {"drawings": [upload("plan.pdf", EXE_BYTES)]})
    assert errors_of(wrong) == {"drawings": ["“plan.pdf” must be a PDF or PNG file."]}

    big = form_for("plans", {}, {"drawings": [upload("big.pdf", PDF_BYTES + b"0" * 2000)]})
    assert errors_of(big) == {"drawings": ["“big.pdf” must be smaller than 1.0\xa0KB."]}

    too_many = form_for(
        "plans", {}, {"drawings": [upload(f"p{i}.pdf", PDF_BYTES) for i in range(3)]}
    )
    assert errors_of(too_many) == {"drawings": ["You can upload up to 2 files for “Drawings”."]}

    missing = form_for("plans", {})
    assert errors_of(missing) == {"drawings": ["Upload a file for “Drawings”."]}


class Doc:
    def __init__(self, pk: int, question_id: str = "drawings") -> None:
        self.id = self.pk = pk
        self.question_id = question_id
        self.original_name = f"doc{pk}.pdf"


def test_files_already_uploaded_count_and_can_be_removed() -> None:
    documents = [Doc(7), Doc(8)]
    answers = {"drawings": [7, 8]}
    kept = form_for("plans", {}, answers=answers, documents=documents)
    assert kept.is_valid(), kept.errors
    assert kept.answers() == {"drawings": [7, 8]}
    removed = form_for("plans", {"drawings-remove": ["7"]}, answers=answers, documents=documents)
    assert removed.is_valid() and removed.answers() == {"drawings": [8]}
    assert removed.removed_documents() == [7]
    # Someone else's document id is not a choice.
    forged = form_for("plans", {"drawings-remove": ["99"]}, answers=answers, documents=documents)
    assert "drawings-remove" in errors_of(forged)
    # Removing both without a new file: a file is still needed.
    emptied = form_for(
        "plans", {"drawings-remove": ["7", "8"]}, answers=answers, documents=documents
    )
    assert errors_of(emptied) == {"drawings": ["Upload a file for “Drawings”."]}


def test_partial_answers_keep_what_is_valid() -> None:
    form = form_for("works", works(floor_area="lots", use="castle"))
    partial = form.partial_answers()
    assert "floor_area" not in partial and "use" not in partial
    assert partial["budget"] == 125050 and partial["description"] == "A small extension."


def test_display_values() -> None:
    questions = engine.question_map(DEFINITION)
    assert engine.display_value(questions["budget"], 125050) == ["€1,250.50"]
    assert engine.display_value(questions["has_garage"], False) == ["No"]
    assert engine.display_value(questions["features"], ["solar", "pool"]) == ["Solar", "Pool"]
    (shown_date,) = engine.display_value(questions["start_date"], "2099-01-15")
    assert "2099" in shown_date and "15" in shown_date and "-" not in shown_date
    assert engine.display_value(questions["drawings"], [3], documents={3: "plan.pdf"}) == [
        "plan.pdf"
    ]
    assert engine.display_value(questions["parcel"], None) == []


def test_a_question_depending_on_the_same_page_says_when_to_answer_it() -> None:
    form = form_for("garage")
    assert form.fields["garage_area"].help_text.startswith(
        "Only if you answered “Yes” to “Is there a garage?”."
    )
    questions = engine.question_map(DEFINITION)
    hint = engine.condition_hint({"question": "use", "in": ["shop", "office"]}, questions)
    assert hint == "Only if you answered “Shop” or “Office” to “Use”."
