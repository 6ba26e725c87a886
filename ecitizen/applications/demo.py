"""Demo applications in every state, so "My applications" and the back office show real work
from the first start. Runs after the accounts and the catalogue are seeded (``seed_demo``).

Everything goes through the services a resident, an agent, a payment or a case officer would
use: ``application_start`` / ``application_answers_save`` / ``application_submit``, the
payments services, and case work (``ecitizen.applications.casework``: claim, request
information, approve — with the second approval where the service requires it —, reject,
issue, revoke). Decided cases are claimed by the agency's first case officer (the platform
admin where an agency has none); the second approval is given by its second officer.
Demo-only: the answers are generated from each service's definition. Idempotent: a demo
resident who already has applications is skipped.
"""

import datetime
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from ecitizen.accounts.models import StaffRole, User
from ecitizen.accounts.selectors import profile_for
from ecitizen.applications import casework, engine
from ecitizen.applications.models import Application
from ecitizen.applications.selectors import applicant_prefill
from ecitizen.applications.services import (
    application_answers_save,
    application_start,
    application_submit,
)
from ecitizen.applications.uploads import validate_upload
from ecitizen.catalogue.models import Service
from ecitizen.core.i18n import tr

log = logging.getLogger("ecitizen.applications")
Status = Application.Status

RESIDENT = "resident@demo.ecitizen.example"
RESIDENT2 = "resident2@demo.ecitizen.example"
AGENT = "agent@demo.ecitizen.example"
PLATFORM_ADMIN = "admin@demo.ecitizen.example"

# A small, valid one-page PDF used for every demo upload.
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)

# Answers that a generic value would not satisfy (patterns) or that read better.
SAMPLE_VALUES: dict[str, Any] = {
    "microchip": "250269606123456",
    "registration_number": "AB-123-CD",
    "dog_name": "Biscuit",
    "breed": "Border collie",
    "business_name": "Riverside Bakery",
    "event_name": "Riverside summer fair",
    "full_name": "Amara Okafor",
    "place_of_birth": "Metropolis",
    "floor_area": 120,
    "storeys": 2,
    "months": 6,
    "copies": 2,
    "attendance": 400,
    "employees": 3,
    "stall_width": 3,
    "household": 2,
    "turnover": 8_500_000,
}


@dataclass
class Plan:
    """One demo application: which service, for whom, and how far it goes."""

    email: str
    service: str
    status: str
    assisted: bool = False
    reason: dict[str, str] = field(default_factory=dict)  # staff write in the resident's language
    info: dict[str, str] = field(default_factory=dict)


def t(en: str, fr: str, es: str) -> dict[str, str]:
    return {"en": en, "fr": fr, "es": es}


PLANS = [
    Plan(RESIDENT, "building-permit", Status.DRAFT),
    Plan(RESIDENT, "dog-licence", Status.AWAITING_PAYMENT),
    Plan(RESIDENT, "business-licence", Status.SUBMITTED),
    Plan(
        RESIDENT,
        "street-trading-permit",
        Status.INFO_REQUESTED,
        info=t(
            "Please send a photo of your stall, showing its width.",
            "Merci d'envoyer une photo de votre étal montrant sa largeur.",
            "Envíe una foto de su puesto en la que se vea su anchura.",
        ),
    ),
    Plan(
        RESIDENT,
        "residential-parking-permit",
        Status.APPROVED,
        reason=t(
            "You live in the permit zone.",
            "Vous habitez dans la zone du permis.",
            "Usted vive en la zona del permiso.",
        ),
    ),
    Plan(
        RESIDENT,
        "event-permit",
        Status.ISSUED,
        reason=t(
            "The event plan is safe.",
            "Le plan de l'événement est sûr.",
            "El plan del evento es seguro.",
        ),
    ),
    Plan(
        RESIDENT,
        "birth-certificate-copy",
        Status.REJECTED,
        reason=t(
            "We could not find a birth record matching these details.",
            "Nous n'avons trouvé aucun acte de naissance correspondant à ces informations.",
            "No encontramos ninguna partida de nacimiento que coincida con estos datos.",
        ),
    ),
    Plan(RESIDENT2, "change-of-address", Status.SUBMITTED, assisted=True),
    Plan(
        RESIDENT2,
        "building-permit",
        Status.AWAITING_SECOND_APPROVAL,  # the service needs two officers' approval
        reason=t(
            "The extension meets the planning rules.",
            "L'extension respecte les règles d'urbanisme.",
            "La ampliación cumple las normas urbanísticas.",
        ),
    ),
    Plan(RESIDENT2, "business-licence", Status.DRAFT),
    Plan(
        RESIDENT2,
        "dog-licence",
        Status.REVOKED,
        reason=t(
            "The licence was issued for a dog that is not registered to you.",
            "La licence a été délivrée pour un chien qui n'est pas enregistré à votre nom.",
            "La licencia se expidió para un perro que no está registrado a su nombre.",
        ),
    ),
    Plan(RESIDENT2, "event-permit", Status.WITHDRAWN),
]


