"""The shape of a service definition (``ServiceVersion.definition``) and its validation.

```
{
  "fee": {"kind": "none"}
       | {"kind": "fixed", "amount": 5000, "currency": "EUR"}
       | {"kind": "formula", "formula": "floor_area * 250 + 5000", "currency": "EUR",
          "minimum": 5000, "maximum": null},
  "fee_timing": "on_submit" | "on_approval",
  "sla_working_days": 20,
  "workflow": {"second_approval": false, "refund_on_rejection": true},
  "issues": null | {"document_type": {"en": "Building permit", ...},
                    "permitted": {"en": "Build what the approved plans show", ...},
                    "validity_days": 730 | null},
  "form": {"pages": [
    {"id": "site", "title": {"en": ...}, "condition": <condition>?,
     "questions": [
       {"id": "floor_area", "type": "number", "label": {"en": ...}, "help": {"en": ...}?,
        "required": true,
        "validation": {"min": 1, "max": 10000, "integer": true,          # number, money
                       "min_length": 2, "max_length": 200, "pattern": "^[A-Z]+$",  # text
                       "min_date": "today" | "2026-01-01", "max_date": ...,    # date
                       "min_choices": 1, "max_choices": 3},                    # multiple choice
        "options": [{"value": "garage", "label": {"en": ...}}],   # single/multiple choice
        "upload": {"types": ["application/pdf", "image/png", "image/jpeg"],
                   "max_size": 5242880, "max_files": 3},              # file
        "prefill": "legal_name" | "email" | "phone" | "address",      # once-only, from profile
        "condition": {"question": "has_garage", "equals": true}
                   | {"question": "use", "in": ["shop", "office"]}}
     ]}
  ]}
}
```
Money answers are integers in minor units (so are money ``min``/``max`` rules and fee
``minimum``/``maximum``). A condition may only refer to a question asked before it (on an
earlier page, or earlier on the same page), and compare it with a value that question can have.
A formula fee may carry a plain-language ``"description": {"en": "€2.50 per m² ...", ...}``
shown to residents.
"""

import datetime
import re
from typing import Any

from django.utils.translation import gettext as _

from ecitizen.catalogue.fees import FormulaError, formula_names
from ecitizen.core.i18n import missing_languages

QUESTION_TYPES = (
    "text",
    "long_text",
    "number",
    "money",
    "date",
    "yes_no",
    "single_choice",
    "multiple_choice",
    "address",
    "email",
    "phone",
    "file",
)
PREFILL_SOURCES = ("legal_name", "email", "phone", "address")
UPLOAD_TYPES = ("application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp")
MAX_UPLOAD_SIZE = 20 * 1024 * 1024
_ID = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
# Which validation rules each question type accepts.
VALIDATION_RULES: dict[str, tuple[str, ...]] = {
    "text": ("min_length", "max_length", "pattern"),
    "long_text": ("min_length", "max_length", "pattern"),
    "number": ("min", "max", "integer"),
    "money": ("min", "max", "integer"),
    "date": ("min_date", "max_date"),
    "multiple_choice": ("min_choices", "max_choices"),
}


