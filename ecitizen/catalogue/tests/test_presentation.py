from decimal import Decimal

from django.utils import translation

from ecitizen.catalogue import presentation
from ecitizen.catalogue.tests.factories import definition
from ecitizen.core.money import format_money, to_minor


def test_format_money_follows_the_language():
    with translation.override("en"):
        assert format_money(123450, "EUR") == "€1,234.50"
        assert format_money(5, "EUR") == "€0.05"
    with translation.override("fr"):
        assert format_money(123450, "EUR") == "1\u00a0234,50\u00a0€"
    with translation.override("es"):
        assert format_money(6000, "EUR") == "60,00\u00a0€"
    assert to_minor(Decimal("2.505"), "EUR") == 251


def test_fee_summary_for_each_kind():
    with translation.override("en"):
        assert presentation.fee_summary({"fee": {"kind": "none"}}) == "Free"
        fixed = {"fee": {"kind": "fixed", "amount": 2500, "currency": "EUR"}}
        assert presentation.fee_summary(fixed) == "€25.00"
        formula = definition()
        assert presentation.fee_summary(formula) == (
            "From €100.00, depending on: €2.50 per square metre plus €100"
        )
        formula["fee"].pop("description")
        formula["fee"]["minimum"] = None
        assert presentation.fee_summary(formula) == "Depends on: Floor Area"
    with translation.override("fr"):
        assert "100,00\u00a0€" in presentation.fee_summary(definition())


def test_time_validity_and_conditions_in_words():
    with translation.override("en"):
        assert presentation.sla_text(1) == "Up to 1 working day"
        assert presentation.sla_text(20) == "Up to 20 working days"
        assert presentation.validity_text(730) == "Valid for 2 years"
        assert presentation.validity_text(30) == "Valid for 30 days"
        assert presentation.validity_text(None) == "Does not expire"
        d = definition()
        condition = d["form"]["pages"][1]["condition"]
        assert presentation.condition_text(condition, d) == "Only if “Has Basement” is Yes"


def test_uploads_needed_lists_file_questions():
    d = definition()
    d["form"]["pages"][0]["questions"].append(
        {
            "id": "plans",
            "type": "file",
            "label": {"en": "Plans"},
            "upload": {
                "types": ["application/pdf", "image/png"],
                "max_size": 5 * 2**20,
                "max_files": 3,
            },
        }
    )
    with translation.override("en"):
        [upload] = presentation.uploads_needed(d)
    assert (upload.label, upload.types, upload.max_size_mb, upload.max_files) == (
        "Plans",
        "PDF, PNG",
        5,
        3,
    )
    assert upload.required is False
