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
Money answers are integers in minor units. A condition may only refer to a question asked
before it (on an earlier page, or earlier on the same page).
"""

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


def validate_definition(definition: dict[str, Any], *, for_publishing: bool = False) -> list[str]:
    """Every problem with a definition, in plain language. Publishing also requires every
    resident-facing text in every language."""
    errors: list[str] = []
    _validate_fee(definition, errors)
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
    if not pages:
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
        if not page.get("questions"):
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
    elif "equals" not in condition and not isinstance(condition.get("in"), list):
        errors.append(_("The condition on %(where)s needs a value to compare.") % {"where": where})


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
    pattern = (question.get("validation") or {}).get("pattern")
    if pattern:
        try:
            re.compile(pattern)
        except re.error:
            errors.append(_("Question “%(id)s” has an invalid pattern.") % {"id": qid})
