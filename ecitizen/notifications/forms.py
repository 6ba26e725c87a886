import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ecitizen.core.forms import UswdsFormMixin
from ecitizen.core.models import Area
from ecitizen.notifications.models import Alert, Channel, Topic
from ecitizen.notifications.preferences import MANDATORY, chosen_channels

LANGUAGE_LABELS = {"en": _("English"), "fr": _("French"), "es": _("Spanish")}
OPTIONAL = [(Channel.EMAIL.value, Channel.EMAIL.label), (Channel.SMS.value, Channel.SMS.label)]


class PreferencesForm(UswdsFormMixin, forms.Form):
    quiet_start = forms.TimeField(
        label=_("Quiet hours start"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("For example 22:00."),
    )
    quiet_end = forms.TimeField(
        label=_("Quiet hours end"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("For example 07:00."),
    )

    def __init__(self, *args: Any, stored: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        topic_fields = {}
        for topic in Topic:
            if topic in MANDATORY:
                continue
            topic_fields[f"topic_{topic.value}"] = forms.MultipleChoiceField(
                label=topic.label,
                choices=OPTIONAL,
                required=False,
                widget=forms.CheckboxSelectMultiple,
                initial=sorted(chosen_channels(stored, topic.value)),
            )
        self.fields = {**topic_fields, **self.fields}

    def topic_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("topic_")]

    def time_fields(self) -> list[forms.BoundField]:
        return [self["quiet_start"], self["quiet_end"]]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("quiet_start"), data.get("quiet_end")
        if (start is None) != (end is None) and not self.errors:
            self.add_error(
                "quiet_end" if start else "quiet_start",
                _("Give both the start and the end of your quiet hours, or neither."),
            )
        return data

    def channels(self) -> dict[str, list[str]]:
        return {
            name.removeprefix("topic_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("topic_")
        }


class LocalDateTimeField(forms.DateTimeField):
    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
        super().__init__(**kwargs)


class AlertForm(UswdsFormMixin, forms.Form):
    severity = forms.ChoiceField(
        label=_("How serious is it?"),
        choices=Alert.Severity.choices,
        widget=forms.RadioSelect,
        help_text=_("Emergencies reach every resident on every channel they have given us."),
    )
    all_areas = forms.BooleanField(label=_("Every district"), required=False)
    areas = forms.ModelMultipleChoiceField(
        label=_("Districts"),
        queryset=Area.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    starts_at = LocalDateTimeField(
        label=_("Starts"), required=False, help_text=_("Leave empty to start now.")
    )
    expires_at = LocalDateTimeField(label=_("Ends"))

    def __init__(self, *args: Any, with_content: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["areas"].queryset = Area.objects.filter(  # type: ignore[attr-defined]
            kind=Area.Kind.DISTRICT
        ).order_by("name")
        if not kwargs.get("initial", {}).get("expires_at"):
            self.fields["expires_at"].initial = (
                timezone.localtime() + datetime.timedelta(hours=12)
            ).replace(second=0, microsecond=0)
        for code, label in LANGUAGE_LABELS.items():
            self.fields[f"title_{code}"] = forms.CharField(
                label=_("Title (%(language)s)") % {"language": label},
                max_length=140,
                widget=forms.TextInput(attrs={"class": "usa-input"}),
            )
            self.fields[f"body_{code}"] = forms.CharField(
                label=_("What is happening (%(language)s)") % {"language": label},
                widget=forms.Textarea(attrs={"rows": 3, "class": "usa-textarea"}),
            )
            self.fields[f"instructions_{code}"] = forms.CharField(
                label=_("What people should do (%(language)s)") % {"language": label},
                widget=forms.Textarea(attrs={"rows": 2, "class": "usa-textarea"}),
                required=False,
            )
        if not with_content:
            for name in list(self.fields):
                if name.startswith(("title_", "body_", "instructions_")):
                    self.fields[name].required = False

    def texts(self, kind: str) -> dict[str, str]:
        return {code: self.cleaned_data.get(f"{kind}_{code}", "") for code in LANGUAGE_LABELS}

    def language_groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [
            (
                str(label),
                [self[f"title_{code}"], self[f"body_{code}"], self[f"instructions_{code}"]],
            )
            for code, label in LANGUAGE_LABELS.items()
        ]


class CancelForm(UswdsFormMixin, forms.Form):
    note = forms.CharField(
        label=_("Note to residents (optional, in English)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Without a note, residents are told in their language that it is over."),
    )


class TemplateForm(UswdsFormMixin, forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=300, required=False)
    body = forms.CharField(
        label=_("Message"),
        widget=forms.Textarea(attrs={"rows": 8}),
        required=False,
        help_text=_("Put personal details in double brackets, like ((reference))."),
    )


class AreaFilterForm(forms.Form):
    area = forms.ModelChoiceField(
        label=_("District"),
        queryset=Area.objects.none(),
        required=False,
        empty_label=_("All districts"),
        to_field_name="code",
        widget=forms.Select(attrs={"class": "usa-select"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = Area.objects.filter(  # type: ignore[attr-defined]
            kind=Area.Kind.DISTRICT
        ).order_by("name")