def sample_value(question: dict[str, Any], applicant: User, prefill: dict[str, Any]) -> Any:
    """A plausible answer for a question, within its validation rules."""
    qid, qtype = question["id"], question["type"]
    rules = question.get("validation") or {}
    if qid in SAMPLE_VALUES:
        return SAMPLE_VALUES[qid]
    today = timezone.localdate()
    match qtype:
        case "text":
            text = "Demo answer"[: rules.get("max_length") or 200]
            return text.ljust(rules.get("min_length") or 0, ".")
        case "long_text":
            text = "A short description written for the demonstration of this service."
            return text[: rules.get("max_length") or 5000]
        case "number":
            value = max(int(rules.get("min") or 1), 1)
            return value if rules.get("max") is None else min(value, rules["max"])
        case "money":
            return int(rules.get("min") or 100_000)
        case "date":
            if rules.get("max_date"):  # a date in the past (a birth, a move)
                day = today - datetime.timedelta(days=400)
                return max(day, engine.resolve_date(rules.get("min_date")) or day).isoformat()
            return (today + datetime.timedelta(days=45)).isoformat()
        case "yes_no":
            return False
        case "single_choice":
            return question["options"][0]["value"]
        case "multiple_choice":
            return [question["options"][0]["value"]]
        case "address":
            return prefill.get("address") or {
                "line1": "12 Harbour Road",
                "line2": "",
                "town": "Metropolis",
                "postcode": "75010",
                "area": "harbour",
            }
        case "email":
            return applicant.email
        case "phone":
            return prefill.get("phone") or "+33 6 12 34 56 78"
    return None


def _fill(application: Application, actor: User, *, complete: bool) -> None:
    """Answer the pages in order (only the first one for an unfinished draft)."""
    definition = application.service_version.definition
    prefill = applicant_prefill(application.applicant)
    for form_page in engine.pages(definition):
        merged = engine.effective_answers(definition, application.answers, prefill)
        if not engine.condition_met(form_page.get("condition"), merged):
            continue
        answers: dict[str, Any] = {}
        uploads: dict[str, list[Any]] = {}
        for question in engine.questions_to_ask(form_page, merged, prefill):
            if not engine.condition_met(question.get("condition"), {**merged, **answers}):
                continue
            if question["type"] == "file":
                upload = SimpleUploadedFile(f"{question['id'].replace('_', '-')}.pdf", DEMO_PDF)
                uploads[question["id"]] = [validate_upload(upload, max_size=10**6)]
                answers[question["id"]] = []
                continue
            answers[question["id"]] = sample_value(question, application.applicant, prefill)
        if answers or uploads:
            application_answers_save(
                actor=actor,
                application=application,
                page_id=form_page["id"],
                answers=answers,
                uploads=uploads,
            )
        if not complete:
            return


def _pay(application: Application) -> None:
    """Pay through the payments services, as the sandbox provider's notification would."""
    from ecitizen.payments.providers import ProviderEvent, get_provider
    from ecitizen.payments.services import payment_apply_outcome, payment_start

    payment = payment_start(
        actor=application.applicant,
        application=application,
        idempotency_key=f"demo-{application.reference}",
    )
    # Open the payment at the provider, as the checkout page would: a refund (on rejection)
    # asks the provider to give back what it took.
    get_provider(payment.provider).checkout_url(payment)
    payment_apply_outcome(
        provider=payment.provider,
        event=ProviderEvent(
            event_id=f"demo-{application.reference}",
            payment_reference=payment.reference,
            outcome="succeeded",
            provider_reference=f"demo-{application.reference}",
            method="card",
            amount=payment.amount,
            currency=payment.currency,
        ),
    )
    application.refresh_from_db()


