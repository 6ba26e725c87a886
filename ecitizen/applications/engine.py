"""The form engine: one page of a service definition as a Django form, answers as JSON.

A definition (see ``ecitizen.catalogue.schema``) has pages of questions. This module decides
which pages and questions are asked (conditions, once-only pre-fill from the profile), builds
the form for one page with each question's validation rules and translated errors, and turns
what was entered into JSON answers:

========================  ==========================================================
question type             answer
========================  ==========================================================
text, long_text, email,   ``str``
phone
number                    ``int`` (or ``float`` when decimals are allowed)
money                     ``int`` in minor units (cents)
date                      ISO ``"YYYY-MM-DD"``
yes_no                    ``bool``
single_choice             the option's ``value``
multiple_choice           ``list`` of option values, in the definition's order
address                   ``{"line1", "line2", "town", "postcode", "area"}`` (district code)
file                      ``list`` of ``Document`` ids
========================  ==========================================================

An unanswered question has no key. Pre-filled answers (``prefill``) are not stored while the
draft is open: they are read from the profile, so a profile change shows up, and frozen into
the answers at submission. An answer stored for a pre-filled question is the resident's
override for this application.
"""

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.template.defaultfilters import filesizeformat
from django.utils import formats, timezone
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext

from ecitizen.applications import uploads
from ecitizen.catalogue.schema import condition_met, iter_questions
from ecitizen.core.forms import UswdsFormMixin
from ecitizen.core.i18n import tr
from ecitizen.core.money import format_money as core_format_money

Answers = dict[str, Any]
ADDRESS_PARTS = ("line1", "line2", "town", "postcode", "area")
ADDRESS_REQUIRED = {
    "line1": _lazy("Enter the first line of the address for “%(label)s”."),
    "town": _lazy("Enter the town or city for “%(label)s”."),
    "area": _lazy("Select the district for “%(label)s”."),
}
DEFAULT_MAX_LENGTH = {"text": 200, "long_text": 5000}
_PHONE = re.compile(r"^\+?[0-9 ()-]{7,20}$")
_MONEY = re.compile(r"(?P<units>[0-9]{1,3}(?:[.,][0-9]{3})+|[0-9]+)(?:[.,](?P<cents>[0-9]{1,2}))?")
_NUMBER = re.compile(r"^-?[0-9]+(?:[.,][0-9]+)?$")


# --- Which pages and questions are asked -------------------------------------------------


def pages(definition: dict[str, Any]) -> list[dict[str, Any]]:
    return list(definition.get("form", {}).get("pages", []))


def page_by_id(definition: dict[str, Any], page_id: str) -> dict[str, Any] | None:
    return next((page for page in pages(definition) if page.get("id") == page_id), None)


