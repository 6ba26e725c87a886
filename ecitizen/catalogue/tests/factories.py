"""Catalogue test data: complete, publishable definitions and services built through the
services (so tests exercise the same paths as the back office)."""

import copy
from typing import Any

import factory

from ecitizen.catalogue.models import Service, Topic
from ecitizen.catalogue.services import (
    service_create,
    service_version_publish,
    service_version_update,
)
from ecitizen.core.models import Agency


def t(en: str, fr: str | None = None, es: str | None = None) -> dict[str, str]:
    return {"en": en, "fr": fr if fr is not None else f"{en} (fr)", "es": es or f"{en} (es)"}


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"topic-{n}")
    name = factory.LazyAttribute(lambda o: t(o.slug.title()))


def question(qid: str, qtype: str = "text", **extra: Any) -> dict[str, Any]:
    return {"id": qid, "type": qtype, "label": t(qid.replace("_", " ").title()), **extra}


def definition(**overrides: Any) -> dict[str, Any]:
    """A valid, publishable definition: a formula fee over ``floor_area``, two pages."""
    base: dict[str, Any] = {
        "fee": {
            "kind": "formula",
            "formula": "floor_area * 250 + 10000",
            "currency": "EUR",
            "minimum": 10000,
            "maximum": None,
            "description": t("€2.50 per square metre plus €100"),
        },
        "fee_timing": "on_submit",
        "sla_working_days": 20,
        "workflow": {"second_approval": True, "refund_on_rejection": False},
        "issues": {
            "document_type": t("Building permit"),
            "permitted": t("Build what the plans show"),
            "validity_days": 730,
        },
        "form": {
            "pages": [
                {
                    "id": "site",
                    "title": t("The site"),
                    "questions": [
                        question("site_address", "address", required=True),
                        question("floor_area", "number", validation={"min": 1, "integer": True}),
                        question("has_basement", "yes_no"),
                    ],
                },
                {
                    "id": "basement",
                    "title": t("Basement"),
                    "condition": {"question": "has_basement", "equals": True},
                    "questions": [question("basement_depth", "number")],
                },
            ]
        },
    }
    base.update(copy.deepcopy(overrides))
    return base


def content(title: str = "Building permit", **overrides: Any) -> dict[str, Any]:
    values = {
        "title": t(title),
        "summary": t(f"Summary of {title}"),
        "eligibility": t("Owners"),
        "what_you_need": t("Plans"),
    }
    values.update(overrides)
    return values


def make_service(
    agency: Agency,
    *,
    slug: str = "building-permit",
    code: str = "BP",
    publish: bool = True,
    topics: list[Topic] | None = None,
    title: str | dict[str, str] = "Building permit",
    definition_overrides: dict[str, Any] | None = None,
) -> Service:
    """A service with version 1 filled in (and published unless ``publish=False``)."""
    service = service_create(actor=None, agency=agency, slug=slug, code=code, topics=topics or [])
    values = content(title) if isinstance(title, str) else {**content(), "title": title}
    draft = service_version_update(
        actor=None,
        version=service.versions.get(),
        definition=definition(**(definition_overrides or {})),
        **values,
    )
    if publish:
        service_version_publish(actor=None, version=draft)
    service.refresh_from_db()
    return service
