"""Applications test data: a service whose form asks every question type, residents with a
profile, and drafts built through the services."""

import copy
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from ecitizen.accounts.models import User
from ecitizen.accounts.tests.factories import AgencyFactory, AreaFactory, UserFactory
from ecitizen.applications.models import Application
from ecitizen.applications.services import application_answers_save, application_start
from ecitizen.catalogue.models import Service, ServiceVersion

PDF_BYTES = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
JPEG_BYTES = b"\xff\xd8\xff\xe0" + b"\x00" * 40
GIF_BYTES = b"GIF89a" + b"\x00" * 40
WEBP_BYTES = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 40
EXE_BYTES = b"MZ\x90\x00" + b"\x00" * 60


def t(en: str) -> dict[str, str]:
    return {"en": en, "fr": f"{en} (fr)", "es": f"{en} (es)"}


def option(value: str) -> dict[str, Any]:
    return {"value": value, "label": t(value.title())}


# Every question type, every validation rule, a same-page condition, a conditional page and
# once-only pre-fill.
DEFINITION: dict[str, Any] = {
    "fee": {"kind": "none"},
    "fee_timing": "on_submit",
    "sla_working_days": 10,
    "workflow": {"second_approval": False, "refund_on_rejection": False},
    "issues": None,
    "form": {
        "pages": [
            {
                "id": "you",
                "title": t("About you"),
                "questions": [
                    {
                        "id": "full_name",
                        "type": "text",
                        "label": t("Full name"),
                        "required": True,
                        "prefill": "legal_name",
                    },
                    {
                        "id": "contact_email",
                        "type": "email",
                        "label": t("Email"),
                        "required": True,
                        "prefill": "email",
                    },
                    {
                        "id": "contact_phone",
                        "type": "phone",
                        "label": t("Phone"),
                        "required": False,
                        "prefill": "phone",
                    },
                ],
            },
            {
                "id": "site",
                "title": t("The site"),
                "questions": [
                    {
                        "id": "site_address",
                        "type": "address",
                        "label": t("Site address"),
                        "required": True,
                        "prefill": "address",
                    },
                    {
                        "id": "parcel",
                        "type": "text",
                        "label": t("Parcel number"),
                        "help": t("<b>Two</b> capital letters then digits"),
                        "required": True,
                        "validation": {
                            "min_length": 3,
                            "max_length": 10,
                            "pattern": "^[A-Z]{2}[0-9]+$",
                        },
                    },
                ],
            },
            {
                "id": "works",
                "title": t("The works"),
                "questions": [
                    {
                        "id": "floor_area",
                        "type": "number",
                        "label": t("Floor area"),
                        "required": True,
                        "validation": {"min": 1, "max": 10000, "integer": True},
                    },
                    {
                        "id": "budget",
                        "type": "money",
                        "label": t("Budget"),
                        "required": True,
                        "validation": {"min": 10000, "max": 100000000},
                    },
                    {
                        "id": "start_date",
                        "type": "date",
                        "label": t("Start date"),
                        "required": True,
                        "validation": {"min_date": "today", "max_date": "2099-12-31"},
                    },
                    {
                        "id": "use",
                        "type": "single_choice",
                        "label": t("Use"),
                        "required": True,
                        "options": [option("home"), option("shop"), option("office")],
                    },
                    {
                        "id": "features",
                        "type": "multiple_choice",
                        "label": t("Features"),
                        "required": False,
                        "options": [option("solar"), option("garden"), option("pool")],
                        "validation": {"min_choices": 1, "max_choices": 2},
                    },
                    {
                        "id": "description",
                        "type": "long_text",
                        "label": t("Description"),
                        "required": True,
                        "validation": {"max_length": 500},
                    },
                ],
            },
            {
                "id": "garage",
                "title": t("Garage"),
                "questions": [
                    {
                        "id": "has_garage",
                        "type": "yes_no",
                        "label": t("Is there a garage?"),
                        "required": True,
                    },
                    {
                        "id": "garage_area",
                        "type": "number",
                        "label": t("Garage area"),
                        "required": True,
                        "condition": {"question": "has_garage", "equals": True},
                    },
                ],
            },
            {
                "id": "shop",
                "title": t("The shop"),
                "condition": {"question": "use", "in": ["shop", "office"]},
                "questions": [
                    {
                        "id": "opening_hours",
                        "type": "text",
                        "label": t("Opening hours"),
                        "required": True,
                    },
                ],
            },
            {
                "id": "plans",
                "title": t("Plans"),
                "questions": [
                    {
                        "id": "drawings",
                        "type": "file",
                        "label": t("Drawings"),
                        "required": True,
                        "upload": {
                            "types": ["application/pdf", "image/png"],
                            "max_size": 1024,
                            "max_files": 2,
                        },
                    },
                ],
            },
        ]
    },
}

