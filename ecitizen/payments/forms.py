from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ecitizen.core.forms import UswdsFormMixin
from ecitizen.payments.models import Payment


class MethodForm(UswdsFormMixin, forms.Form):
    method = forms.ChoiceField(
        label=_("How do you want to pay?"),
        choices=Payment.Method.choices,
        widget=forms.RadioSelect,
        initial=Payment.Method.CARD,
    )
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)


class SandboxCardForm(UswdsFormMixin, forms.Form):
    card_number = forms.CharField(
        label=_("Card number"),
        max_length=23,
        help_text=_("Sandbox: 4242 4242 4242 4242 is approved, 4000 0000 0000 0002 is declined."),
        widget=forms.TextInput(attrs={"autocomplete": "cc-number", "inputmode": "numeric"}),
    )
    name_on_card = forms.CharField(
        label=_("Name on card"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "cc-name"}),
    )

    def clean_card_number(self) -> str:
        digits = "".join(ch for ch in self.cleaned_data["card_number"] if ch.isdigit())
        if not 12 <= len(digits) <= 19:
            raise forms.ValidationError(_("Enter a card number of 12 to 19 digits."))
        return digits


class SandboxMobileMoneyForm(UswdsFormMixin, forms.Form):
    phone = forms.CharField(
        label=_("Mobile money phone number"),
        max_length=20,
        help_text=_("Sandbox: numbers ending in 0 are declined, others are approved."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )

    def clean_phone(self) -> str:
        digits = "".join(ch for ch in self.cleaned_data["phone"] if ch.isdigit())
        if len(digits) < 7:
            raise forms.ValidationError(_("Enter a phone number of at least 7 digits."))
        return digits


class RefundForm(UswdsFormMixin, forms.Form):
    amount = forms.DecimalField(
        label=_("Amount to refund"), min_value=0, decimal_places=2, max_digits=12
    )
    reason = forms.CharField(
        label=_("Reason for the refund"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The payer sees this reason."),
    )


class ReportForm(UswdsFormMixin, forms.Form):
    start = forms.DateField(
        label=pgettext_lazy("start of a date range", "From"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    end = forms.DateField(
        label=pgettext_lazy("end of a date range", "To"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", _("The end date must be on or after the start date."))
        return data
