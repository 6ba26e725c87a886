import copy

import pytest

from ecitizen.catalogue.schema import (
    QUESTION_TYPES,
    VALIDATION_RULES,
    condition_met,
    validate_definition,
)
from ecitizen.catalogue.tests.factories import definition, question, t


def with_questions(*questions, fee=None):
    d = definition(fee=fee or {"kind": "none"})
    d["form"]["pages"] = [{"id": "p1", "title": t("Page"), "questions": list(questions)}]
    return d


def valid_question(qtype):
    extra = {}
    if qtype in ("single_choice", "multiple_choice"):
        extra["options"] = [
            {"value": "a", "label": t("A")},
            {"value": "b", "label": t("B")},
        ]
    if qtype == "file":
        extra["upload"] = {"types": ["application/pdf"], "max_size": 1024, "max_files": 2}
    return question(f"q_{qtype}", qtype, required=True, **extra)


def test_the_factory_definition_is_publishable():
    assert validate_definition(definition(), for_publishing=True) == []


@pytest.mark.parametrize("qtype", QUESTION_TYPES)
def test_every_question_type_is_accepted(qtype):
    assert validate_definition(with_questions(valid_question(qtype)), for_publishing=True) == []


def test_unknown_type_and_bad_ids_are_refused():
    errors = validate_definition(
        with_questions(
            question("ok", "hologram"), question("Bad-Id"), question("dup"), question("dup")
        )
    )
    assert any("unknown type" in e for e in errors)
    assert any("“Bad-Id” is invalid" in e for e in errors)
    assert any("“dup” is invalid or used twice" in e for e in errors)


@pytest.mark.parametrize(
    ("qtype", "rules"),
    [
        ("number", {"min": 1, "max": 10, "integer": True}),
        ("money", {"min": 0, "max": 100000, "integer": True}),
        ("text", {"min_length": 2, "max_length": 20, "pattern": "^[A-Z]+$"}),
        ("long_text", {"min_length": 0, "max_length": 2000}),
        ("date", {"min_date": "today", "max_date": "2099-12-31"}),
        ("date", {"min_date": "2000-01-01", "max_date": "today"}),
        ("multiple_choice", {"min_choices": 1, "max_choices": 2}),
    ],
)
def test_valid_rules_per_type(qtype, rules):
    q = valid_question(qtype)
    q["validation"] = rules
    assert validate_definition(with_questions(q)) == []


@pytest.mark.parametrize(
    ("qtype", "rules", "message"),
    [
        ("number", {"min": "one"}, "must be numbers"),
        ("number", {"min": 10, "max": 1}, "minimum cannot be more than the maximum"),
        ("number", {"integer": "yes"}, "whole numbers only"),
        ("money", {"max": True}, "must be numbers"),
        ("text", {"min_length": -1}, "whole numbers of characters"),
        ("text", {"min_length": 9, "max_length": 3}, "minimum cannot be more"),
        ("text", {"pattern": "([a-z"}, "invalid pattern"),
        ("date", {"min_date": "tomorrow"}, "“today” or a date"),
        ("date", {"min_date": "2030-01-01", "max_date": "2020-01-01"}, "earliest date"),
        ("multiple_choice", {"max_choices": 3}, "number of choices"),
        ("multiple_choice", {"min_choices": 2, "max_choices": 1}, "minimum cannot be more"),
        ("yes_no", {"min": 1}, "cannot have the rule “min”"),
        ("text", {"min_choices": 1}, "cannot have the rule “min_choices”"),
    ],
)
def test_invalid_rules_are_refused(qtype, rules, message):
    assert set(VALIDATION_RULES) <= set(QUESTION_TYPES)
    q = valid_question(qtype)
    q["validation"] = rules
    errors = validate_definition(with_questions(q))
    assert any(message in e for e in errors), errors


def test_choices_uploads_and_prefill_are_checked():
    one_option = question("c", "single_choice", options=[{"value": "a", "label": t("A")}])
    bad_upload = question(
        "f", "file", upload={"types": ["application/x-msdownload"], "max_size": 10**9}
    )
    bad_prefill = question("p", "text", prefill="national_id")
    errors = validate_definition(with_questions(one_option, bad_upload, bad_prefill))
    assert any("at least two options" in e for e in errors)
    assert any("known file types" in e for e in errors)
    assert any("maximum file size" in e for e in errors)
    assert any("unknown pre-fill source" in e for e in errors)


