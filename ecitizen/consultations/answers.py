"""The survey engine: which questions are asked, the form for one question, answers as JSON.

==============  ====================================================================
question kind   answer stored under the question's ``key``
==============  ====================================================================
text            ``str`` (up to 5,000 characters)
single          the chosen option's ``value``
multiple        ``list`` of option values, in the options' order
ranking         ``list`` of every option value, most preferred first
scale           ``int`` from 1 to ``scale_points``
==============  ====================================================================

An unanswered question has no key. A question with a ``condition`` (``{"question": key,
"in": [values]}``, on an earlier choice question) is asked only when the answer to that
question is one of the values (``ecitizen.catalogue.schema.condition_met``, shared with the
service forms); answers to questions that end up hidden are dropped when the response is
sent.
"""

from collections.abc import Iterable, Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from ecitizen.catalogue.schema import condition_met
from ecitizen.consultations.models import Question
from ecitizen.core.forms import UswdsFormMixin
from ecitizen.core.i18n import tr

Answers = dict[str, Any]
Kind = Question.Kind
TEXT_MAX_LENGTH = 5000

#: Built-in labels of a five-point scale when staff give none (Likert).
LIKERT_5 = (
    _lazy("Strongly disagree"),
    _lazy("Disagree"),
    _lazy("Neither agree nor disagree"),
    _lazy("Agree"),
    _lazy("Strongly agree"),
)


def is_answered(value: Any) -> bool:
    return value not in (None, "", [], {})


def visible_questions(questions: Iterable[Question], answers: Answers) -> list[Question]:
    """The questions asked, given the answers so far (conditions on earlier questions)."""
    shown: list[Question] = []
    seen: Answers = {}
    for question in questions:
        if condition_met(question.condition or None, seen):
            shown.append(question)
            if question.key in answers:
                seen[question.key] = answers[question.key]
    return shown


def option_values(question: Question) -> list[str]:
    return [str(option["value"]) for option in question.options or []]


def option_label(question: Question, value: Any) -> str:
    for option in question.options or []:
        if str(option["value"]) == str(value):
            return tr(option.get("label"))
    return str(value)


def scale_labels(question: Question) -> list[str]:
    """A label for each point of a rating scale, lowest first."""
    points = question.scale_points
    low, high = tr(question.scale_low), tr(question.scale_high)
    if points == 5 and not low and not high:
        return [f"{i} – {label}" for i, label in enumerate(LIKERT_5, start=1)]
    labels = [str(i) for i in range(1, points + 1)]
    if low:
        labels[0] = f"1 – {low}"
    if high:
        labels[-1] = f"{points} – {high}"
    return labels


def clean_value(question: Question, value: Any) -> Any:
    """The answer in its stored shape, or ``None`` when empty; ``ValueError`` if it cannot be
    an answer to this question (the forms never send such a value: this guards the service)."""
    if not is_answered(value):
        return None
    values = option_values(question)
    if question.kind == Kind.TEXT:
        text = str(value).strip()
        if len(text) > TEXT_MAX_LENGTH:
            raise ValueError("answer too long")
        return text or None
    if question.kind == Kind.SINGLE:
        if str(value) not in values:
            raise ValueError("not an option")
        return str(value)
    if question.kind == Kind.MULTIPLE:
        chosen = {str(v) for v in (value if isinstance(value, list) else [value])}
        if not chosen <= set(values):
            raise ValueError("not an option")
        return [v for v in values if v in chosen]
    if question.kind == Kind.RANKING:
        ranked = [str(v) for v in value] if isinstance(value, list) else []
        if sorted(ranked) != sorted(values):
            raise ValueError("a ranking orders every option once")
        return ranked
    if question.kind == Kind.SCALE:
        try:
            point = int(value)
        except (TypeError, ValueError):
            raise ValueError("not a point of the scale") from None
        if not 1 <= point <= question.scale_points:
            raise ValueError("not a point of the scale")
        return point
    raise ValueError(f"unknown question kind {question.kind}")


def display_answer(question: Question, value: Any) -> list[str]:
    """The answer as lines of text, for "check your answers" and the resident's own copy."""
    if not is_answered(value):
        return []
    if question.kind == Kind.TEXT:
        return [str(value)]
    if question.kind == Kind.SCALE:
        labels = scale_labels(question)
        point = int(value)
        return [labels[point - 1] if 1 <= point <= len(labels) else str(value)]
    if question.kind == Kind.RANKING:
        return [f"{i}. {option_label(question, v)}" for i, v in enumerate(value, start=1)]
    if isinstance(value, list):
        return [option_label(question, v) for v in value]
    return [option_label(question, value)]


