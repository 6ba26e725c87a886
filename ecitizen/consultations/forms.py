"""Forms for residents (start a response, comment, report, statements) and for staff (the
consultation, questions, documents, moderation, outcome). Forms check what they can at the
field; services check the rest and their ``ValidationError`` is put back on the form
(``apply_errors``), with what was typed kept."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ecitizen.catalogue.forms import BuilderForm, TranslatedFieldsMixin, translated_initial
from ecitizen.consultations.models import CommentReport, Consultation, Question
from ecitizen.consultations.services import (
    COMMENT_MAX_LENGTH,
    STATEMENT_MAX_LENGTH,
    ConsultationData,
    QuestionData,
)
from ecitizen.core.forms import UswdsFormMixin
from ecitizen.core.i18n import LANGUAGE_CODES, tr
from ecitizen.core.models import Agency, Area

DATETIME_WIDGET = {
    "widget": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    "input_formats": ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
}


def apply_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's refusal on the form: at the field it names, else at the top."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            target = name if name in form.fields else None
            for e in errors:
                form.add_error(target, e.messages[0] if hasattr(e, "messages") else str(e))
    else:
        for message in error.messages:
            form.add_error(None, message)


# --------------------------------------------------------------------------- residents


class StartForm(UswdsFormMixin, forms.Form):
    anonymous = forms.TypedChoiceField(
        label=_("How should we keep your response?"),
        choices=[
            ("no", _("Linked to my account: I can see it later in my account")),
            (
                "yes",
                _(
                    "Anonymously: we keep your answers with no link to you once the "
                    "consultation closes"
                ),
            ),
        ],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how we should keep your response.")},
    )


class CommentForm(UswdsFormMixin, forms.Form):
    body = forms.CharField(
        label=_("Your comment"),
        help_text=_(
            "Everyone can read comments. Your first name and the initial of your last name "
            "are shown. Do not share personal details."
        ),
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": _("Enter your comment."),
            "max_length": _("Your comment must be %(limit_value)s characters or fewer."),
        },
    )


class ReplyForm(CommentForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["body"].label = _("Your reply")
        self.fields["body"].error_messages["required"] = _("Enter your reply.")


class ReportForm(UswdsFormMixin, forms.Form):
    reason = forms.ChoiceField(
        label=_("Why are you reporting this comment?"),
        choices=CommentReport.Reason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose why you are reporting this comment.")},
    )
    detail = forms.CharField(
        label=_("Anything else the moderators should know"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class StatementForm(UswdsFormMixin, forms.Form):
    text = forms.CharField(
        label=_("Your statement"),
        help_text=_(
            "One short, clear idea others can agree or disagree with, in %(limit)s characters "
            "or fewer. A moderator checks it before it is shown."
        )
        % {"limit": STATEMENT_MAX_LENGTH},
        max_length=STATEMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={
            "required": _("Enter your statement."),
            "max_length": _("Keep your statement to %(limit_value)s characters or fewer."),
        },
    )


# --------------------------------------------------------------------------- staff


class TranslatedForm(TranslatedFieldsMixin, UswdsFormMixin, BuilderForm):
    """One field per language for each ``translated`` entry, added before the USWDS
    classes are given (so those fields are styled too)."""

    def add_fields(self) -> None:
        self.add_translated_fields()


class ConsultationForm(TranslatedForm):
    translated = {
        "title": (_("Title"), True, False),
        "summary": (_("Summary (one or two sentences)"), False, True),
        "body": (_("What we are asking and why"), False, True),
    }
    agency = forms.ModelChoiceField(
        label=_("Agency running it"),
        queryset=Agency.objects.none(),
        error_messages={"required": _("Choose the agency running the consultation.")},
    )
    opens_at = forms.DateTimeField(
        label=_("Opens"),
        error_messages={
            "required": _("Enter when the consultation opens."),
            "invalid": _("Enter the opening date and time, like 2026-05-01 09:00."),
        },
        **DATETIME_WIDGET,  # type: ignore[arg-type]
    )
    closes_at = forms.DateTimeField(
        label=_("Closes"),
        error_messages={
            "required": _("Enter when the consultation closes."),
            "invalid": _("Enter the closing date and time, like 2026-06-01 17:00."),
        },
        **DATETIME_WIDGET,  # type: ignore[arg-type]
    )
    participation = forms.ChoiceField(
        label=_("Who may take part"),
        choices=Consultation.Participation.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose who may take part.")},
    )
    areas = forms.ModelMultipleChoiceField(
        label=_("Areas concerned"),
        queryset=Area.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    allow_anonymous = forms.BooleanField(label=_("People may respond anonymously"), required=False)
    opinion_map_enabled = forms.BooleanField(
        label=_("Opinion map: people vote on short statements and we show the groups"),
        required=False,
    )

    def __init__(self, *args: Any, agencies: list[Agency], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = Agency.objects.filter(  # type: ignore[attr-defined]
            pk__in=[a.pk for a in agencies]
        )
        if len(agencies) == 1:
            self.fields["agency"].initial = agencies[0].pk
        for code in LANGUAGE_CODES:
            if f"body_{code}" in self.fields:
                self.fields[f"body_{code}"].widget.attrs["rows"] = 8

    @classmethod
    def initial_for(cls, consultation: Consultation) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "agency": consultation.agency_id,
            "opens_at": consultation.opens_at,
            "closes_at": consultation.closes_at,
            "participation": consultation.participation,
            "areas": list(consultation.areas.all()),
            "allow_anonymous": consultation.allow_anonymous,
            "opinion_map_enabled": consultation.opinion_map_enabled,
        }
        for key in ("title", "summary", "body"):
            initial.update(translated_initial(key, getattr(consultation, key)))
        return initial

    def data_object(self) -> ConsultationData:
        data = self.cleaned_data
        return ConsultationData(
            title=self.translated_value("title"),
            summary=self.translated_value("summary"),
            body=self.translated_value("body"),
            opens_at=data["opens_at"],
            closes_at=data["closes_at"],
            participation=data["participation"],
            allow_anonymous=data["allow_anonymous"],
            opinion_map_enabled=data["opinion_map_enabled"],
            areas=list(data["areas"]),
        )


class QuestionForm(TranslatedForm):
    translated = {
        "label": (_("Question"), True, False),
        "help": (_("Hint (optional)"), False, False),
        "options": (
            _("Options, one per line (the same number of lines in every language)"),
            False,
            True,
        ),
        "scale_low": (_("Label of the lowest point (rating scale)"), False, False),
        "scale_high": (_("Label of the highest point (rating scale)"), False, False),
    }
    kind = forms.ChoiceField(
        label=_("Type of question"),
        choices=Question.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the type of question.")},
    )
    required = forms.BooleanField(label=_("An answer is required"), required=False)
    scale_points = forms.IntegerField(
        label=_("Points on the rating scale"),
        min_value=2,
        max_value=10,
        initial=5,
        required=False,
        help_text=_("With 5 points and no labels, we use: strongly disagree … strongly agree."),
        error_messages={
            "min_value": _("A rating scale has between 2 and 10 points."),
            "max_value": _("A rating scale has between 2 and 10 points."),
            "invalid": _("Enter a whole number of points, like 5."),
        },
    )
    condition = forms.ChoiceField(
        label=_("Ask this question only if"),
        required=False,
        help_text=_("Only answers to earlier choice questions can be used."),
    )

    def __init__(self, *args: Any, earlier: list[Question], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, Any]] = [("", _("Always ask it"))]
        for q in earlier:
            if q.kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE):
                for option in q.options:
                    choices.append(
                        (
                            f"{q.key}={option['value']}",
                            _("the answer to “%(question)s” is “%(option)s”")
                            % {"question": tr(q.label), "option": tr(option["label"])},
                        )
                    )
        self.fields["condition"].choices = choices  # type: ignore[attr-defined]
        for code in LANGUAGE_CODES:
            self.fields[f"options_{code}"].widget.attrs["rows"] = 5

    @classmethod
    def initial_for(cls, question: Question) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "kind": question.kind,
            "required": question.required,
            "scale_points": question.scale_points,
        }
        initial.update(translated_initial("label", question.label))
        initial.update(translated_initial("help", question.help_text))
        initial.update(translated_initial("scale_low", question.scale_low))
        initial.update(translated_initial("scale_high", question.scale_high))
        for code in LANGUAGE_CODES:
            initial[f"options_{code}"] = "\n".join(
                (o.get("label") or {}).get(code, "") for o in question.options
            ).strip()
        condition = question.condition or {}
        if condition.get("question") and condition.get("in"):
            initial["condition"] = f"{condition['question']}={condition['in'][0]}"
        return initial

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE, Question.Kind.RANKING):
            lines = {
                code: [
                    line.strip()
                    for line in (data.get(f"options_{code}") or "").splitlines()
                    if line.strip()
                ]
                for code in LANGUAGE_CODES
            }
            n = len(lines["en"])
            for code in LANGUAGE_CODES:
                if code != "en" and lines[code] and len(lines[code]) != n:
                    self.add_error(
                        f"options_{code}",
                        _("Give as many options as in English (%(n)s), one per line.") % {"n": n},
                    )
            data["option_lines"] = lines
        return data

    def data_object(self) -> QuestionData:
        data = self.cleaned_data
        options: list[dict[str, str]] = []
        lines = data.get("option_lines") or {}
        for i, english in enumerate(lines.get("en", [])):
            option = {"en": english}
            for code in LANGUAGE_CODES:
                if code != "en" and i < len(lines.get(code, [])):
                    option[code] = lines[code][i]
            options.append(option)
        condition: dict[str, Any] = {}
        if data.get("condition"):
            key, _sep, value = data["condition"].partition("=")
            condition = {"question": key, "in": [value]}
        return QuestionData(
            kind=data["kind"],
            label=self.translated_value("label"),
            help_text=self.translated_value("help"),
            required=bool(data.get("required")),
            options=options,
            scale_points=data.get("scale_points") or 5,
            scale_low=self.translated_value("scale_low"),
            scale_high=self.translated_value("scale_high"),
            condition=condition,
        )


class DocumentForm(TranslatedForm):
    translated = {"title": (_("Document title"), True, False)}
    file = forms.FileField(
        label=_("File (PDF, PNG or JPEG)"),
        error_messages={"required": _("Choose the file to upload.")},
    )


class SectionForm(TranslatedForm):
    translated = {"title": (_("Section heading"), True, False)}


class HideForm(UswdsFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason, shown to everyone in place of the comment"),
        max_length=300,
        error_messages={
            "required": _("Enter the reason, which everyone will see."),
            "max_length": _("The reason must be 300 characters or fewer."),
        },
    )


class RejectStatementForm(UswdsFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Why it is not shown"),
        max_length=300,
        error_messages={"required": _("Enter why the statement is not shown.")},
    )


class StaffStatementForm(TranslatedForm):
    translated = {"text": (_("Statement"), True, False)}


class OutcomeForm(TranslatedForm):
    translated = {"outcome": (_("What you told us, and what we are doing about it"), True, True)}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code in LANGUAGE_CODES:
            self.fields[f"outcome_{code}"].widget.attrs["rows"] = 8


class TagForm(UswdsFormMixin, forms.Form):
    label = forms.CharField(
        label=_("Add a tag"),
        max_length=60,
        error_messages={"required": _("Enter a tag.")},
    )