def test_condition_must_refer_to_an_earlier_question():
    later = with_questions(
        question("first", "text", condition={"question": "second", "equals": "x"}),
        question("second", "text"),
    )
    assert any("must refer to a question asked before it" in e for e in validate_definition(later))
    missing = with_questions(question("q", "text", condition={"question": "ghost", "equals": 1}))
    assert any("asked before it" in e for e in validate_definition(missing))
    self_ref = with_questions(question("q", "text", condition={"question": "q", "equals": "a"}))
    assert any("asked before it" in e for e in validate_definition(self_ref))


def test_condition_values_must_fit_the_question():
    d = with_questions(
        valid_question("single_choice"),
        valid_question("yes_no"),
        question("a", "text", condition={"question": "q_single_choice", "equals": "zzz"}),
        question("b", "text", condition={"question": "q_yes_no", "equals": "yes"}),
        question("c", "text", condition={"question": "q_single_choice", "in": []}),
        question("d", "text", condition={"question": "q_yes_no", "equals": True}),
        question("e", "text", condition={"question": "q_single_choice", "in": ["a", "b"]}),
    )
    errors = validate_definition(d)
    assert sum("a value it cannot have" in e for e in errors) == 2
    assert sum("needs a value to compare" in e for e in errors) == 1
    assert len(errors) == 3


def test_page_condition_on_a_question_of_the_same_or_later_page_is_refused():
    d = definition()
    d["form"]["pages"][0]["condition"] = {"question": "has_basement", "equals": True}
    assert any("page site" in e for e in validate_definition(d))


def test_formula_must_use_known_numeric_questions():
    d = definition()
    d["fee"]["formula"] = "floor_area * 250 + has_basement * 100 + ghost"
    errors = validate_definition(d)
    assert any("“has_basement”, which is not a number" in e for e in errors)
    assert any("“ghost”, which is not a number" in e for e in errors)
    d["fee"]["formula"] = "__import__('os')"
    assert any("fee formula is invalid" in e for e in validate_definition(d))


def test_fee_shape():
    assert validate_definition(definition(fee={"kind": "fixed", "amount": -1, "currency": "EUR"}))
    assert validate_definition(definition(fee={"kind": "fixed", "amount": 100, "currency": "euro"}))
    assert validate_definition(definition(fee={"kind": "donation"}))
    d = definition()
    d["fee"].update(minimum=500, maximum=100)
    assert any("minimum cannot be more" in e for e in validate_definition(d))


def test_missing_translations_are_refused_only_on_publish():
    d = definition()
    d["form"]["pages"][0]["questions"][0]["label"] = {"en": "Address", "fr": "", "es": "Dirección"}
    d["form"]["pages"][0]["title"] = {"en": "Site"}
    d["issues"]["permitted"] = {"en": "Build"}
    d["fee"]["description"] = {"en": "Per m²", "fr": "Par m²"}
    d["form"]["pages"][0]["questions"][1]["help"] = {"en": "In m²"}
    assert validate_definition(d) == []
    errors = validate_definition(d, for_publishing=True)
    assert "Text for question site_address is missing in: fr." in errors
    assert "Text for page site is missing in: fr, es." in errors
    assert any("What is issued" in e for e in errors)
    assert any("fee description is missing in: es" in e for e in errors)
    assert any("help for question floor_area" in e for e in errors)


def test_drafts_may_be_incomplete_but_not_broken():
    empty = definition()
    empty["form"] = {"pages": [{"id": "p", "title": t("P"), "questions": []}]}
    empty["fee"] = {"kind": "none"}
    assert validate_definition(empty, require_complete=False) == []
    assert "Page “p” has no questions." in validate_definition(empty)
    assert validate_definition(empty, for_publishing=True)


def test_condition_met():
    assert condition_met(None, {})
    assert condition_met({"question": "a", "equals": True}, {"a": True})
    assert not condition_met({"question": "a", "equals": True}, {"a": False})
    assert condition_met({"question": "a", "in": ["x", "y"]}, {"a": "y"})
    assert condition_met({"question": "a", "in": ["x"]}, {"a": ["z", "x"]})
    assert not condition_met({"question": "a", "in": ["x"]}, {})


def test_validation_does_not_modify_the_definition():
    d = definition()
    before = copy.deepcopy(d)
    validate_definition(d, for_publishing=True)
    assert d == before
