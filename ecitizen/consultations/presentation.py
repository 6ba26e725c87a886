"""What results pages show: each question's figures as a chart and a table, and the opinion
map's groups and common ground in plain language (shared by resident and staff pages)."""

from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ecitizen.consultations import mapping
from ecitizen.consultations.charts import Bar, bar_chart_svg
from ecitizen.consultations.models import Consultation, OpinionMapResult, Question
from ecitizen.consultations.selectors import QuestionResult, statements_by_id
from ecitizen.core.i18n import tr


def percent(share: float) -> str:
    return formats.number_format(round(100 * share), 0) + " %"


def result_view(result: QuestionResult) -> dict[str, Any]:
    """Figures for one question: rows (for the table) and an SVG chart of the same rows."""
    question = result.question
    rows = [
        {
            "label": o.label,
            "count": o.count,
            "percent": percent(o.share),
            "extra": o.extra,
        }
        for o in result.options
    ]
    chart = ""
    if rows and result.answered:
        counted = _("first choice") if question.kind == Question.Kind.RANKING else ""
        bars = [
            Bar(
                label=o.label,
                count=o.count,
                share=o.share,
                value_text=f"{o.count} ({percent(o.share)})",
            )
            for o in result.options
        ]
        description = ngettext(
            "%(n)s person answered.", "%(n)s people answered.", result.answered
        ) % {"n": result.answered}
        if counted:
            description += " " + _("Bars count first choices.")
        chart = bar_chart_svg(
            bars,
            title=tr(question.label),
            description=description,
            id_prefix=f"chart-{question.key}",
        )
    return {
        "question": question,
        "answered": result.answered,
        "rows": rows,
        "chart": chart,
        "mean": formats.number_format(result.mean, 1) if result.mean is not None else "",
        "is_text": question.kind == Question.Kind.TEXT,
        "is_ranking": question.kind == Question.Kind.RANKING,
        "is_multiple": question.kind == Question.Kind.MULTIPLE,
    }


def map_view(consultation: Consultation, stored: OpinionMapResult) -> dict[str, Any]:
    """Groups with what sets each apart, and the common ground, with statement texts."""
    texts = {pk: tr(s.text) for pk, s in statements_by_id(consultation).items()}
    groups = []
    for row in mapping.group_readings(stored.data):
        groups.append(
            {
                **row,
                "agree": [(texts.get(pk, ""), p) for pk, p in row["agree"]],
                "disagree": [(texts.get(pk, ""), p) for pk, p in row["disagree"]],
            }
        )

    def common(key: str) -> list[dict[str, Any]]:
        found = []
        for c in stored.data.get(key, []):
            probabilities = c.get("group_probabilities") or []
            lowest = round(100 * min(probabilities)) if probabilities else 0
            found.append({"text": texts.get(int(c["statement_id"]), ""), "lowest": lowest})
        return found

    return {
        "groups": groups,
        "consensus_agree": common("consensus_agree"),
        "consensus_disagree": common("consensus_disagree"),
        "clustered": stored.data.get("status") == "clustered",
        "excluded": stored.data.get("excluded", 0),
    }