# What a resident types on each page (the "you" page is pre-filled from the profile).
PAGE_POSTS: dict[str, dict[str, Any]] = {
    "site": {"parcel": "AB123"},
    "works": {
        "floor_area": "120",
        "budget": "1,250.50",
        "start_date": "2099-01-15",
        "use": "home",
        "features": ["solar"],
        "description": "A small extension at the back.",
    },
    "garage": {"has_garage": "no"},
}


def make_service(
    definition: dict[str, Any] | None = None,
    *,
    code: str = "BP",
    slug: str | None = None,
    **fee: Any,
) -> Service:
    """A published service (version 1) of a new agency."""
    definition = copy.deepcopy(definition or DEFINITION)
    if fee:
        definition.update(fee)
    agency = AgencyFactory()
    service = Service.objects.create(agency=agency, slug=slug or f"permit-{agency.pk}", code=code)
    version = ServiceVersion.objects.create(
        service=service,
        number=1,
        status=ServiceVersion.Status.PUBLISHED,
        title=t("Building permit"),
        summary=t("Apply to build or extend."),
        what_you_need=t("Your plans as a PDF."),
        definition=definition,
    )
    service.published_version = version
    service.save(update_fields=["published_version"])
    return service


def make_resident(**profile: Any) -> User:
    """A resident whose profile holds a name, a phone number and a full address."""
    user = UserFactory()
    area = AreaFactory(code="riverside", name="Riverside")
    values = {
        "legal_name": "Amara Okafor",
        "phone": "+33 6 12 34 56 78",
        "address_line1": "1 River Street",
        "town": "Metropolis",
        "postcode": "75001",
        "area": area,
        **profile,
    }
    for name, value in values.items():
        setattr(user.profile, name, value)
    user.profile.save()
    return user


def pdf_upload(name: str = "plan.pdf", content: bytes = PDF_BYTES) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def complete_draft(resident: User, service: Service, *, actor: User | None = None) -> Application:
    """A draft with every required answer, through the services."""
    from ecitizen.applications.uploads import validate_upload

    application = application_start(
        actor=actor or resident,
        service=service,
        applicant=resident,
        consent_note="Agreed at the counter" if actor else "",
    )
    answers = {
        "site": {"parcel": "AB123"},
        "works": {
            "floor_area": 120,
            "budget": 125050,
            "start_date": "2099-01-15",
            "use": "home",
            "features": ["solar"],
            "description": "A small extension at the back.",
        },
        "garage": {"has_garage": False},
    }
    for page_id, page_answers in answers.items():
        application_answers_save(
            actor=actor or resident, application=application, page_id=page_id, answers=page_answers
        )
    application_answers_save(
        actor=actor or resident,
        application=application,
        page_id="plans",
        answers={"drawings": []},
        uploads={
            "drawings": [
                validate_upload(pdf_upload(), allowed_types=["application/pdf"], max_size=1024)
            ]
        },
    )
    application.refresh_from_db()
    return application
