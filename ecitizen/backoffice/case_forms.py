"""Forms of staff case work: queue filters, notes, decisions, assignment, public holidays."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ecitizen.applications.case_selectors import SLA_FILTERS, STATUS_FILTERS
from ecitizen.applications.casework import MESSAGE_MAX_LENGTH, NOTE_MAX_LENGTH
from ecitizen.core.forms import UswdsFormMixin


def _text(
    label: Any, *, required: bool, max_length: int, help_text: Any = "", missing: Any = ""
) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={
            "required": missing,
            "max_length": _("Use %(limit_value)s characters or fewer."),
        },
    )


class QueueFilterForm(UswdsFormMixin, forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=STATUS_FILTERS, required=False)
    service = forms.TypedChoiceField(
        label=_("Service"), coerce=int, empty_value=None, required=False
    )
    sla = forms.ChoiceField(label=_("Time left"), choices=SLA_FILTERS, required=False)
    assignee = forms.ChoiceField(label=_("Assigned to"), required=False)

    def __init__(
        self,
        *args: Any,
        services: list[tuple[int, str]],
        officers: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = [("", _("Any service")), *services]  # type: ignore[attr-defined]
        self.fields["assignee"].choices = [  # type: ignore[attr-defined]
            ("", _("Anyone")),
            ("me", _("Me")),
            ("none", _("Nobody (unassigned)")),
            *[(str(pk), name) for pk, name in officers],
        ]


class NoteForm(UswdsFormMixin, forms.Form):
    text = _text(
        _("Internal note"),
        required=True,
        max_length=NOTE_MAX_LENGTH,
        help_text=_("Only staff see notes. The resident never does."),
        missing=_("Enter the note."),
    )


class RequestInfoForm(UswdsFormMixin, forms.Form):
    message = _text(
        _("What do you need from the resident?"),
        required=True,
        max_length=MESSAGE_MAX_LENGTH,
        help_text=_("The resident reads this message. Say exactly what to send and why."),
        missing=_("Enter what you need from the resident."),
    )


class ApproveForm(UswdsFormMixin, forms.Form):
    reason = _text(
        _("Reason for the decision (optional)"),
        required=False,
        max_length=MESSAGE_MAX_LENGTH,
        help_text=_("The resident reads this once the decision is final."),
    )


class RejectForm(UswdsFormMixin, forms.Form):
    reason = _text(
        _("Reason for rejecting the application"),
        required=True,
        max_length=MESSAGE_MAX_LENGTH,
        help_text=_("The resident reads this reason. Explain what the decision is based on."),
        missing=_("Enter the reason for rejecting the application."),
    )


class SendBackForm(UswdsFormMixin, forms.Form):
    reason = _text(
        _("Why are you sending the decision back?"),
        required=True,
        max_length=MESSAGE_MAX_LENGTH,
        help_text=_("Only staff read this."),
        missing=_("Enter why you are sending the decision back."),
    )


class RevokeForm(UswdsFormMixin, forms.Form):
    reason = _text(
        _("Reason for revoking the permit"),
        required=True,
        max_length=MESSAGE_MAX_LENGTH,
        help_text=_("The permit holder reads this reason."),
        missing=_("Enter the reason for revoking the permit."),
    )


class ConfirmForm(UswdsFormMixin, forms.Form):
    """A decision with nothing to type in (issuing): the button is the confirmation."""


class AssignForm(UswdsFormMixin, forms.Form):
    assignee = forms.TypedChoiceField(
        label=_("Give this case to"),
        coerce=int,
        error_messages={
            "required": _("Choose who will handle this case."),
            "invalid_choice": _("Choose a case officer of this agency."),
        },
    )

    def __init__(self, *args: Any, officers: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", _("Choose an officer")), *officers]  # type: ignore[attr-defined]


class HolidayForm(UswdsFormMixin, forms.Form):
    date = forms.DateField(
        label=_("Date"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": _("Enter the date of the holiday."),
            "invalid": _("Enter a real date, for example 2026-12-25."),
        },
    )
    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        error_messages={"required": _("Enter the name of the holiday.")},
    )
