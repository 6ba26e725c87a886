"""CSV and JSON exports of a consultation's submitted responses, for staff.

One row (object) per response: its random id, the day it was sent, and one column per
question. No person, no email, no exact time: exports are for analysis, and an anonymous
response must stay anonymous in them. Choice answers are exported as option values in JSON
and as labels (in the language asked for) in CSV. Cells that a spreadsheet would run as a
formula are prefixed with an apostrophe (CSV injection).
"""

import csv
import io
import json
from typing import Any

from django.utils import timezone

from ecitizen.consultations import answers as engine
from ecitizen.consultations.models import Consultation, Question, Response
from ecitizen.consultations.selectors import export_table
from ecitizen.core.i18n import tr

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(text: str) -> str:
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def _cell(question: Question, value: Any) -> str:
    if not engine.is_answered(value):
        return ""
    if question.kind == Question.Kind.TEXT:
        return str(value)
    if question.kind == Question.Kind.SCALE:
        return str(value)
    if question.kind == Question.Kind.RANKING:
        return " > ".join(engine.option_label(question, v) for v in value)
    if isinstance(value, list):
        return "; ".join(engine.option_label(question, v) for v in value)
    return engine.option_label(question, value)


def _day(response: Response) -> str:
    sent = response.submitted_at
    return timezone.localdate(sent).isoformat() if sent else ""


def to_csv(consultation: Consultation, language: str = "en") -> str:
    questions, responses = export_table(consultation)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["response", "sent_on", *[f"{q.key}: {tr(q.label, language)}" for q in questions]]
    )
    for response in responses:
        writer.writerow(
            [
                str(response.id),
                _day(response),
                *[_safe(_cell(q, response.answers.get(q.key))) for q in questions],
            ]
        )
    return out.getvalue()


def to_json(consultation: Consultation) -> str:
    questions, responses = export_table(consultation)
    document = {
        "consultation": {
            "id": consultation.pk,
            "title": consultation.title,
            "opens_at": consultation.opens_at.isoformat(),
            "closes_at": consultation.closes_at.isoformat(),
        },
        "questions": [
            {
                "key": q.key,
                "kind": q.kind,
                "label": q.label,
                "required": q.required,
                "options": q.options,
                "scale_points": q.scale_points if q.kind == Question.Kind.SCALE else None,
                "condition": q.condition or None,
            }
            for q in questions
        ],
        "responses": [
            {"id": str(r.id), "sent_on": _day(r), "answers": r.answers} for r in responses
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2)
