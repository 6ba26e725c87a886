"""Forms of the public catalogue (search) and of the back-office form builder.

The builder's forms turn what an agency admin types into the pieces of a definition (see
``ecitizen.catalogue.schema``), and back: ``initial_from_*`` fills them from a definition.
Each form checks what it can at the field; the services then check the whole definition.
"""

import datetime
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ecitizen.catalogue.fees import FormulaError, formula_names
from ecitizen.catalogue.models import Topic
from ecitizen.catalogue.schema import (
    PREFILL_SOURCES,
    UPLOAD_TYPES,
    VALIDATION_RULES,
    iter_questions,
)
from ecitizen.catalogue.services import CODE_PATTERN, SLUG_PATTERN
from ecitizen.core.forms import UswdsFormMixin
from ecitizen.core.i18n import LANGUAGE_CODES, tr
from ecitizen.core.models import Agency
from ecitizen.core.money import to_major, to_minor

ID_PATTERN = r"^[a-z][a-z0-9_]{0,59}$"
LANGUAGE_NAMES = {"en": "English", "fr": "Français", "es": "Español"}
QUESTION_TYPE_LABELS = {
    "text": gettext_lazy("Short text"),
    "long_text": gettext_lazy("Long text"),
    "number": gettext_lazy("Number"),
    "money": gettext_lazy("Amount of money"),
    "date": gettext_lazy("Date"),
    "yes_no": gettext_lazy("Yes or no"),
    "single_choice": gettext_lazy("One choice from a list"),
    "multiple_choice": gettext_lazy("Several choices from a list"),
    "address": gettext_lazy("Address (with district)"),
    "email": gettext_lazy("Email address"),
    "phone": gettext_lazy("Phone number"),
    "file": gettext_lazy("File upload"),
}
PREFILL_LABELS = {
    "legal_name": gettext_lazy("The applicant's full name"),
    "email": gettext_lazy("The applicant's email address"),
    "phone": gettext_lazy("The applicant's phone number"),
    "address": gettext_lazy("The applicant's address"),
}
# Which profile data can pre-fill which question type.
PREFILL_FOR_TYPE = {"text": ("legal_name",), "email": ("email",), "phone": ("phone",)}
PREFILL_FOR_TYPE["address"] = ("address",)
UPLOAD_TYPE_LABELS = {
    "application/pdf": "PDF",
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/gif": "GIF",
    "image/webp": "WebP",
}
MB = 1024 * 1024
TYPE_FIELD_NAMES = (
    "options",
    "min_choices",
    "max_choices",
    "min",
    "max",
    "integer",
    "min_length",
    "max_length",
    "pattern",
    "min_date",
    "max_date",
    "upload_types",
    "max_size_mb",
    "max_files",
    "prefill",
)


class ServiceSearchForm(UswdsFormMixin, forms.Form):
    q = forms.CharField(label=gettext_lazy("Search for a service"), max_length=200, required=False)


# --- helpers ---------------------------------------------------------------------------------


