"""How a service's definition reads to a resident: cost, time, what is issued, documents.
Everything is in the active language."""

from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ecitizen.catalogue.fees import FormulaError, formula_names
from ecitizen.catalogue.schema import iter_questions, question_by_id
from ecitizen.core.i18n import tr
from ecitizen.core.money import format_money

FILE_TYPE_NAMES = {
    "application/pdf": "PDF",
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/gif": "GIF",
    "image/webp": "WebP",
}


def fee_summary(definition: dict[str, Any]) -> str:
    """ "Free", "€150.00", or "From €100.00, depending on: €2.50 per square metre …"."""
    fee = definition.get("fee") or {"kind": "none"}
    kind = fee.get("kind", "none")
    if kind == "fixed":
        return format_money(int(fee["amount"]), fee.get("currency", "EUR"))
    if kind != "formula":
        return _("Free")
    depends = tr(fee.get("description")) or _formula_labels(definition)
    if fee.get("minimum"):
        return _("From %(amount)s, depending on: %(description)s") % {
            "amount": format_money(int(fee["minimum"]), fee.get("currency", "EUR")),
            "description": depends,
        }
    return _("Depends on: %(description)s") % {"description": depends}


def _formula_labels(definition: dict[str, Any]) -> str:
    try:
        names = formula_names(definition["fee"].get("formula", ""))
    except FormulaError:
        return ""
    questions = question_by_id(definition)
    labels = [tr(questions[name].get("label")) for name in sorted(names) if name in questions]
    return ", ".join(labels)


def is_free(definition: dict[str, Any]) -> bool:
    return (definition.get("fee") or {}).get("kind", "none") == "none"


def fee_timing_text(definition: dict[str, Any]) -> str:
    if is_free(definition):
        return ""
    if definition.get("fee_timing") == "on_approval":
        return _("You pay only if your application is approved.")
    return _("You pay when you send your application.")


def refund_text(definition: dict[str, Any]) -> str:
    if is_free(definition) or definition.get("fee_timing") == "on_approval":
        return ""
    if (definition.get("workflow") or {}).get("refund_on_rejection"):
        return _("If your application is refused, the fee is refunded.")
    return _("The fee is not refunded if your application is refused.")


def sla_text(days: int | None) -> str:
    if not days:
        return ""
    return ngettext("Up to %(days)d working day", "Up to %(days)d working days", days) % {
        "days": days
    }


def validity_text(days: int | None) -> str:
    if not days:
        return _("Does not expire")
    if days % 365 == 0:
        years = days // 365
        return ngettext("Valid for %(n)d year", "Valid for %(n)d years", years) % {"n": years}
    return ngettext("Valid for %(n)d day", "Valid for %(n)d days", days) % {"n": days}


@dataclass(frozen=True)
class UploadNeeded:
    label: str
    types: str
    max_size_mb: int
    max_files: int
    required: bool


def uploads_needed(definition: dict[str, Any]) -> list[UploadNeeded]:
    """The files a resident may be asked to upload, so they can prepare them."""
    result = []
    for _page, question in iter_questions(definition):
        if question.get("type") != "file":
            continue
        upload = question.get("upload") or {}
        result.append(
            UploadNeeded(
                label=tr(question.get("label")),
                types=", ".join(FILE_TYPE_NAMES.get(t, t) for t in upload.get("types", [])),
                max_size_mb=max(1, int(upload.get("max_size", 0)) // (1024 * 1024)),
                max_files=int(upload.get("max_files", 1)),
                required=bool(question.get("required")),
            )
        )
    return result


def start_url(slug: str) -> str:
    """Where "Start now" goes: the applying flow (``applications:start``)."""
    try:
        return reverse("applications:start", args=[slug])
    except NoReverseMatch:
        return f"/applications/start/{slug}/"


def text_lines(value: Any) -> list[str]:
    """Staff-written text in the active language, as its non-empty lines."""
    return [line.strip().lstrip("-•* ").strip() for line in tr(value).splitlines() if line.strip()]


def condition_text(condition: dict[str, Any] | None, definition: dict[str, Any]) -> str:
    """ "“Will there be a basement?” is Yes" — a condition in plain words ("" if none)."""
    if not condition:
        return ""
    target = question_by_id(definition).get(condition.get("question", ""), {})
    values = [condition["equals"]] if "equals" in condition else list(condition.get("in") or [])
    option_labels = {o.get("value"): tr(o.get("label")) for o in target.get("options") or []}

    def show(value: Any) -> str:
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        if target.get("type") == "money" and isinstance(value, int):
            currency = (definition.get("fee") or {}).get("currency") or "EUR"
            return format_money(value, currency)
        return option_labels.get(value) or str(value)

    label = tr(target.get("label")) or condition.get("question", "")
    shown = _(" or ").join(show(value) for value in values)
    return _("Only if “%(question)s” is %(value)s") % {"question": label, "value": shown}
