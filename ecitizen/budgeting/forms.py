"""Forms for residents (ideas, ballots) and staff (processes, budgets, reviews, paper
ballots, .pb import, implementation updates). Amounts are typed in major units (e.g. euros)
and stored in minor units."""

from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from ecitizen.applications.engine import UploadField
from ecitizen.budgeting.models import Budget, ImplementationUpdate, Project
from ecitizen.core.forms import UswdsFormMixin
from ecitizen.core.models import Agency, Area
from ecitizen.core.money import currency_exponent, to_minor

IMAGE_TYPES = ["image/png", "image/jpeg", "image/webp"]
IMAGE_MAX_SIZE = 5 * 1024 * 1024
LANGUAGES = [code for code, _name in settings.LANGUAGES]
LANGUAGE_NAMES = {"en": _("English"), "fr": _("French"), "es": _("Spanish")}


class MoneyField(forms.DecimalField):
    """An amount in major units (``1250.50``), cleaned to integer minor units."""

    def __init__(self, *, currency: str = "EUR", **kwargs: Any) -> None:
        self.currency = currency
        kwargs.setdefault("min_value", Decimal(0))
        kwargs.setdefault("decimal_places", currency_exponent(currency))
        kwargs.setdefault("max_digits", 15)
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "decimal"})
        self.widget.input_type = "text"

    def clean(self, value: Any) -> int | None:  # type: ignore[override]
        amount = super().clean(value)
        return None if amount is None else to_minor(amount, self.currency)

    def prepare_value(self, value: Any) -> Any:
        return value


def _translated(form: forms.Form, name: str, label: Any, *, long: bool = False,
                required_en: bool = True) -> None:  # fmt: skip
    for code in LANGUAGES:
        widget = forms.Textarea(attrs={"rows": 4}) if long else forms.TextInput()
        form.fields[f"{name}_{code}"] = forms.CharField(
            label=f"{label} ({LANGUAGE_NAMES.get(code, code)})",
            required=required_en and code == "en",
            widget=widget,
            max_length=5000 if long else 300,
        )


def translations(data: dict[str, Any], name: str) -> dict[str, str]:
    return {code: data.get(f"{name}_{code}") or "" for code in LANGUAGES}


def initial_translations(value: dict[str, str], name: str) -> dict[str, str]:
    return {f"{name}_{code}": value.get(code, "") for code in LANGUAGES}


# --------------------------------------------------------------------------- residents