def missing_required(questions: Sequence[Question], answers: Answers) -> list[Question]:
    return [
        q
        for q in visible_questions(questions, answers)
        if q.required and not is_answered(answers.get(q.key))
    ]


def required_message(question: Question) -> str:
    label = tr(question.label)
    if question.kind == Kind.TEXT:
        return _("Enter your answer to “%(question)s”.") % {"question": label}
    if question.kind == Kind.MULTIPLE:
        return _("Select at least one answer to “%(question)s”.") % {"question": label}
    if question.kind == Kind.RANKING:
        return _("Rank every option for “%(question)s”.") % {"question": label}
    return _("Select an answer to “%(question)s”.") % {"question": label}


# --------------------------------------------------------------------------- one question


class AnswerForm(UswdsFormMixin, forms.Form):
    """The form for one question (one question per page, as GOV.UK forms do). ``answer`` is
    the field, except for rankings: one ``rank_<n>`` select per option."""

    def __init__(
        self,
        *args: Any,
        question: Question,
        initial_value: Any = None,
        enforce_required: bool = True,
        **kwargs: Any,
    ) -> None:
        self.question = question
        self.enforce_required = enforce_required
        initial = kwargs.pop("initial", None) or {}
        kind = question.kind
        if kind == Kind.RANKING and isinstance(initial_value, list):
            values = option_values(question)
            for rank, value in enumerate(initial_value, start=1):
                if value in values:
                    initial[f"rank_{values.index(value)}"] = str(rank)
        elif initial_value is not None:
            initial["answer"] = initial_value
        super().__init__(*args, initial=initial, **kwargs)
        label = tr(question.label)
        help_text = tr(question.help_text)
        choices = [(str(o["value"]), tr(o.get("label"))) for o in question.options or []]
        if kind == Kind.TEXT:
            field: forms.Field = forms.CharField(
                widget=forms.Textarea(attrs={"rows": 6}),
                max_length=TEXT_MAX_LENGTH,
                error_messages={
                    "max_length": _("Your answer must be %(limit)s characters or fewer.")
                    % {"limit": TEXT_MAX_LENGTH}
                },
            )
        elif kind == Kind.SINGLE:
            field = forms.ChoiceField(choices=choices, widget=forms.RadioSelect)
        elif kind == Kind.SCALE:
            field = forms.TypedChoiceField(
                choices=[(str(i), text) for i, text in enumerate(scale_labels(question), 1)],
                coerce=int,
                widget=forms.RadioSelect,
            )
        elif kind == Kind.MULTIPLE:
            field = forms.MultipleChoiceField(choices=choices, widget=forms.CheckboxSelectMultiple)
        else:
            field = None  # type: ignore[assignment]
        if field is not None:
            field.label = label
            field.help_text = help_text
            field.required = False  # required-ness is checked in clean(), with our message
            self.fields["answer"] = field
        else:
            ranks = [("", _("Choose a rank"))] + [
                (str(i), str(i)) for i in range(1, len(choices) + 1)
            ]
            for index, (_value, option) in enumerate(choices):
                self.fields[f"rank_{index}"] = forms.ChoiceField(
                    label=option, choices=ranks, required=False
                )

    @property
    def rank_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("rank_")]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        question = self.question
        if question.kind == Kind.RANKING:
            values = option_values(question)
            ranks = {i: data.get(f"rank_{i}") for i in range(len(values))}
            given = {i: int(r) for i, r in ranks.items() if r}
            if not given:
                if question.required and self.enforce_required:
                    self.add_error("rank_0", required_message(question))
                data["value"] = None
                return data
            if len(given) != len(values) or len(set(given.values())) != len(values):
                self.add_error(
                    "rank_0",
                    _("Give each option a different rank, from 1 (most preferred) to %(n)s.")
                    % {"n": len(values)},
                )
                return data
            data["value"] = [values[i] for i in sorted(given, key=lambda i: given[i])]
            return data
        value = data.get("answer")
        if not is_answered(value):
            if question.required and self.enforce_required and "answer" not in self.errors:
                self.add_error("answer", required_message(question))
            data["value"] = None
        else:
            data["value"] = value.strip() if isinstance(value, str) else value
        return data
