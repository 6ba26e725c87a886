"""Forms around the question pages: declaration, withdraw, information response, assisted
service. (The question pages themselves are built by ``engine.build_page_form``.)"""

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ecitizen.applications import uploads
from ecitizen.applications.engine import UploadField
from ecitizen.core.forms import UswdsFormMixin
from ecitizen.core.i18n import tr

INFO_RESPONSE_MAX_FILES = 5


class SubmitForm(UswdsFormMixin, forms.Form):
    """The declaration on check-your-answers. The hidden key makes sending idempotent."""

    declaration = forms.BooleanField(
        label=_("I confirm that the information I have given is correct and complete."),
        error_messages={
            "required": _("Confirm that the information is correct and complete to send it.")
        },
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=80)

    def __init__(self, *args: Any, assisted: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"idempotency_key": str(uuid.uuid4())})
        super().__init__(*args, **kwargs)
        if assisted:
            self.fields["declaration"].label = _(
                "The resident has checked these answers with me and confirms they are correct "
                "and complete."
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        try:
            cleaned["idempotency_key"] = str(uuid.UUID(str(cleaned.get("idempotency_key"))))
        except ValueError:
            # Not something our page sent: refuse, and give a fresh key to try again with.
            self.add_error(None, _("Something went wrong. Check your answers and send again."))
            data = self.data.copy()  # type: ignore[attr-defined]
            data["idempotency_key"] = str(uuid.uuid4())
            self.data = data
        return cleaned


class WithdrawForm(UswdsFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Why are you withdrawing? (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": _("The reason must be 1000 characters or fewer.")},
    )


class InfoResponseForm(UswdsFormMixin, forms.Form):
    answer = forms.CharField(
        label=_("Your answer"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={
            "required": _("Enter your answer."),
            "max_length": _("Your answer must be 5000 characters or fewer."),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["files"] = UploadField(
            label=_("Add files (optional)"),
            required=False,
            types=uploads.DEFAULT_TYPES,
            max_size=uploads.DEFAULT_MAX_SIZE,
            multiple=True,
            help_text=_("PDF, PNG or JPEG, up to 10 MB each. You can add up to 5 files."),
        )
        self.fields["files"].widget.attrs["class"] = "ec-file-input"

    def clean_files(self) -> list[uploads.ValidatedUpload]:
        files = self.cleaned_data.get("files") or []
        if len(files) > INFO_RESPONSE_MAX_FILES:
            raise forms.ValidationError(_("You can add up to 5 files."), code="max_files")
        return list(files)


class ResidentFindForm(UswdsFormMixin, forms.Form):
    q = forms.CharField(
        label=_("The resident's email address or national ID number"),
        max_length=254,
        help_text=_("Exact match only. Check the resident's identity document first."),
        error_messages={"required": _("Enter an email address or a national ID number.")},
    )


class AssistedStartForm(UswdsFormMixin, forms.Form):
    service = forms.ChoiceField(
        label=_("Service"),
        choices=[],
        error_messages={
            "required": _("Choose the service the resident wants to apply for."),
            "invalid_choice": _("Choose one of the services."),
        },
    )
    consent = forms.BooleanField(
        label=_(
            "The resident is here with me and agrees that I fill in and send this application "
            "for them."
        ),
        error_messages={"required": _("You need the resident's consent to apply for them.")},
    )
    consent_note = forms.CharField(
        label=_("How did the resident give their consent?"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: “Agreed verbally at the Riverside counter, ID card checked.”"),
        error_messages={"required": _("Say how the resident gave their consent.")},
    )

    def __init__(self, *args: Any, services: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.services = {service.slug: service for service in services}
        self.fields["service"].choices = [("", _("Choose a service"))] + [  # type: ignore[attr-defined]
            (service.slug, tr(service.published_version.title)) for service in services
        ]

    def clean_service(self) -> Any:
        return self.services[self.cleaned_data["service"]]