class BuilderForm(forms.Form):
    """A form whose fields depend on the data (languages, question type, earlier questions):
    ``add_fields`` runs right after the declared fields exist, so ``UswdsFormMixin`` (listed
    before this class) styles the added fields too."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_fields()

    def add_fields(self) -> None:
        pass


class TranslatedFieldsMixin:
    """Adds one field per language for each entry of ``translated``:
    ``{"title": (label, required_in_english, textarea)}`` gives ``title_en``, ``title_fr``,
    ``title_es``. ``translated_groups`` lists them for fieldsets; ``translated_value("title")``
    returns the {"en", "fr", "es"} dict."""

    translated: dict[str, tuple[Any, bool, bool]] = {}
    fields: dict[str, forms.Field]

    def add_translated_fields(self) -> None:
        for key, (label, required, textarea) in self.translated.items():
            for code in LANGUAGE_CODES:
                widget_class = forms.Textarea if textarea else forms.TextInput
                attrs = {"lang": code, "rows": 3} if textarea else {"lang": code}
                self.fields[f"{key}_{code}"] = forms.CharField(
                    label=LANGUAGE_NAMES.get(code, code),
                    required=required and code == "en",
                    max_length=5000 if textarea else 300,
                    widget=widget_class(attrs=attrs),
                    error_messages={
                        "required": _("Enter “%(label)s” in English.") % {"label": label}
                    },
                )

    def translated_groups(self) -> list[tuple[Any, list[forms.BoundField]]]:
        return [
            (label, [self[f"{key}_{code}"] for code in LANGUAGE_CODES])  # type: ignore[index]
            for key, (label, _required, _textarea) in self.translated.items()
        ]

    @property
    def translated_group_map(self) -> dict[str, tuple[Any, list[forms.BoundField]]]:
        return {
            key: (label, [self[f"{key}_{code}"] for code in LANGUAGE_CODES])  # type: ignore[index]
            for key, (label, _required, _textarea) in self.translated.items()
        }

    def translated_value(self, key: str) -> dict[str, str]:
        data = self.cleaned_data  # type: ignore[attr-defined]
        return {code: (data.get(f"{key}_{code}") or "").strip() for code in LANGUAGE_CODES}


def translated_initial(key: str, value: Any) -> dict[str, str]:
    value = value if isinstance(value, dict) else {}
    return {f"{key}_{code}": value.get(code, "") for code in LANGUAGE_CODES}


def _number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def apply_service_errors(form: forms.Form, error: Any) -> None:
    """Show a service's ValidationError on the form: at the field when it names one."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


# --- services --------------------------------------------------------------------------------