def question_map(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {question["id"]: question for _, question in iter_questions(definition)}


def prefill_value(question: dict[str, Any], prefill: dict[str, Any]) -> Any:
    """What the profile holds for this question, or None if it is not pre-filled."""
    source = question.get("prefill")
    if not source:
        return None
    value = prefill.get(source)
    if value in (None, "", {}):
        return None
    if question.get("type") == "address" and not (
        isinstance(value, dict) and all(value.get(part) for part in ("line1", "town", "area"))
    ):
        return None
    return value


def effective_answers(
    definition: dict[str, Any], answers: Answers, prefill: dict[str, Any]
) -> Answers:
    """Stored answers plus what the profile fills in for questions not answered explicitly."""
    merged = dict(answers)
    for _page, question in iter_questions(definition):
        if question["id"] not in merged:
            value = prefill_value(question, prefill)
            if value is not None:
                merged[question["id"]] = value
    return merged


def is_answered(value: Any) -> bool:
    return value not in (None, "", [], {})


def visible_pages(definition: dict[str, Any], answers: Answers) -> list[dict[str, Any]]:
    return [page for page in pages(definition) if condition_met(page.get("condition"), answers)]


def visible_questions(page: dict[str, Any], answers: Answers) -> list[dict[str, Any]]:
    return [
        question
        for question in page.get("questions", [])
        if condition_met(question.get("condition"), answers)
    ]


def questions_to_ask(
    page: dict[str, Any],
    answers: Answers,
    prefill: dict[str, Any],
    *,
    include_prefilled: bool = False,
) -> list[dict[str, Any]]:
    """The questions shown on a page, given the (effective) answers so far.

    A question whose condition depends on an earlier question of the same page is always
    shown: its condition is checked when the page is sent, so the page works without
    JavaScript. Questions the profile answers are skipped (once-only) unless
    ``include_prefilled`` (the resident chose "Change" on check-your-answers)."""
    on_page: set[str] = set()
    asked = []
    for question in page.get("questions", []):
        condition = question.get("condition")
        depends_on_page = bool(condition) and condition.get("question") in on_page
        if not depends_on_page and not condition_met(condition, answers):
            continue
        if not include_prefilled and prefill_value(question, prefill) is not None:
            continue
        asked.append(question)
        on_page.add(question["id"])
    return asked


def page_is_asked(page: dict[str, Any], answers: Answers, prefill: dict[str, Any]) -> bool:
    return condition_met(page.get("condition"), answers) and bool(
        questions_to_ask(page, answers, prefill)
    )


def next_page_id(
    definition: dict[str, Any], answers: Answers, prefill: dict[str, Any], *, after: str | None
) -> str | None:
    """The next page to ask after ``after`` (the first page if None), or None: check answers."""
    merged = effective_answers(definition, answers, prefill)
    ids = [page["id"] for page in pages(definition)]
    start = ids.index(after) + 1 if after in ids else 0
    for page in pages(definition)[start:]:
        if page_is_asked(page, merged, prefill):
            return str(page["id"])
    return None


def previous_page_id(
    definition: dict[str, Any], answers: Answers, prefill: dict[str, Any], *, before: str
) -> str | None:
    merged = effective_answers(definition, answers, prefill)
    previous = None
    for page in pages(definition):
        if page["id"] == before:
            return previous
        if page_is_asked(page, merged, prefill):
            previous = str(page["id"])
    return previous


def missing_answers(
    definition: dict[str, Any], answers: Answers, prefill: dict[str, Any]
) -> list[tuple[str, str]]:
    """(page id, question id) of every required question shown but not answered, in order."""
    merged = effective_answers(definition, answers, prefill)
    missing = []
    for page in visible_pages(definition, merged):
        for question in visible_questions(page, merged):
            if question.get("required") and not is_answered(merged.get(question["id"])):
                missing.append((str(page["id"]), str(question["id"])))
    return missing


def first_incomplete_page_id(
    definition: dict[str, Any], answers: Answers, prefill: dict[str, Any]
) -> str | None:
    missing = missing_answers(definition, answers, prefill)
    return missing[0][0] if missing else None


def prune_answers(definition: dict[str, Any], answers: Answers, prefill: dict[str, Any]) -> Answers:
    """Drop answers to questions no longer shown (an earlier answer changed) and to questions
    the definition does not have (never store what was not asked)."""
    kept: Answers = {}
    merged = effective_answers(definition, {}, prefill)
    for page in pages(definition):
        page_shown = condition_met(page.get("condition"), merged)
        for question in page.get("questions", []):
            qid = question["id"]
            shown = page_shown and condition_met(question.get("condition"), merged)
            if not shown:
                merged.pop(qid, None)
                continue
            if qid in answers:
                kept[qid] = answers[qid]
                merged[qid] = answers[qid]
    return kept


def frozen_answers(
    definition: dict[str, Any], answers: Answers, prefill: dict[str, Any]
) -> Answers:
    """The answers as submitted: pre-filled values copied in, hidden answers removed."""
    return prune_answers(definition, effective_answers(definition, answers, prefill), prefill)


# --- Showing answers -----------------------------------------------------------------------


def format_money(amount: int, currency: str = "EUR") -> str:
    """Minor units as an amount in the active language, e.g. ``€1,250.00`` (one format for
    the whole platform: ``ecitizen.core.money``)."""
    return core_format_money(amount, currency)


def display_value(
    question: dict[str, Any],
    value: Any,
    *,
    districts: dict[str, str] | None = None,
    documents: dict[int, str] | None = None,
    currency: str = "EUR",
) -> list[str]:
    """An answer as lines of plain text for the resident (in the active language)."""
    if not is_answered(value):
        return []
    qtype = question.get("type")
    options = {option["value"]: tr(option.get("label")) for option in question.get("options", [])}
    if qtype == "yes_no":
        return [_("Yes") if value else _("No")]
    if qtype == "money":
        return [format_money(int(value), currency)]
    if qtype == "number":
        return [formats.number_format(value, use_l10n=True, force_grouping=True)]
    if qtype == "date":
        try:
            day = datetime.date.fromisoformat(value)
        except (TypeError, ValueError):
            return [str(value)]
        return [formats.date_format(day, "DATE_FORMAT")]
    if qtype == "single_choice":
        return [options.get(value, str(value))]
    if qtype == "multiple_choice":
        return [options.get(item, str(item)) for item in value]
    if qtype == "address":
        lines = [value.get(part, "") for part in ("line1", "line2", "town", "postcode")]
        area = value.get("area")
        if area:
            lines.append((districts or {}).get(area, area))
        return [line for line in lines if line]
    if qtype == "file":
        return [(documents or {}).get(doc_id, _("(file removed)")) for doc_id in value]
    return [str(value)]


@dataclass
class AnswerRow:
    question_id: str
    label: str
    lines: list[str]
    from_profile: bool


@dataclass
class AnswerSection:
    page_id: str
    title: str
    rows: list[AnswerRow] = field(default_factory=list)
    change_url: str = ""


def answer_sections(
    definition: dict[str, Any],
    answers: Answers,
    prefill: dict[str, Any],
    *,
    districts: dict[str, str],
    documents: dict[int, str],
    currency: str,
) -> list[AnswerSection]:
    """Check-your-answers: every question shown, by page, with where its answer came from."""
    merged = effective_answers(definition, answers, prefill)
    sections = []
    for page in visible_pages(definition, merged):
        section = AnswerSection(page_id=str(page["id"]), title=tr(page.get("title")))
        for question in visible_questions(page, merged):
            qid = question["id"]
            section.rows.append(
                AnswerRow(
                    question_id=qid,
                    label=tr(question.get("label")),
                    lines=display_value(
                        question,
                        merged.get(qid),
                        districts=districts,
                        documents=documents,
                        currency=currency,
                    ),
                    from_profile=qid not in answers
                    and prefill_value(question, prefill) is not None,
                )
            )
        if section.rows:
            sections.append(section)
    return sections


# --- Fields --------------------------------------------------------------------------------


def _label(question: dict[str, Any]) -> str:
    return tr(question.get("label")) or str(question["id"])


def _hint(question: dict[str, Any]) -> str:
    # Field templates render help text as HTML: staff-written text is escaped here.
    return escape(tr(question.get("help"))) if question.get("help") else ""


class MultipleFileInput(forms.FileInput):
    def __init__(self, attrs: dict[str, Any] | None = None, *, multiple: bool = False) -> None:
        self.allow_multiple_selected = multiple
        attrs = {**(attrs or {}), "class": "ec-file-input"}
        if multiple:
            attrs["multiple"] = True
        super().__init__(attrs)


class UploadField(forms.FileField):
    """Zero or more files, each checked by its bytes (``uploads.validate_upload``)."""

    def __init__(self, *, types: list[str], max_size: int, multiple: bool, **kwargs: Any) -> None:
        self.types, self.max_size = types, max_size
        kwargs["widget"] = MultipleFileInput(attrs={"accept": ",".join(types)}, multiple=multiple)
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[uploads.ValidatedUpload]:
        files = list(data) if isinstance(data, list | tuple) else ([data] if data else [])
        checked, errors = [], []
        for upload in files:
            try:
                checked.append(
                    uploads.validate_upload(
                        upload, allowed_types=self.types, max_size=self.max_size
                    )
                )
            except ValidationError as exc:
                errors.extend(exc.messages)
        if errors:
            raise ValidationError(errors)
        return checked


class TextAnswerField(forms.CharField):
    def __init__(self, *, rules: dict[str, Any], qlabel: str, long: bool, **kwargs: Any) -> None:
        max_length = int(
            rules.get("max_length") or DEFAULT_MAX_LENGTH["long_text" if long else "text"]
        )
        min_length = rules.get("min_length")
        self.pattern = rules.get("pattern")
        self.qlabel = qlabel
        kwargs["widget"] = forms.Textarea(attrs={"rows": 5}) if long else forms.TextInput()
        kwargs["error_messages"] = {
            **kwargs.get("error_messages", {}),
            "max_length": _("“%(label)s” must be %(max)s characters or fewer.")
            % {"label": qlabel, "max": max_length},
            "min_length": _("“%(label)s” must be %(min)s characters or more.")
            % {"label": qlabel, "min": min_length},
        }
        super().__init__(max_length=max_length, min_length=min_length, **kwargs)

    def clean(self, value: Any) -> str:
        text = str(super().clean(value) or "")
        if text and self.pattern and not re.fullmatch(self.pattern, text):
            raise ValidationError(
                _("“%(label)s” is not in the right format.") % {"label": self.qlabel},
                code="pattern",
            )
        return text


def _check_range(value: Any, rules: dict[str, Any], label: str, show: Any) -> None:
    if rules.get("min") is not None and value < rules["min"]:
        raise ValidationError(
            _("“%(label)s” must be %(min)s or more.") % {"label": label, "min": show(rules["min"])},
            code="min",
        )
    if rules.get("max") is not None and value > rules["max"]:
        raise ValidationError(
            _("“%(label)s” must be %(max)s or less.") % {"label": label, "max": show(rules["max"])},
            code="max",
        )


def parse_number(text: str) -> Decimal | None:
    """``12``, ``-3.5`` or ``3,5`` (a comma is a decimal separator in French and Spanish)."""
    text = text.strip().replace("\u00a0", "").replace(" ", "")
    if not _NUMBER.match(text):
        return None
    return Decimal(text.replace(",", "."))


class NumberField(forms.CharField):
    def __init__(self, *, rules: dict[str, Any], qlabel: str, **kwargs: Any) -> None:
        self.rules, self.qlabel = rules, qlabel
        kwargs["widget"] = forms.TextInput(attrs={"inputmode": "decimal"})
        super().__init__(max_length=40, **kwargs)

    def clean(self, value: Any) -> int | float | None:
        text = super().clean(value)
        if not text:
            return None
        number = parse_number(text)
        if number is None:
            raise ValidationError(
                _("“%(label)s” must be a number.") % {"label": self.qlabel}, code="invalid"
            )
        if self.rules.get("integer") and number != number.to_integral_value():
            raise ValidationError(
                _("“%(label)s” must be a whole number.") % {"label": self.qlabel}, code="integer"
            )
        _check_range(number, self.rules, self.qlabel, formats.number_format)
        if number == number.to_integral_value():
            return int(number)
        return float(number)


def parse_money(text: str, currency: str = "EUR") -> int | None:
    """An amount typed in major units (``1,234.50``, ``1 234,50``, ``12``) in minor units."""
    text = text.replace("\u00a0", "").replace(" ", "").replace("€", "").replace("$", "")
    text = text.upper().removeprefix(currency).removesuffix(currency)
    match = _MONEY.fullmatch(text)
    if not match:
        return None
    units = int(re.sub(r"[.,]", "", match.group("units")))
    cents = int((match.group("cents") or "0").ljust(2, "0"))
    return units * 100 + cents


class MoneyField(forms.CharField):
    """An amount in major units on screen; the answer is an integer in minor units."""

    def __init__(self, *, rules: dict[str, Any], qlabel: str, currency: str, **kwargs: Any) -> None:
        self.rules, self.qlabel, self.currency = rules, qlabel, currency
        kwargs["widget"] = forms.TextInput(attrs={"inputmode": "decimal"})
        super().__init__(max_length=40, **kwargs)

    def clean(self, value: Any) -> int | None:
        text = super().clean(value)
        if not text:
            return None
        cents = parse_money(text, self.currency)
        if cents is None:
            raise ValidationError(
                _("Enter “%(label)s” as an amount, like 125.50.") % {"label": self.qlabel},
                code="invalid",
            )
        if self.rules.get("integer") and cents % 100:
            raise ValidationError(
                _("“%(label)s” must be a whole amount, without cents.") % {"label": self.qlabel},
                code="integer",
            )
        _check_range(cents, self.rules, self.qlabel, lambda v: format_money(int(v), self.currency))
        return cents


def resolve_date(value: Any) -> datetime.date | None:
    """A ``min_date`` / ``max_date`` rule: ``"today"`` or an ISO date."""
    if not value:
        return None
    if value == "today":
        return timezone.localdate()
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        return None


class IsoDateField(forms.DateField):
    input_formats = ["%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y"]

    def __init__(self, *, rules: dict[str, Any], qlabel: str, **kwargs: Any) -> None:
        self.rules, self.qlabel = rules, qlabel
        kwargs["widget"] = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        kwargs["error_messages"] = {
            **kwargs.get("error_messages", {}),
            "invalid": _("“%(label)s” must be a real date, like 2026-03-27.") % {"label": qlabel},
        }
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str | None:  # type: ignore[override]
        day = super().clean(value)
        if day is None:
            return None
        earliest = resolve_date(self.rules.get("min_date"))
        latest = resolve_date(self.rules.get("max_date"))
        if earliest and day < earliest:
            raise ValidationError(
                _("“%(label)s” must be on or after %(date)s.")
                % {"label": self.qlabel, "date": formats.date_format(earliest, "DATE_FORMAT")},
                code="min_date",
            )
        if latest and day > latest:
            raise ValidationError(
                _("“%(label)s” must be on or before %(date)s.")
                % {"label": self.qlabel, "date": formats.date_format(latest, "DATE_FORMAT")},
                code="max_date",
            )
        return day.isoformat()


class PhoneField(forms.CharField):
    def clean(self, value: Any) -> str:
        text = " ".join(str(super().clean(value) or "").split())
        if text and (not _PHONE.match(text) or sum(c.isdigit() for c in text) < 7):
            raise ValidationError(
                _("Enter a phone number, like 01632 960 001 or +33 6 12 34 56 78."), code="format"
            )
        return text


class EmailAnswerField(forms.CharField):
    def clean(self, value: Any) -> str:
        text = str(super().clean(value) or "").strip()
        if text:
            try:
                validate_email(text)
            except ValidationError:
                raise ValidationError(
                    _("Enter an email address in the right format, like name@example.com."),
                    code="invalid",
                ) from None
        return text


def _required_message(question: dict[str, Any], label: str) -> str:
    qtype = question["type"]
    if qtype in ("single_choice", "yes_no"):
        return _("Select an answer for “%(label)s”.") % {"label": label}
    if qtype == "multiple_choice":
        return _("Select at least one option for “%(label)s”.") % {"label": label}
    if qtype == "file":
        return _("Upload a file for “%(label)s”.") % {"label": label}
    return _("Enter an answer for “%(label)s”.") % {"label": label}


def _question_fields(
    question: dict[str, Any],
    *,
    districts: list[tuple[str, str]],
    existing_documents: list[Any],
    currency: str,
) -> dict[str, forms.Field]:
    """The form fields for one question. ``required`` follows the question (it is shown to
    the resident); ``PageForm`` defers the check to ``clean`` where it depends on the page."""
    qid, qtype = question["id"], question["type"]
    label = _label(question)
    rules = question.get("validation") or {}
    required = bool(question.get("required"))
    common: dict[str, Any] = {
        "label": label,
        "required": required,
        "help_text": _hint(question),
        "error_messages": {"required": _required_message(question, label)},
    }
    invalid_choice = _("Select one of the options for “%(label)s”.") % {"label": label}
    choice_common = {
        **common,
        "error_messages": {**common["error_messages"], "invalid_choice": invalid_choice},
    }
    choices = [(option["value"], tr(option.get("label"))) for option in question.get("options", [])]
    match qtype:
        case "text" | "long_text":
            return {
                qid: TextAnswerField(rules=rules, qlabel=label, long=qtype == "long_text", **common)
            }
        case "number":
            return {qid: NumberField(rules=rules, qlabel=label, **common)}
        case "money":
            common["help_text"] = common["help_text"] or escape(
                _("In %(currency)s, for example 125.50.") % {"currency": currency}
            )
            return {qid: MoneyField(rules=rules, qlabel=label, currency=currency, **common)}
        case "date":
            common["help_text"] = common["help_text"] or escape(_("For example, 2026-03-27."))
            return {qid: IsoDateField(rules=rules, qlabel=label, **common)}
        case "email":
            email = forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"})
            return {qid: EmailAnswerField(widget=email, max_length=254, **common)}
        case "phone":
            phone = forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"})
            return {qid: PhoneField(widget=phone, max_length=32, **common)}
        case "yes_no":
            return {
                qid: forms.ChoiceField(
                    choices=[("yes", _("Yes")), ("no", _("No"))],
                    widget=forms.RadioSelect,
                    **choice_common,
                )
            }
        case "single_choice":
            widget: forms.Widget
            if len(choices) > 8:
                widget = forms.Select()
                choices = [("", _("Choose an option")), *choices]
            else:
                widget = forms.RadioSelect()
            return {
                qid: forms.ChoiceField(
                    choices=choices,
                    widget=widget,
                    **choice_common,
                )
            }
        case "multiple_choice":
            choice_common["help_text"] = common["help_text"] or escape(_("Select all that apply."))
            return {
                qid: forms.MultipleChoiceField(
                    choices=choices,
                    widget=forms.CheckboxSelectMultiple,
                    **choice_common,
                )
            }
        case "address":
            messages = {
                part: {"required": message % {"label": label}}
                for part, message in ADDRESS_REQUIRED.items()
            }
            return {
                f"{qid}-line1": forms.CharField(
                    label=_("Address line 1"),
                    max_length=200,
                    required=required,
                    help_text=common["help_text"],
                    error_messages=messages["line1"],
                    widget=forms.TextInput(attrs={"autocomplete": "address-line1"}),
                ),
                f"{qid}-line2": forms.CharField(
                    label=_("Address line 2"),
                    max_length=200,
                    required=False,
                    widget=forms.TextInput(attrs={"autocomplete": "address-line2"}),
                ),
                f"{qid}-town": forms.CharField(
                    label=_("Town or city"),
                    max_length=100,
                    required=required,
                    error_messages=messages["town"],
                    widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
                ),
                f"{qid}-postcode": forms.CharField(
                    label=_("Postcode"),
                    max_length=20,
                    required=False,
                    widget=forms.TextInput(attrs={"autocomplete": "postal-code"}),
                ),
                f"{qid}-area": forms.ChoiceField(
                    label=_("District"),
                    required=required,
                    choices=[("", _("Choose a district")), *districts],
                    error_messages={
                        **messages["area"],
                        "invalid_choice": _("Select one of the districts."),
                    },
                ),
            }
        case "file":
            upload = question.get("upload") or {}
            types = list(upload.get("types") or uploads.DEFAULT_TYPES)
            max_size = int(upload.get("max_size") or uploads.DEFAULT_MAX_SIZE)
            max_files = int(upload.get("max_files", 1))
            rule = ngettext(
                "%(types)s, up to %(size)s. You can upload %(max)s file.",
                "%(types)s, up to %(size)s each. You can upload up to %(max)s files.",
                max_files,
            ) % {
                "types": uploads.describe_types(types),
                "size": filesizeformat(max_size),
                "max": max_files,
            }
            common["help_text"] = " ".join(p for p in (common["help_text"], escape(rule)) if p)
            fields: dict[str, forms.Field] = {
                qid: UploadField(types=types, max_size=max_size, multiple=max_files > 1, **common)
            }
            if existing_documents:
                fields[f"{qid}-remove"] = forms.MultipleChoiceField(
                    label=_("Remove a file you uploaded"),
                    required=False,
                    choices=[(str(doc.id), doc.original_name) for doc in existing_documents],
                    widget=forms.CheckboxSelectMultiple,
                    error_messages={"invalid_choice": _("Select one of the files you uploaded.")},
                )
            return fields
    raise ValueError(f"Unknown question type {qtype!r}")


def condition_hint(condition: dict[str, Any], questions: dict[str, dict[str, Any]]) -> str:
    """“Only if you answered “Yes” to “Is there a garage?”.” for a question whose condition
    depends on an answer on the same page."""
    target = questions.get(condition.get("question", ""), {})
    values = [condition["equals"]] if "equals" in condition else list(condition.get("in", []))
    shown = [
        " ".join(display_value(target, [v] if target.get("type") == "multiple_choice" else v))
        for v in values
    ]
    quoted = [f"“{value}”" for value in shown]
    answers: str
    answers = (
        quoted[0]
        if len(quoted) == 1
        else _("%(first)s or %(last)s")
        % {
            "first": ", ".join(quoted[:-1]),
            "last": quoted[-1],
        }
    )
    return _("Only if you answered %(answers)s to “%(question)s”.") % {
        "answers": answers,
        "question": _label(target) if target else "",
    }


def _initial(question: dict[str, Any], value: Any) -> dict[str, Any]:
    qid, qtype = question["id"], question["type"]
    if value is None or qtype == "file":
        return {}
    if qtype == "address" and isinstance(value, dict):
        return {f"{qid}-{part}": value.get(part, "") for part in ADDRESS_PARTS}
    if qtype == "yes_no":
        return {qid: "yes" if value else "no"}
    if qtype == "money" and isinstance(value, int):
        return {qid: f"{Decimal(value) / 100:.2f}"}
    return {qid: value}


# --- The page form ---------------------------------------------------------------------------


@dataclass
class QuestionGroup:
    """A question as rendered: its fields (an address has five; a file question may have a
    second field to remove files already uploaded)."""

    question: dict[str, Any]
    names: list[str]
    legend: str
    existing: list[Any] = field(default_factory=list)

    @property
    def is_address(self) -> bool:
        return bool(self.question["type"] == "address")


class _Marker:
    pass


_INVALID = _Marker()  # the question's fields did not validate
_NEW_FILE = _Marker()  # a file uploaded with this submission (stored by the service)


class PageForm(UswdsFormMixin, forms.Form):
    """Built by ``build_page_form``. After ``is_valid()``: ``answers()``, ``new_uploads()``
    and ``removed_documents()``; ``partial_answers()`` keeps what is valid on a page the
    resident leaves half done."""

    groups: list[QuestionGroup]
    known: Answers  # effective answers to questions not on this page (for conditions)
    dynamic: set[str]  # questions whose condition depends on this page
    hidden: set[str]  # dynamic questions not shown after all, given what was sent

    @property
    def _errors_dict(self) -> Any:
        return self._errors  # type: ignore[attr-defined]  # set by full_clean

    def full_clean(self) -> None:
        # Whether a question shown on this page must be answered can depend on another answer
        # on the same page, and a file question may already have files: check it in clean().
        deferred = [
            name
            for group in self.groups
            if group.question["id"] in self.dynamic or group.question["type"] == "file"
            for name in group.names
        ]
        required = {name: self.fields[name].required for name in deferred}
        for name in deferred:
            self.fields[name].required = False
        try:
            super().full_clean()
        finally:
            for name, value in required.items():
                self.fields[name].required = value

    def question_groups(self) -> list[tuple[QuestionGroup, list[forms.BoundField]]]:
        return [(group, [self[name] for name in group.names]) for group in self.groups]

    def _value(self, group: QuestionGroup) -> Any:
        """The answer a group's fields give, or _INVALID."""
        data = getattr(self, "cleaned_data", {})
        if any(name in self._errors_dict or name not in data for name in group.names):
            return _INVALID
        question = group.question
        qid = question["id"]
        match question["type"]:
            case "address":
                parts = {part: data[f"{qid}-{part}"] or "" for part in ADDRESS_PARTS}
                return parts if any(parts.values()) else None
            case "file":
                removed = {int(doc_id) for doc_id in data.get(f"{qid}-remove", [])}
                kept = [doc.id for doc in group.existing if doc.id not in removed]
                return kept + [_NEW_FILE] * len(data[qid])
            case "yes_no":
                return {"yes": True, "no": False}.get(data[qid])
            case "multiple_choice":
                order = [option["value"] for option in question.get("options", [])]
                return [item for item in order if item in data[qid]] or None
        value = data[qid]
        return value if value not in ("", None) else None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self.hidden = set()
        values = dict(self.known)
        for group in self.groups:
            value = self._value(group)
            if value is not _INVALID:
                values[group.question["id"]] = value
        for group in self.groups:
            question, label = group.question, group.legend
            qid = question["id"]
            if qid in self.dynamic and not condition_met(question.get("condition"), values):
                # Not shown after all (an answer above on this page rules it out).
                self.hidden.add(qid)
                values.pop(qid, None)
                for name in group.names:
                    self._errors_dict.pop(name, None)
                continue
            value = values.get(qid, _INVALID)
            if value is _INVALID:
                continue
            if question["type"] == "address":
                self._check_address(question, value, label)
            elif question.get("required") and not is_answered(value):
                self.add_error(group.names[0], _required_message(question, label))
            elif question["type"] == "multiple_choice" and value:
                self._check_choices(question, value, label)
            elif question["type"] == "file" and value:
                max_files = int((question.get("upload") or {}).get("max_files", 1))
                if len(value) > max_files:
                    message = ngettext(
                        "You can upload %(max)s file for “%(label)s”.",
                        "You can upload up to %(max)s files for “%(label)s”.",
                        max_files,
                    )
                    self.add_error(qid, message % {"max": max_files, "label": label})
        return cleaned

    def _check_address(self, question: dict[str, Any], value: Any, label: str) -> None:
        if not value and not question.get("required"):
            return
        value = value or {}
        for part, message in ADDRESS_REQUIRED.items():
            name = f"{question['id']}-{part}"
            if not value.get(part) and name not in self._errors_dict:
                self.add_error(name, str(message) % {"label": label})

    def _check_choices(self, question: dict[str, Any], value: list[str], label: str) -> None:
        rules = question.get("validation") or {}
        low, high = rules.get("min_choices"), rules.get("max_choices")
        if low and len(value) < low:
            message = ngettext(
                "Select at least %(min)s option for “%(label)s”.",
                "Select at least %(min)s options for “%(label)s”.",
                low,
            )
            self.add_error(question["id"], message % {"min": low, "label": label})
        elif high and len(value) > high:
            message = ngettext(
                "Select no more than %(max)s option for “%(label)s”.",
                "Select no more than %(max)s options for “%(label)s”.",
                high,
            )
            self.add_error(question["id"], message % {"max": high, "label": label})

    def _collect(self) -> Answers:
        result: Answers = {}
        for group in self.groups:
            qid = group.question["id"]
            if qid in getattr(self, "hidden", set()):
                result[qid] = None
                continue
            value = self._value(group)
            if value is _INVALID:
                continue
            if group.question["type"] == "file":
                value = [doc_id for doc_id in value if doc_id is not _NEW_FILE] or None
            result[qid] = value if is_answered(value) else None
        return result

    def answers(self) -> Answers:
        """This page's answers after a valid submission, ``None`` meaning "no answer". A file
        question lists the documents kept; new files come from ``new_uploads()``."""
        if not self.is_valid():
            raise ValueError("The form is not valid.")
        return self._collect()

    def partial_answers(self) -> Answers:
        """The answers that are valid on a page that is not (the resident is leaving)."""
        self.is_valid()
        return self._collect()

    def new_uploads(self) -> dict[str, list[uploads.ValidatedUpload]]:
        data = getattr(self, "cleaned_data", {})
        found = {}
        for group in self.groups:
            qid = group.question["id"]
            is_file = group.question["type"] == "file"
            if (
                is_file
                and qid not in self.hidden
                and qid not in self._errors_dict
                and data.get(qid)
            ):
                found[qid] = list(data[qid])
        return found

    def removed_documents(self) -> list[int]:
        data = getattr(self, "cleaned_data", {})
        removed: list[int] = []
        for group in self.groups:
            qid = group.question["id"]
            if group.question["type"] == "file" and f"{qid}-remove" not in self._errors_dict:
                removed.extend(int(doc_id) for doc_id in data.get(f"{qid}-remove") or [])
        return removed


def build_page_form(
    definition: dict[str, Any],
    page: dict[str, Any],
    *,
    answers: Answers,
    prefill: dict[str, Any],
    include_prefilled: bool = False,
    documents: Iterable[Any] = (),
    districts: list[tuple[str, str]] | None = None,
    data: Any = None,
    files: Any = None,
) -> PageForm:
    """The form for one page: only the questions it asks, filled with the answers so far.
    Anything posted for other questions is ignored (never stored); a choice that is not one
    of the options is refused."""
    merged = effective_answers(definition, answers, prefill)
    asked = questions_to_ask(page, merged, prefill, include_prefilled=include_prefilled)
    currency = (definition.get("fee") or {}).get("currency") or "EUR"
    documents = list(documents)
    fields: dict[str, forms.Field] = {}
    groups: list[QuestionGroup] = []
    initial: dict[str, Any] = {}
    on_page: set[str] = set()
    dynamic: set[str] = set()
    for question in asked:
        qid = question["id"]
        condition = question.get("condition")
        if condition and condition.get("question") in on_page:
            dynamic.add(qid)
        on_page.add(qid)
        existing = []
        if question["type"] == "file":
            kept = set(merged.get(qid) or [])
            existing = [doc for doc in documents if doc.question_id == qid and doc.id in kept]
        question_fields = _question_fields(
            question, districts=districts or [], existing_documents=existing, currency=currency
        )
        if condition and qid in dynamic:  # shown without JavaScript: say when to answer it
            first = next(iter(question_fields.values()))
            hint = condition_hint(condition, question_map(definition))
            first.help_text = " ".join(p for p in (escape(hint), str(first.help_text)) if p)
        fields.update(question_fields)
        groups.append(QuestionGroup(question, list(question_fields), _label(question), existing))
        initial.update(_initial(question, merged.get(qid)))
    form_class = type("PageForm", (PageForm,), fields)
    form = form_class(data=data, files=files, initial=initial)
    form.groups = groups
    form.known = {qid: value for qid, value in merged.items() if qid not in on_page}
    form.dynamic = dynamic
    form.hidden = set()
    for group in groups:  # USWDS styles file inputs with their own class
        if group.question["type"] == "file":
            form.fields[group.question["id"]].widget.attrs["class"] = "ec-file-input"
    return form


def merge_page_answers(
    definition: dict[str, Any], stored: Answers, page_answers: Answers, prefill: dict[str, Any]
) -> Answers:
    """Stored answers updated with one page's: ``None`` removes an answer, an answer equal to
    the profile's value is not kept (the profile stays the source), questions the definition
    does not ask are ignored, and answers to questions now hidden are dropped."""
    questions = question_map(definition)
    result = dict(stored)
    for qid, value in page_answers.items():
        question = questions.get(qid)
        if question is None:
            continue
        profile_value = prefill_value(question, prefill)
        if value is None or (profile_value is not None and value == profile_value):
            result.pop(qid, None)
        else:
            result[qid] = value
    return prune_answers(definition, result, prefill)
