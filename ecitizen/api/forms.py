import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ecitizen.api.scopes import known_scopes
from ecitizen.api.services import NAME_MAX_LENGTH
from ecitizen.core.forms import UswdsFormMixin


class ScopeChoiceField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple


class ApiTokenCreateForm(UswdsFormMixin, forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=NAME_MAX_LENGTH,
        help_text=_("So you recognise it later, for example the name of the app that uses it."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    scopes = ScopeChoiceField(
        label=_("What the token may do"),
        help_text=_("Choose only what the app needs. You can create another token later."),
        error_messages={"required": _("Choose at least one permission.")},
    )
    expires_on = forms.DateField(
        label=_("Expiry date"),
        required=False,
        help_text=_(
            "The token stops working at the end of this day. Leave empty for a token that "
            "works until you revoke it. For example, 2030-12-31."
        ),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        scopes = self.fields["scopes"]
        scopes.choices = [  # type: ignore[attr-defined]
            (scope.name, f"{scope.label} ({scope.name})") for scope in known_scopes()
        ]

    def clean_name(self) -> str:
        return " ".join(self.cleaned_data["name"].split())

    def clean_expires_on(self) -> datetime.date | None:
        value: datetime.date | None = self.cleaned_data["expires_on"]
        if value is not None and value < timezone.localdate():
            raise forms.ValidationError(_("The expiry date must be today or later."), code="past")
        return value

    def expires_at(self) -> datetime.datetime | None:
        """The end of the chosen day in the site's time zone, as an aware datetime."""
        value: datetime.date | None = self.cleaned_data.get("expires_on")
        if value is None:
            return None
        next_day = datetime.datetime.combine(value + datetime.timedelta(days=1), datetime.time())
        return timezone.make_aware(next_day)