class ServiceCreateForm(TranslatedFieldsMixin, UswdsFormMixin, BuilderForm):
    translated = {"title": (gettext_lazy("Title"), True, False)}

    def add_fields(self) -> None:
        self.add_translated_fields()

    agency = forms.ModelChoiceField(queryset=Agency.objects.none(), label=gettext_lazy("Agency"))
    slug = forms.CharField(
        label=gettext_lazy("Web address"),
        max_length=50,
        help_text=gettext_lazy(
            "The end of the service's address, e.g. dog-licence for /services/dog-licence/. "
            "Lower-case letters, numbers and hyphens. It cannot be changed later."
        ),
    )
    code = forms.CharField(
        label=gettext_lazy("Reference prefix"),
        max_length=4,
        help_text=gettext_lazy(
            "2 to 4 capital letters starting each application reference, e.g. DL."
        ),
    )
    topics = forms.ModelMultipleChoiceField(
        queryset=Topic.objects.all(),
        label=gettext_lazy("Topics and life events"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, agencies: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies  # type: ignore[attr-defined]
        self.fields["topics"].label_from_instance = str  # type: ignore[attr-defined]
        if agencies.count() == 1:
            self.fields["agency"].initial = agencies.first()
            self.fields["agency"].widget = forms.HiddenInput()

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"].strip().lower()
        if not re.match(SLUG_PATTERN, slug):
            raise forms.ValidationError(
                _("Use lower-case letters, numbers and hyphens only, e.g. dog-licence.")
            )
        return slug

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip().upper()
        if not re.match(CODE_PATTERN, code):
            raise forms.ValidationError(_("Use 2 to 4 capital letters, e.g. BP."))
        return code


class ServiceSettingsForm(UswdsFormMixin, forms.Form):
    code = ServiceCreateForm.base_fields["code"]
    topics = ServiceCreateForm.base_fields["topics"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topics"].label_from_instance = str  # type: ignore[attr-defined]

    clean_code = ServiceCreateForm.clean_code


# --- the draft's content and settings ------------------------------------------------------


class ContentForm(TranslatedFieldsMixin, UswdsFormMixin, BuilderForm):
    translated = {
        "title": (gettext_lazy("Title"), True, False),
        "summary": (gettext_lazy("Summary"), True, True),
        "eligibility": (gettext_lazy("Who can apply"), True, True),
        "what_you_need": (gettext_lazy("What you need (one item a line)"), True, True),
    }

    def add_fields(self) -> None:
        self.add_translated_fields()

    @staticmethod
    def initial_from(version: Any) -> dict[str, str]:
        initial: dict[str, str] = {}
        for key in ContentForm.translated:
            initial.update(translated_initial(key, getattr(version, key)))
        return initial

    def content(self) -> dict[str, dict[str, str]]:
        return {key: self.translated_value(key) for key in self.translated}


class SettingsForm(TranslatedFieldsMixin, UswdsFormMixin, BuilderForm):
    translated = {
        "fee_description": (
            gettext_lazy("How the fee is worked out, in plain words"),
            False,
            False,
        ),
        "document_type": (gettext_lazy("Document issued, e.g. “Dog licence”"), False, False),
        "permitted": (gettext_lazy("What it allows the holder to do"), False, False),
    }

    fee_kind = forms.ChoiceField(
        label=gettext_lazy("Fee"),
        choices=[
            ("none", gettext_lazy("Free")),
            ("fixed", gettext_lazy("A fixed amount")),
            ("formula", gettext_lazy("Calculated from the answers (a formula)")),
        ],
        widget=forms.RadioSelect,
    )
    currency = forms.CharField(
        label=gettext_lazy("Currency"),
        max_length=3,
        initial="EUR",
        help_text=gettext_lazy("Three-letter code, e.g. EUR."),
    )
    fee_amount = forms.DecimalField(
        label=gettext_lazy("Fixed amount"),
        required=False,
        min_value=0,
        decimal_places=2,
        max_digits=12,
        help_text=gettext_lazy("For example 25.00"),
    )
    fee_formula = forms.CharField(
        label=gettext_lazy("Formula"),
        required=False,
        max_length=500,
        help_text=gettext_lazy(
            "Amounts in cents, using the ids of number or money questions, e.g. "
            "floor_area * 250 + 10000 (€2.50 per m² plus €100). Allowed: + - * / //, brackets, "
            "min, max, ceil, floor."
        ),
    )
    fee_minimum = forms.DecimalField(
        label=gettext_lazy("Minimum fee"),
        required=False,
        min_value=0,
        decimal_places=2,
        max_digits=12,
    )
    fee_maximum = forms.DecimalField(
        label=gettext_lazy("Maximum fee"),
        required=False,
        min_value=0,
        decimal_places=2,
        max_digits=12,
    )
    fee_timing = forms.ChoiceField(
        label=gettext_lazy("When is the fee paid?"),
        choices=[
            ("on_submit", gettext_lazy("When the resident sends the application")),
            ("on_approval", gettext_lazy("Only once the application is approved")),
        ],
        widget=forms.RadioSelect,
    )
    sla_working_days = forms.IntegerField(
        label=gettext_lazy("Target processing time, in working days"),
        min_value=1,
        max_value=365,
    )
    second_approval = forms.BooleanField(
        label=gettext_lazy("Decisions need a second approval by another officer"), required=False
    )
    refund_on_rejection = forms.BooleanField(
        label=gettext_lazy("Refund the fee if the application is refused"), required=False
    )
    issues_document = forms.BooleanField(
        label=gettext_lazy("This service issues a document (a permit, licence or certificate)"),
        required=False,
    )
    validity_days = forms.IntegerField(
        label=gettext_lazy("Validity, in days"),
        required=False,
        min_value=1,
        max_value=36500,
        help_text=gettext_lazy("Leave empty if it does not expire. 365 = one year."),
    )

    def __init__(self, *args: Any, definition: dict[str, Any], **kwargs: Any) -> None:
        self.definition = definition
        super().__init__(*args, **kwargs)

    def add_fields(self) -> None:
        self.add_translated_fields()

    @staticmethod
    def initial_from(definition: dict[str, Any]) -> dict[str, Any]:
        fee = definition.get("fee") or {"kind": "none"}
        currency = fee.get("currency") or "EUR"
        workflow = definition.get("workflow") or {}
        issues = definition.get("issues")

        def major(value: Any) -> Decimal | None:
            return None if value is None else to_major(int(value), currency)

        initial: dict[str, Any] = {
            "fee_kind": fee.get("kind", "none"),
            "currency": currency,
            "fee_amount": major(fee.get("amount")),
            "fee_formula": fee.get("formula", ""),
            "fee_minimum": major(fee.get("minimum")),
            "fee_maximum": major(fee.get("maximum")),
            "fee_timing": definition.get("fee_timing", "on_submit"),
            "sla_working_days": definition.get("sla_working_days"),
            "second_approval": bool(workflow.get("second_approval")),
            "refund_on_rejection": bool(workflow.get("refund_on_rejection")),
            "issues_document": issues is not None,
            "validity_days": (issues or {}).get("validity_days"),
            **translated_initial("fee_description", fee.get("description")),
            **translated_initial("document_type", (issues or {}).get("document_type")),
            **translated_initial("permitted", (issues or {}).get("permitted")),
        }
        return initial

    def clean_currency(self) -> str:
        currency = self.cleaned_data["currency"].strip().upper()
        if not re.match(r"^[A-Z]{3}$", currency):
            raise forms.ValidationError(_("Enter a three-letter currency code, e.g. EUR."))
        return currency

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        kind = data.get("fee_kind")
        if kind == "fixed" and data.get("fee_amount") is None:
            self.add_error("fee_amount", _("Enter the amount of the fee."))
        if kind == "formula":
            self._check_formula(data.get("fee_formula", "").strip())
            low, high = data.get("fee_minimum"), data.get("fee_maximum")
            if low is not None and high is not None and low > high:
                self.add_error("fee_maximum", _("The maximum cannot be less than the minimum."))
        if data.get("issues_document") and not (data.get("document_type_en") or "").strip():
            self.add_error(
                "document_type_en", _("Enter the name of the document issued, in English.")
            )
        return data

    def _check_formula(self, formula: str) -> None:
        if not formula:
            self.add_error("fee_formula", _("Enter the formula."))
            return
        try:
            names = formula_names(formula)
        except FormulaError as exc:
            self.add_error("fee_formula", str(exc))
            return
        numeric = {
            question["id"]
            for _page, question in iter_questions(self.definition)
            if question.get("type") in ("number", "money")
        }
        unknown = sorted(names - numeric)
        if unknown:
            self.add_error(
                "fee_formula",
                _(
                    "The formula can only use number or money questions of this form. "
                    "Not one: %(names)s."
                )
                % {"names": ", ".join(unknown)},
            )

    def definition_parts(self) -> dict[str, Any]:
        """The ``fee``, ``fee_timing``, ``sla_working_days``, ``workflow`` and ``issues``
        to pass to ``service_version_update``."""
        data = self.cleaned_data
        currency = data["currency"]
        kind = data["fee_kind"]

        def minor(value: Decimal | None) -> int | None:
            return None if value is None else to_minor(value, currency)

        fee: dict[str, Any] = {"kind": kind}
        if kind == "fixed":
            fee.update(amount=minor(data["fee_amount"]), currency=currency)
        elif kind == "formula":
            fee.update(
                formula=data["fee_formula"].strip(),
                currency=currency,
                minimum=minor(data.get("fee_minimum")),
                maximum=minor(data.get("fee_maximum")),
                description=self.translated_value("fee_description"),
            )
        workflow = dict(self.definition.get("workflow") or {})
        workflow.update(
            second_approval=data["second_approval"],
            refund_on_rejection=data["refund_on_rejection"],
        )
        issues = None
        if data["issues_document"]:
            issues = {
                "document_type": self.translated_value("document_type"),
                "permitted": self.translated_value("permitted"),
                "validity_days": data.get("validity_days"),
            }
        return {
            "fee": fee,
            "fee_timing": data["fee_timing"],
            "sla_working_days": data["sla_working_days"],
            "workflow": workflow,
            "issues": issues,
        }


# --- conditions ----------------------------------------------------------------------------


class ConditionFieldsMixin:
    """``condition_question`` (one of the questions asked earlier) and ``condition_values``."""

    fields: dict[str, forms.Field]
    earlier: list[dict[str, Any]]

    def add_condition_fields(self, earlier: list[dict[str, Any]]) -> None:
        self.earlier = [q for q in earlier if q.get("type") != "file"]
        self.fields["condition_question"] = forms.ChoiceField(
            label=_("Question"),
            required=False,
            choices=[
                ("", _("(always show)")),
                *[(q["id"], f"{tr(q.get('label')) or q['id']} ({q['id']})") for q in self.earlier],
            ],
        )
        self.fields["condition_values"] = forms.CharField(
            label=_("Answer that shows it"),
            required=False,
            max_length=1000,
            widget=forms.Textarea(attrs={"rows": 2}),
            help_text=_(
                "For a yes/no question: yes or no. For a list: the option value(s). Several "
                "values, one a line, mean “any of these”."
            ),
        )

    def clean_condition(self, data: dict[str, Any]) -> dict[str, Any] | None:
        target_id = data.get("condition_question")
        raw = [v.strip() for v in (data.get("condition_values") or "").splitlines() if v.strip()]
        if not target_id:
            if raw:
                self.add_error(  # type: ignore[attr-defined]
                    "condition_question", _("Choose the question the condition depends on.")
                )
            return None
        if not raw:
            self.add_error("condition_values", _("Enter the value(s) that show it."))  # type: ignore[attr-defined]
            return None
        target = next(q for q in self.earlier if q["id"] == target_id)
        values: list[Any] = []
        for text in raw:
            value = condition_value(target, text)
            if value is None:
                self.add_error(  # type: ignore[attr-defined]
                    "condition_values",
                    _("“%(value)s” is not an answer “%(question)s” can have.")
                    % {"value": text, "question": target_id},
                )
                return None
            values.append(value)
        if len(values) == 1 and target.get("type") != "multiple_choice":
            return {"question": target_id, "equals": values[0]}
        return {"question": target_id, "in": values}


def condition_value(target: dict[str, Any], text: str) -> Any:
    """What the admin typed, as the answer value it compares with (None if impossible)."""
    qtype = target.get("type")
    if qtype == "yes_no":
        return {"yes": True, "no": False, "true": True, "false": False}.get(text.lower())
    if qtype in ("single_choice", "multiple_choice"):
        values = {option.get("value") for option in target.get("options") or []}
        return text if text in values else None
    if qtype in ("number", "money"):
        try:
            number = Decimal(text.replace(",", "."))
        except InvalidOperation:
            return None
        if qtype == "money":
            return to_minor(number, "EUR")
        return _number(number)
    return text


def condition_initial(
    condition: dict[str, Any] | None, definition: dict[str, Any]
) -> dict[str, str]:
    if not condition:
        return {"condition_question": "", "condition_values": ""}
    target = next(
        (q for _p, q in iter_questions(definition) if q.get("id") == condition.get("question")), {}
    )
    values = [condition["equals"]] if "equals" in condition else list(condition.get("in") or [])

    def show(value: Any) -> str:
        if isinstance(value, bool):
            return "yes" if value else "no"
        if target.get("type") == "money" and isinstance(value, int):
            return str(to_major(value, "EUR"))
        return str(value)

    return {
        "condition_question": condition.get("question", ""),
        "condition_values": "\n".join(show(v) for v in values),
    }


# --- pages -----------------------------------------------------------------------------------


class PageForm(ConditionFieldsMixin, TranslatedFieldsMixin, UswdsFormMixin, BuilderForm):
    translated = {"title": (gettext_lazy("Page title"), True, False)}

    id = forms.CharField(
        label=gettext_lazy("Page id"),
        max_length=60,
        help_text=gettext_lazy(
            "Lower-case letters, digits and underscores, starting with a letter, e.g. site."
        ),
    )

    def __init__(
        self,
        *args: Any,
        definition: dict[str, Any],
        page_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.definition, self.page_id = definition, page_id
        super().__init__(*args, **kwargs)

    def add_fields(self) -> None:
        self.add_translated_fields()
        earlier = []
        for page in self.definition.get("form", {}).get("pages", []):
            if page.get("id") == self.page_id:
                break
            earlier.extend(page.get("questions", []))
        self.add_condition_fields(earlier)

    @staticmethod
    def initial_from(page: dict[str, Any], definition: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": page.get("id", ""),
            **translated_initial("title", page.get("title")),
            **condition_initial(page.get("condition"), definition),
        }

    def clean_id(self) -> str:
        page_id = self.cleaned_data["id"].strip()
        if not re.match(ID_PATTERN, page_id):
            raise forms.ValidationError(
                _("Use lower-case letters, digits and underscores, starting with a letter.")
            )
        taken = {p.get("id") for p in self.definition.get("form", {}).get("pages", [])}
        if page_id != self.page_id and page_id in taken:
            raise forms.ValidationError(_("Another page already has this id."))
        return page_id

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        data["condition"] = self.clean_condition(data)
        return data


# --- questions -------------------------------------------------------------------------------


class QuestionTypeForm(UswdsFormMixin, forms.Form):
    type = forms.ChoiceField(
        label=gettext_lazy("What kind of question?"),
        choices=list(QUESTION_TYPE_LABELS.items()),
        widget=forms.RadioSelect,
    )


class QuestionForm(ConditionFieldsMixin, TranslatedFieldsMixin, UswdsFormMixin, BuilderForm):
    """One question of a given type. Only the fields that type uses are present."""

    translated = {
        "label": (gettext_lazy("Question"), True, False),
        "help": (gettext_lazy("Help text (optional)"), False, True),
    }

    id = forms.CharField(
        label=gettext_lazy("Question id"),
        max_length=60,
        help_text=gettext_lazy(
            "Lower-case letters, digits and underscores, starting with a letter, e.g. "
            "floor_area. Fee formulas and conditions refer to it."
        ),
    )
    required = forms.BooleanField(label=gettext_lazy("An answer is required"), required=False)

    def __init__(
        self,
        *args: Any,
        qtype: str,
        definition: dict[str, Any],
        page_id: str,
        question_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.qtype, self.definition, self.question_id = qtype, definition, question_id
        self.currency = (definition.get("fee") or {}).get("currency") or "EUR"
        self.page_id = page_id
        super().__init__(*args, **kwargs)

    def add_fields(self) -> None:
        self.add_translated_fields()
        self._add_type_fields()
        self.add_condition_fields(self._earlier_questions(self.page_id))

    def _earlier_questions(self, page_id: str) -> list[dict[str, Any]]:
        """Questions asked before this one (a new one goes at the end of its page)."""
        earlier: list[dict[str, Any]] = []
        for page in self.definition.get("form", {}).get("pages", []):
            for question in page.get("questions", []):
                if question.get("id") == self.question_id:
                    return earlier
                earlier.append(question)
            if page.get("id") == page_id and self.question_id is None:
                return earlier
        return earlier

    def _add_type_fields(self) -> None:
        rules = VALIDATION_RULES.get(self.qtype, ())
        integer = forms.IntegerField
        decimal = forms.DecimalField
        if "min_length" in rules:
            self.fields["min_length"] = integer(
                label=_("Minimum number of characters"), required=False, min_value=0
            )
            self.fields["max_length"] = integer(
                label=_("Maximum number of characters"), required=False, min_value=1
            )
            self.fields["pattern"] = forms.CharField(
                label=_("Pattern the answer must match (regular expression)"),
                required=False,
                max_length=200,
                help_text=_("For experts. For example ^[0-9]{15}$ for exactly 15 digits."),
            )
        if "min" in rules:
            money = self.qtype == "money"
            self.fields["min"] = decimal(
                label=_("Smallest amount allowed") if money else _("Smallest number allowed"),
                required=False,
                max_digits=15,
                decimal_places=2 if money else 6,
            )
            self.fields["max"] = decimal(
                label=_("Largest amount allowed") if money else _("Largest number allowed"),
                required=False,
                max_digits=15,
                decimal_places=2 if money else 6,
            )
            self.fields["integer"] = forms.BooleanField(
                label=_("Whole amounts only (no cents)") if money else _("Whole numbers only"),
                required=False,
            )
        if "min_date" in rules:
            help_text = _("“today”, or a date like 2026-01-31. Leave empty for no limit.")
            self.fields["min_date"] = forms.CharField(
                label=_("Earliest date allowed"), required=False, help_text=help_text
            )
            self.fields["max_date"] = forms.CharField(
                label=_("Latest date allowed"), required=False, help_text=help_text
            )
        if self.qtype in ("single_choice", "multiple_choice"):
            self.fields["options"] = forms.CharField(
                label=_("Options"),
                widget=forms.Textarea(attrs={"rows": 6}),
                help_text=_(
                    "One option a line: value|English|Français|Español, e.g. "
                    "garage|Garage|Garage|Garaje. The value is stored and used in conditions."
                ),
            )
        if "min_choices" in rules:
            self.fields["min_choices"] = integer(
                label=_("Fewest options to choose"), required=False, min_value=0
            )
            self.fields["max_choices"] = integer(
                label=_("Most options to choose"), required=False, min_value=1
            )
        if self.qtype == "file":
            self.fields["upload_types"] = forms.MultipleChoiceField(
                label=_("File types allowed"),
                choices=[(t, UPLOAD_TYPE_LABELS[t]) for t in UPLOAD_TYPES],
                widget=forms.CheckboxSelectMultiple,
            )
            self.fields["max_size_mb"] = integer(
                label=_("Largest file size, in MB"), min_value=1, max_value=20, initial=5
            )
            self.fields["max_files"] = integer(
                label=_("How many files at most"), min_value=1, max_value=20, initial=1
            )
        sources = PREFILL_FOR_TYPE.get(self.qtype, ())
        if sources:
            self.fields["prefill"] = forms.ChoiceField(
                label=_("Fill in from the applicant's profile"),
                required=False,
                choices=[("", _("No")), *[(s, PREFILL_LABELS[s]) for s in sources]],
                help_text=_("Residents are not asked again for what their profile holds."),
            )

    @staticmethod
    def initial_from(question: dict[str, Any], definition: dict[str, Any]) -> dict[str, Any]:
        rules = dict(question.get("validation") or {})
        currency = (definition.get("fee") or {}).get("currency") or "EUR"
        for key in ("min", "max"):
            if question.get("type") == "money" and isinstance(rules.get(key), int):
                rules[key] = to_major(rules[key], currency)
        upload = question.get("upload") or {}
        initial = {
            "id": question.get("id", ""),
            "required": bool(question.get("required")),
            **translated_initial("label", question.get("label")),
            **translated_initial("help", question.get("help")),
            **rules,
            "prefill": question.get("prefill", ""),
            "options": "\n".join(
                "|".join(
                    [
                        str(o.get("value", "")),
                        *[(o.get("label") or {}).get(c, "") for c in LANGUAGE_CODES],
                    ]
                )
                for o in question.get("options") or []
            ),
            **condition_initial(question.get("condition"), definition),
        }
        if upload:
            initial.update(
                upload_types=upload.get("types", []),
                max_size_mb=max(1, int(upload.get("max_size", MB)) // MB),
                max_files=upload.get("max_files", 1),
            )
        return initial

    def type_fields(self) -> list[forms.BoundField]:
        """The fields this question type adds (validation rules, options, upload settings)."""
        return [self[name] for name in TYPE_FIELD_NAMES if name in self.fields]

    def clean_id(self) -> str:
        qid = self.cleaned_data["id"].strip()
        if not re.match(ID_PATTERN, qid):
            raise forms.ValidationError(
                _("Use lower-case letters, digits and underscores, starting with a letter.")
            )
        taken = {q.get("id") for _p, q in iter_questions(self.definition)}
        if qid != self.question_id and qid in taken:
            raise forms.ValidationError(_("Another question already has this id."))
        return qid

    def clean_pattern(self) -> str:
        pattern = self.cleaned_data.get("pattern", "")
        if pattern:
            try:
                re.compile(pattern)
            except re.error:
                raise forms.ValidationError(_("This is not a valid pattern.")) from None
        return pattern

    def _clean_date_rule(self, name: str) -> str:
        value = (self.cleaned_data.get(name) or "").strip().lower()
        if value and value != "today":
            try:
                datetime.date.fromisoformat(value)
            except ValueError:
                raise forms.ValidationError(_("Enter “today” or a date like 2026-01-31.")) from None
        return value

    def clean_min_date(self) -> str:
        return self._clean_date_rule("min_date")

    def clean_max_date(self) -> str:
        return self._clean_date_rule("max_date")

    def clean_options(self) -> list[dict[str, Any]]:
        options: list[dict[str, Any]] = []
        errors: list[str] = []
        for number, line in enumerate(self.cleaned_data["options"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = [part.strip() for part in line.split("|")]
            value = parts[0]
            if not re.match(r"^[a-z0-9][a-z0-9_-]{0,59}$", value) or len(parts) < 2 or not parts[1]:
                errors.append(
                    _(
                        "Line %(number)d: write value|English|Français|Español, with a value of "
                        "lower-case letters, digits, - or _."
                    )
                    % {"number": number}
                )
                continue
            labels = dict(zip(LANGUAGE_CODES, parts[1:], strict=False))
            options.append(
                {"value": value, "label": {c: labels.get(c, "") for c in LANGUAGE_CODES}}
            )
        values = [o["value"] for o in options]
        if len(set(values)) != len(values):
            errors.append(_("Each option needs its own value."))
        if not errors and len(options) < 2:
            errors.append(_("Give at least two options."))
        if errors:
            raise forms.ValidationError(errors)
        return options

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        for low, high in (
            ("min", "max"),
            ("min_length", "max_length"),
            ("min_choices", "max_choices"),
        ):
            if data.get(low) is not None and data.get(high) is not None and data[low] > data[high]:
                self.add_error(high, _("This cannot be less than the minimum."))
        options = data.get("options")
        if isinstance(options, list):
            for name in ("min_choices", "max_choices"):
                if data.get(name) is not None and data[name] > len(options):
                    self.add_error(name, _("This is more than the number of options."))
        dates = (data.get("min_date"), data.get("max_date"))
        if all(dates) and "today" not in dates and dates[0] > dates[1]:  # type: ignore[operator]
            self.add_error("max_date", _("The latest date cannot be before the earliest."))
        data["condition"] = self.clean_condition(data)
        return data

    def question(self) -> dict[str, Any]:
        """The question as stored in the definition."""
        data = self.cleaned_data
        question: dict[str, Any] = {
            "id": data["id"],
            "type": self.qtype,
            "label": self.translated_value("label"),
            "required": data["required"],
        }
        help_text = self.translated_value("help")
        if any(help_text.values()):
            question["help"] = help_text
        rules: dict[str, Any] = {}
        for name in VALIDATION_RULES.get(self.qtype, ()):
            value = data.get(name)
            if value in (None, "", False):
                continue
            if name in ("min", "max"):
                value = to_minor(value, self.currency) if self.qtype == "money" else _number(value)
            rules[name] = value
        if rules:
            question["validation"] = rules
        if "options" in data:
            question["options"] = data["options"]
        if self.qtype == "file":
            question["upload"] = {
                "types": data["upload_types"],
                "max_size": data["max_size_mb"] * MB,
                "max_files": data["max_files"],
            }
        if data.get("prefill") in PREFILL_SOURCES:
            question["prefill"] = data["prefill"]
        if data.get("condition"):
            question["condition"] = data["condition"]
        return question