class IdeaForm(UswdsFormMixin, forms.Form):
    budget = forms.ModelChoiceField(
        label=_("Which budget is your idea for?"),
        queryset=Budget.objects.none(),
        empty_label=None,
        widget=forms.RadioSelect,
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Describe your idea"),
        help_text=_("What should be done, and who would it help?"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    location = forms.CharField(
        label=_("Where?"),
        help_text=_("A street, a park or a building, if your idea is for a place."),
        max_length=300,
        required=False,
    )
    estimated_cost = forms.DecimalField(
        label=_("Roughly how much would it cost?"),
        help_text=_("Your best guess is fine: staff will work out the real cost."),
        min_value=Decimal(0),
        max_digits=15,
        decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    images = UploadField(
        label=_("Pictures"),
        help_text=_("Up to 3 pictures, PNG, JPEG or WebP, 5 MB each at most."),
        types=IMAGE_TYPES,
        max_size=IMAGE_MAX_SIZE,
        multiple=True,
        required=False,
    )
    image_description = forms.CharField(
        label=_("What do the pictures show?"),
        help_text=_("For people who cannot see them."),
        max_length=300,
        required=False,
    )

    def __init__(self, *args: Any, budgets: list[Budget], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["budget"]
        field.queryset = Budget.objects.filter(pk__in=[b.pk for b in budgets])  # type: ignore[attr-defined]
        field.label_from_instance = lambda b: b.name  # type: ignore[attr-defined]
        if len(budgets) == 1:
            self.initial.setdefault("budget", budgets[0].pk)


# --------------------------------------------------------------------------- staff


class ProcessForm(UswdsFormMixin, forms.Form):
    agency = forms.ModelChoiceField(label=_("Agency running it"), queryset=Agency.objects.none())
    slug = forms.SlugField(
        label=_("Web address"),
        help_text=_("Short, lowercase, with hyphens, e.g. city-budget-2026."),
        max_length=80,
    )
    ideas_from = forms.DateTimeField(
        label=_("Idea submission opens"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    review_from = forms.DateTimeField(
        label=_("Feasibility review starts"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    voting_from = forms.DateTimeField(
        label=_("Voting opens"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    results_from = forms.DateTimeField(
        label=_("Voting closes"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    implementation_from = forms.DateTimeField(
        label=_("Implementation starts"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    is_published = forms.BooleanField(label=_("Published: residents can see it"), required=False)

    def __init__(self, *args: Any, agencies: list[Agency], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = Agency.objects.filter(  # type: ignore[attr-defined]
            pk__in=[a.pk for a in agencies]
        )
        _translated(self, "title", _("Title"))
        _translated(self, "description", _("Description"), long=True, required_en=False)
        self.order_fields(
            ["agency", "slug", *[f"title_{c}" for c in LANGUAGES],
             *[f"description_{c}" for c in LANGUAGES]]
        )  # fmt: skip


class BudgetForm(UswdsFormMixin, forms.Form):
    area = forms.ModelChoiceField(
        label=_("Area"),
        queryset=Area.objects.all(),
        required=False,
        empty_label=_("City-wide"),
    )
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="EUR")
    amount = forms.DecimalField(
        label=_("Amount"),
        min_value=Decimal("0.01"),
        max_digits=15,
        decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    ballot_kind = forms.ChoiceField(
        label=_("Ballot"), choices=Budget.BallotKind.choices, widget=forms.RadioSelect
    )
    budget_limit = forms.BooleanField(
        label=_("A ballot's projects may not cost more than the budget"), required=False
    )
    min_projects = forms.IntegerField(label=_("Minimum number of projects"), min_value=1, initial=1)
    max_projects = forms.IntegerField(
        label=_("Maximum number of projects"), min_value=1, required=False
    )
    min_spend_percent = forms.IntegerField(
        label=_("Minimum share of the budget a ballot must spend (%)"),
        min_value=0,
        max_value=100,
        initial=0,
    )
    points_total = forms.IntegerField(
        label=_("Points each voter shares out (cumulative ballots)"), min_value=1, required=False
    )
    max_points_per_project = forms.IntegerField(
        label=_("Most points on one project (cumulative ballots)"), min_value=1, required=False
    )
    rule = forms.ChoiceField(
        label=_("Winner rule"), choices=Budget.Rule.choices, widget=forms.RadioSelect
    )
    min_votes = forms.IntegerField(
        label=_("Minimum votes to be funded (greedy rule)"), min_value=0, initial=0
    )
    minimum_age = forms.IntegerField(
        label=_("Minimum age to vote"), min_value=0, max_value=120, initial=16
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _translated(self, "title", _("Title"), required_en=False)
        for code in LANGUAGES:
            self.fields[f"title_{code}"].help_text = _("Leave empty to use the area's name.")

    def clean_currency(self) -> str:
        value = str(self.cleaned_data["currency"]).strip().upper()
        if len(value) != 3 or not value.isalpha():
            raise forms.ValidationError(_("Enter a three-letter currency code, e.g. EUR."))
        return value


class ReviewForm(UswdsFormMixin, forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            ("feasible", _("Feasible: set its final cost")),
            ("accept", _("Put it on the ballot")),
            ("reject", _("Not feasible")),
            ("merge", _("Merge into another idea")),
        ],
        widget=forms.RadioSelect,
    )
    final_cost = forms.DecimalField(
        label=_("Final cost"),
        min_value=Decimal("0.01"),
        max_digits=15,
        decimal_places=2,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    reason = forms.CharField(
        label=_("Reason (shown to the public)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
    )
    merge_into = forms.ModelChoiceField(
        label=_("Merge into"), queryset=Project.objects.none(), required=False
    )

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["merge_into"].queryset = (  # type: ignore[attr-defined]
            Project.objects.filter(budget_id=project.budget_id)
            .exclude(pk=project.pk)
            .exclude(status__in=[Project.Status.MERGED, Project.Status.REJECTED])
        )
        self.fields["merge_into"].label_from_instance = (  # type: ignore[attr-defined]
            lambda p: f"{p.code}. {p}"
        )


class PaperVoterForm(UswdsFormMixin, forms.Form):
    national_id = forms.CharField(label=_("Voter's national ID number"), max_length=40)
    identity_checked = forms.BooleanField(
        label=_("I checked the voter's identity document, address and age"), required=False
    )


class SerialForm(UswdsFormMixin, forms.Form):
    serial = forms.CharField(
        label=_("Ballot number"), help_text=_("Printed on the ballot paper."), max_length=40
    )


class ResolveForm(UswdsFormMixin, forms.Form):
    note = forms.CharField(
        label=_("What does the ballot paper say?"),
        help_text=_("Describe what you checked, e.g. a mark that was hard to read."),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )


class ImportForm(UswdsFormMixin, forms.Form):
    file = forms.FileField(
        label=_("pabulib .pb file"),
        help_text=_("UTF-8 text, at most 50 MB."),
    )


class UpdateForm(UswdsFormMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=ImplementationUpdate.Status.choices, widget=forms.RadioSelect
    )
    progress = forms.IntegerField(label=_("Progress (%)"), min_value=0, max_value=100)
    photos = UploadField(
        label=_("Photos"),
        help_text=_("Up to 3 photos, PNG, JPEG or WebP, 5 MB each at most."),
        types=IMAGE_TYPES,
        max_size=IMAGE_MAX_SIZE,
        multiple=True,
        required=False,
    )
    photo_description = forms.CharField(
        label=_("What do the photos show?"), max_length=300, required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _translated(self, "note", _("What happened"), long=True)
        self.order_fields(["status", "progress", *[f"note_{c}" for c in LANGUAGES]])


class MilestoneForm(UswdsFormMixin, forms.Form):
    planned_for = forms.DateField(
        label=_("Planned for"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    reached_on = forms.DateField(
        label=_("Reached on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _translated(self, "title", _("Milestone"))
        self.order_fields([f"title_{c}" for c in LANGUAGES])
