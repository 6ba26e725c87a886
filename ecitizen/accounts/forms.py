import datetime
import re

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ecitizen.accounts.models import Profile
from ecitizen.accounts.selectors import normalize_national_id
from ecitizen.core.forms import UswdsFormMixin
from ecitizen.core.models import Area

_PHONE = re.compile(r"^\+?[0-9 ()-]{7,20}$")
_NATIONAL_ID = re.compile(r"^[A-Z0-9]{6,20}$")


class DistrictChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Area) -> str:  # type: ignore[override]
        return obj.localized_name()


class ProfileForm(UswdsFormMixin, forms.Form):
    legal_name = forms.CharField(
        label=_("Full legal name"),
        max_length=200,
        help_text=_("As it appears on your identity document."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    date_of_birth = forms.DateField(
        label=_("Date of birth"),
        required=False,
        help_text=_("For example, 1987-03-27."),
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}),
    )
    national_id = forms.CharField(
        label=_("National ID number"),
        required=False,
        max_length=40,
        help_text=_("6 to 20 letters and numbers. We store it encrypted."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    phone = forms.CharField(
        label=_("Phone number"),
        required=False,
        max_length=32,
        help_text=_("Include the country code if you are abroad, for example +33 6 12 34 56 78."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    address_line1 = forms.CharField(
        label=_("Address line 1"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "address-line1"}),
    )
    address_line2 = forms.CharField(
        label=_("Address line 2"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "address-line2"}),
    )
    town = forms.CharField(
        label=_("Town or city"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    postcode = forms.CharField(
        label=_("Postcode"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code"}),
    )
    area = DistrictChoiceField(
        label=_("District"),
        required=False,
        queryset=Area.objects.filter(kind=Area.Kind.DISTRICT),
        empty_label=_("Choose your district"),
        help_text=_("We use it to send you alerts and news for where you live."),
    )
    preferred_language = forms.ChoiceField(
        label=_("Preferred language"), choices=settings.LANGUAGES
    )
    accessibility_needs = forms.MultipleChoiceField(
        label=_("Accessibility needs"),
        required=False,
        choices=Profile.Accessibility.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Select all that apply. Staff see this so they can help you better."),
    )
    accessibility_notes = forms.CharField(
        label=_("Anything else we should know"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_legal_name(self) -> str:
        return " ".join(self.cleaned_data["legal_name"].split())

    def clean_date_of_birth(self) -> datetime.date | None:
        value: datetime.date | None = self.cleaned_data["date_of_birth"]
        today = timezone.localdate()
        if value and value > today:
            raise forms.ValidationError(_("Date of birth must be in the past."), code="future")
        if value and value.year < today.year - 130:
            raise forms.ValidationError(_("Enter a real date of birth."), code="too_old")
        return value

    def clean_national_id(self) -> str:
        value = normalize_national_id(self.cleaned_data["national_id"])
        if value and not _NATIONAL_ID.match(value):
            raise forms.ValidationError(
                _("Enter a national ID number of 6 to 20 letters and numbers."), code="format"
            )
        return value

    def clean_phone(self) -> str:
        value = self.cleaned_data["phone"].strip()
        if value and (not _PHONE.match(value) or sum(c.isdigit() for c in value) < 7):
            raise forms.ValidationError(
                _("Enter a phone number, like 01632 960 001 or +33 6 12 34 56 78."), code="format"
            )
        return value


class StaffResidentSearchForm(UswdsFormMixin, forms.Form):
    q = forms.CharField(
        label=_("Email address or national ID number"),
        max_length=254,
        help_text=_("Exact match only."),
    )


class PurposeForm(UswdsFormMixin, forms.Form):
    purpose = forms.ChoiceField(
        label=_("Why do you need to see this person's details?"),
        choices=[],
        widget=forms.RadioSelect,
        help_text=_("The person can see who looked at their data, when and why."),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        from ecitizen.audit.models import PersonalDataAccess

        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["purpose"].choices = PersonalDataAccess.Purpose.choices  # type: ignore[attr-defined]