def _officers(agency_id: int) -> list[User]:
    """The agency's case officers (oldest first: officer@ before officer2@), or the platform
    admin where the agency has none."""
    officers = list(
        User.objects.filter(
            staff_roles__agency_id=agency_id, staff_roles__role=StaffRole.Role.CASE_OFFICER
        ).order_by("pk")
    )
    admin = User.objects.filter(email=PLATFORM_ADMIN).first()
    return officers or ([admin] if admin else [])


def _decide(application: Application, plan: Plan) -> None:
    """Take the application as far as the plan says, the way staff would."""
    from ecitizen.payments.services import amount_due

    language = profile_for(application.applicant).preferred_language
    info, reason = tr(plan.info, language), tr(plan.reason, language)

    if plan.status == Status.WITHDRAWN:
        from ecitizen.applications.services import application_withdraw

        application_withdraw(
            actor=application.applicant,
            application=application,
            reason=tr(
                t("Plans changed.", "Mes projets ont changé.", "Cambié de planes."), language
            ),
        )
        return
    officers = _officers(application.agency_id)
    if not officers:
        log.warning("no demo officer for %s: left waiting", application.reference)
        return
    officer = officers[0]
    casework.case_claim(actor=officer, application=application)
    if plan.status == Status.INFO_REQUESTED:
        casework.case_request_info(actor=officer, application=application, message=info)
        return
    if plan.status == Status.REJECTED:
        casework.case_reject(actor=officer, application=application, reason=reason)
        return
    keep_reason = plan.status in (Status.AWAITING_SECOND_APPROVAL, Status.APPROVED, Status.ISSUED)
    casework.case_approve(
        actor=officer, application=application, reason=reason if keep_reason else ""
    )
    if plan.status == Status.AWAITING_SECOND_APPROVAL:
        return
    if application.status == Status.AWAITING_SECOND_APPROVAL and len(officers) > 1:
        casework.case_approve(actor=officers[1], application=application)
    if plan.status in (Status.ISSUED, Status.REVOKED):
        if amount_due(application) > 0:  # a fee due on approval
            _pay(application)
        casework.case_issue(actor=officer, application=application)
        if plan.status == Status.REVOKED:
            casework.case_revoke(actor=officer, application=application, reason=reason)


@transaction.atomic
def _seed_plan(plan: Plan) -> Application | None:
    applicant = User.objects.filter(email=plan.email).first()
    service = (
        Service.objects.select_related("published_version", "agency")
        .filter(slug=plan.service, published_version__isnull=False)
        .first()
    )
    if applicant is None or service is None:
        return None
    agent = User.objects.filter(email=AGENT).first() if plan.assisted else None
    actor = agent or applicant
    application = application_start(
        actor=actor,
        service=service,
        applicant=applicant,
        consent_note="Agreed in person at the Riverside counter; identity card checked."
        if agent
        else "",
    )
    _fill(application, actor, complete=plan.status != Status.DRAFT)
    if plan.status == Status.DRAFT:
        return application
    application_submit(actor=actor, application=application, idempotency_key=str(uuid.uuid4()))
    application.refresh_from_db()
    if plan.status == Status.AWAITING_PAYMENT:
        return application
    if application.status == Status.AWAITING_PAYMENT:
        _pay(application)
    if plan.status != Status.SUBMITTED:
        _decide(application, plan)
    return application


def seed() -> None:
    """Create the demo applications of each demo resident who has none yet."""
    residents_done = set(
        Application.objects.filter(applicant__email__in=[RESIDENT, RESIDENT2])
        .values_list("applicant__email", flat=True)
        .distinct()
    )
    for plan in PLANS:
        if plan.email in residents_done:
            continue
        try:
            _seed_plan(plan)
        except Exception:  # one broken demo service must not stop the others
            log.exception("demo application %s for %s failed", plan.service, plan.email)