def iter_questions(definition: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(page, question) pairs in the order they are asked."""
    return [
        (page, question)
        for page in definition.get("form", {}).get("pages", [])
        for question in page.get("questions", [])
    ]


def question_by_id(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {question["id"]: question for _, question in iter_questions(definition)}


def condition_met(condition: dict[str, Any] | None, answers: dict[str, Any]) -> bool:
    """Whether a page or question with this condition is shown, given the answers so far."""
    if not condition:
        return True
    value = answers.get(condition["question"])
    if "equals" in condition:
        return bool(value == condition["equals"])
    if "in" in condition:
        if isinstance(value, list):
            return any(item in condition["in"] for item in value)
        return value in condition["in"]
    return True


def validate_definition(
    definition: dict[str, Any], *, for_publishing: bool = False, require_complete: bool = True
) -> list[str]:
    """Every problem with a definition, in plain language. Publishing also requires every
    resident-facing text in every language. ``require_complete=False`` (a draft being built)
    tolerates a form with no pages yet, or a page with no questions yet."""
    errors: list[str] = []
    _validate_fee(definition, errors)
    fee = definition.get("fee") or {}
    if for_publishing and fee.get("kind") == "formula":
        _require_languages(fee.get("description"), _("the fee description"), errors)
    if definition.get("fee_timing", "on_submit") not in ("on_submit", "on_approval"):
        errors.append(_("The fee must be charged on submission or on approval."))
    sla = definition.get("sla_working_days")
    if not isinstance(sla, int) or not 1 <= sla <= 365:
        errors.append(_("The processing time must be between 1 and 365 working days."))
    issues = definition.get("issues")
    if issues is not None:
        validity = issues.get("validity_days")
        if validity is not None and (not isinstance(validity, int) or validity < 1):
            errors.append(_("The validity period must be a positive number of days."))
        if for_publishing:
            for key in ("document_type", "permitted"):
                _require_languages(issues.get(key), _("What is issued"), errors)

    pages = definition.get("form", {}).get("pages", [])
    if not pages and (require_complete or for_publishing):
        errors.append(_("The form needs at least one page."))
    seen: dict[str, dict[str, Any]] = {}
    page_ids: set[str] = set()
    for page in pages:
        page_id = page.get("id", "")
        if not _ID.match(page_id) or page_id in page_ids:
            errors.append(_("Page id “%(id)s” is invalid or used twice.") % {"id": page_id})
        page_ids.add(page_id)
        _validate_condition(page.get("condition"), seen, _("page %(id)s") % {"id": page_id}, errors)
        if for_publishing:
            _require_languages(page.get("title"), _("page %(id)s") % {"id": page_id}, errors)
        if not page.get("questions") and (require_complete or for_publishing):
            errors.append(_("Page “%(id)s” has no questions.") % {"id": page_id})
        for question in page.get("questions", []):
            _validate_question(question, seen, errors, for_publishing)
            seen[question.get("id", "")] = question

    fee = definition.get("fee", {})
    if fee.get("kind") == "formula":
        try:
            names = formula_names(fee.get("formula", ""))
        except FormulaError:
            names = set()
        for name in sorted(names):
            if seen.get(name, {}).get("type") not in ("number", "money"):
                errors.append(
                    _("The fee formula uses “%(name)s”, which is not a number or money question.")
                    % {"name": name}
                )
    return errors


def _validate_fee(definition: dict[str, Any], errors: list[str]) -> None:
    fee = definition.get("fee", {"kind": "none"})
    kind = fee.get("kind")
    if kind not in ("none", "fixed", "formula"):
        errors.append(_("The fee must be none, a fixed amount or a formula."))
        return
    if kind != "none" and not re.match(r"^[A-Z]{3}$", str(fee.get("currency", ""))):
        errors.append(_("The fee needs a three-letter currency code, e.g. EUR."))
    if kind == "fixed" and (not isinstance(fee.get("amount"), int) or fee["amount"] < 0):
        errors.append(_("A fixed fee must be a whole, non-negative amount in cents."))
    if kind == "formula":
        try:
            formula_names(str(fee.get("formula", "")))
        except FormulaError as exc:
            errors.append(_("The fee formula is invalid: %(error)s") % {"error": exc})
        bounds = [fee.get("minimum"), fee.get("maximum")]
        if any(bound is not None and (not _is_int(bound) or bound < 0) for bound in bounds):
            errors.append(_("The fee minimum and maximum must be whole, non-negative amounts."))
        elif None not in bounds and bounds[0] > bounds[1]:
            errors.append(_("The fee minimum cannot be more than the maximum."))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _require_languages(value: Any, where: str, errors: list[str]) -> None:
    missing = missing_languages(value)
    if missing:
        errors.append(
            _("Text for %(where)s is missing in: %(languages)s.")
            % {"where": where, "languages": ", ".join(missing)}
        )


def _validate_condition(
    condition: Any, seen: dict[str, dict[str, Any]], where: str, errors: list[str]
) -> None:
    if not condition:
        return
    target = condition.get("question") if isinstance(condition, dict) else None
    if target not in seen:
        errors.append(
            _("The condition on %(where)s must refer to a question asked before it.")
            % {"where": where}
        )
    elif "equals" not in condition and not (
        isinstance(condition.get("in"), list) and condition["in"]
    ):
        errors.append(_("The condition on %(where)s needs a value to compare.") % {"where": where})
    else:
        question = seen[target]
        values = [condition["equals"]] if "equals" in condition else condition["in"]
        qtype = question.get("type")
        if qtype in ("single_choice", "multiple_choice"):
            allowed = {option.get("value") for option in question.get("options") or []}
            fits = all(value in allowed for value in values)
        elif qtype == "yes_no":
            fits = all(isinstance(value, bool) for value in values)
        elif qtype in ("number", "money"):
            fits = all(_is_number(value) for value in values)
        elif qtype == "file":
            fits = False
        else:
            fits = all(isinstance(value, str) for value in values)
        if not fits:
            errors.append(
                _("The condition on %(where)s compares “%(question)s” with a value it cannot have.")
                % {"where": where, "question": target}
            )


def _validate_question(
    question: dict[str, Any],
    seen: dict[str, dict[str, Any]],
    errors: list[str],
    for_publishing: bool,
) -> None:
    qid = question.get("id", "")
    where = _("question %(id)s") % {"id": qid}
    if not _ID.match(qid) or qid in seen:
        errors.append(_("Question id “%(id)s” is invalid or used twice.") % {"id": qid})
    qtype = question.get("type")
    if qtype not in QUESTION_TYPES:
        errors.append(_("Question “%(id)s” has an unknown type.") % {"id": qid})
        return
    if for_publishing:
        _require_languages(question.get("label"), where, errors)
        help_text = question.get("help")
        if isinstance(help_text, dict) and any(str(v).strip() for v in help_text.values()):
            _require_languages(help_text, _("the help for question %(id)s") % {"id": qid}, errors)
    _validate_condition(question.get("condition"), seen, where, errors)
    if qtype in ("single_choice", "multiple_choice"):
        options = question.get("options") or []
        values = [option.get("value") for option in options]
        if len(options) < 2 or len(set(values)) != len(values) or not all(values):
            errors.append(
                _("Question “%(id)s” needs at least two options with distinct values.")
                % {"id": qid}
            )
        if for_publishing:
            for option in options:
                _require_languages(option.get("label"), where, errors)
    if qtype == "file":
        upload = question.get("upload") or {}
        types = upload.get("types") or []
        if not types or any(t not in UPLOAD_TYPES for t in types):
            errors.append(_("Question “%(id)s” must allow known file types.") % {"id": qid})
        size = upload.get("max_size")
        if not isinstance(size, int) or not 0 < size <= MAX_UPLOAD_SIZE:
            errors.append(
                _("Question “%(id)s” needs a maximum file size up to 20 MB.") % {"id": qid}
            )
        if not isinstance(upload.get("max_files", 1), int) or upload.get("max_files", 1) < 1:
            errors.append(_("Question “%(id)s” must allow at least one file.") % {"id": qid})
    if question.get("prefill") and question["prefill"] not in PREFILL_SOURCES:
        errors.append(_("Question “%(id)s” has an unknown pre-fill source.") % {"id": qid})
    _validate_rules(question, qid, qtype, errors)


def _validate_rules(question: dict[str, Any], qid: str, qtype: str, errors: list[str]) -> None:
    rules = question.get("validation") or {}
    if not isinstance(rules, dict):
        errors.append(_("Question “%(id)s” has invalid validation rules.") % {"id": qid})
        return
    for rule in rules:
        if rule not in VALIDATION_RULES.get(qtype, ()):
            errors.append(
                _("Question “%(id)s” cannot have the rule “%(rule)s”.") % {"id": qid, "rule": rule}
            )

    def pair(low: str, high: str, valid: Any, message: str) -> None:
        low_value, high_value = rules.get(low), rules.get(high)
        if any(value is not None and not valid(value) for value in (low_value, high_value)):
            errors.append(message % {"id": qid})
        elif low_value is not None and high_value is not None and low_value > high_value:
            errors.append(
                _("Question “%(id)s”: the minimum cannot be more than the maximum.") % {"id": qid}
            )

    pair("min", "max", _is_number, _("Question “%(id)s”: the minimum and maximum must be numbers."))
    if "integer" in rules and not isinstance(rules["integer"], bool):
        errors.append(_("Question “%(id)s”: “whole numbers only” must be yes or no.") % {"id": qid})
    pair(
        "min_length",
        "max_length",
        lambda value: _is_int(value) and value >= 0,
        _("Question “%(id)s”: lengths must be whole numbers of characters."),
    )
    pattern = rules.get("pattern")
    if pattern is not None:
        try:
            re.compile(str(pattern))
        except re.error:
            errors.append(_("Question “%(id)s” has an invalid pattern.") % {"id": qid})
    earliest, latest = rules.get("min_date"), rules.get("max_date")
    if any(value is not None and _parse_date_rule(value) is None for value in (earliest, latest)):
        errors.append(
            _("Question “%(id)s”: date limits must be “today” or a date like 2026-01-31.")
            % {"id": qid}
        )
    elif (
        isinstance(first := _parse_date_rule(earliest), datetime.date)
        and isinstance(last := _parse_date_rule(latest), datetime.date)
        and first > last
    ):
        errors.append(
            _("Question “%(id)s”: the earliest date cannot be after the latest.") % {"id": qid}
        )
    options = len(question.get("options") or [])
    pair(
        "min_choices",
        "max_choices",
        lambda value: _is_int(value) and 0 <= value <= options,
        _("Question “%(id)s”: the number of choices must be between 0 and the number of options."),
    )


def _parse_date_rule(value: Any) -> datetime.date | str | None:
    """A date rule is "today" or an ISO date; anything else is invalid (None)."""
    if value == "today":
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        return None
