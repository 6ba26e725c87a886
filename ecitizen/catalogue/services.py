"""Every write to the service catalogue: services, draft versions, their form, publishing.

Rules: only an agency admin of the service's agency (or a platform admin) may write;
``actor=None`` means the system itself (demo seed, management commands). A published or
retired version never changes: edits go to the service's single draft, which becomes the new
published version when it is published. Each function is atomic and writes one audit entry.
"""

import copy
import re
from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from ecitizen.accounts.models import StaffRole
from ecitizen.accounts.selectors import user_has_role
from ecitizen.audit.services import audit_record
from ecitizen.catalogue.models import Service, ServiceVersion, Topic
from ecitizen.catalogue.schema import iter_questions, validate_definition
from ecitizen.catalogue.search import normalise_search_text
from ecitizen.core.i18n import LANGUAGE_CODES, missing_languages
from ecitizen.core.models import Agency

CONTENT_FIELDS = ("title", "summary", "eligibility", "what_you_need")
DEFINITION_KEYS = ("fee", "fee_timing", "sla_working_days", "workflow", "issues")
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
CODE_PATTERN = r"^[A-Z]{2,4}$"


def empty_definition() -> dict[str, Any]:
    """What a new service starts with: free, 20 working days, no form yet."""
    return {
        "fee": {"kind": "none"},
        "fee_timing": "on_submit",
        "sla_working_days": 20,
        "workflow": {"second_approval": False, "refund_on_rejection": False},
        "issues": None,
        "form": {"pages": []},
    }


# --- permissions -------------------------------------------------------------------------


def can_administer(actor: Any, agency_id: int) -> bool:
    """May ``actor`` build and publish this agency's services? (``None`` = the system.)"""
    if actor is None:
        return True
    return user_has_role(actor, StaffRole.Role.AGENCY_ADMIN, agency_id=agency_id)


def _require_admin(actor: Any, agency_id: int) -> None:
    if not can_administer(actor, agency_id):
        raise PermissionDenied(_("Only this agency's administrators can change its services."))


# --- services ----------------------------------------------------------------------------


def _clean_text(value: Any) -> dict[str, str]:
    """A {"en", "fr", "es"} dict with trimmed text, keeping only the platform's languages."""
    value = value if isinstance(value, dict) else {}
    return {code: str(value.get(code) or "").strip() for code in LANGUAGE_CODES}


@transaction.atomic
def service_create(
    *,
    actor: Any,
    agency: Agency,
    slug: str,
    code: str,
    topics: Iterable[Topic] = (),
    title: dict[str, str] | None = None,
) -> Service:
    """A new, unpublished service with an empty draft (version 1) to build."""
    _require_admin(actor, agency.pk)
    errors: dict[str, str] = {}
    if not re.match(SLUG_PATTERN, slug or "") or len(slug) > 50:
        errors["slug"] = _(
            "Use lower-case letters, numbers and hyphens only, e.g. building-permit."
        )
    elif Service.objects.filter(slug=slug).exists():
        errors["slug"] = _("Another service already uses this web address.")
    if not re.match(CODE_PATTERN, code or ""):
        errors["code"] = _("Use 2 to 4 capital letters, e.g. BP.")
    if errors:
        raise ValidationError(errors)
    service = Service.objects.create(agency=agency, slug=slug, code=code)
    topics = list(topics)
    service.topics.set(topics)
    version = ServiceVersion.objects.create(
        service=service,
        number=1,
        title=_clean_text(title),
        definition=empty_definition(),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_record(
        actor=actor,
        action="catalogue.service.created",
        obj=service,
        data={
            "slug": slug,
            "code": code,
            "agency": agency.code,
            "topics": [t.slug for t in topics],
            "draft": version.pk,
        },
    )
    return service


@transaction.atomic
def service_update(
    *, actor: Any, service: Service, code: str | None = None, topics: Iterable[Topic] | None = None
) -> Service:
    """Change a service's reference prefix or topics (not versioned: they are not part of
    what a resident applies to). The web address (slug) never changes."""
    _require_admin(actor, service.agency_id)
    changed: dict[str, Any] = {}
    if code is not None and code != service.code:
        if not re.match(CODE_PATTERN, code):
            raise ValidationError({"code": _("Use 2 to 4 capital letters, e.g. BP.")})
        service.code = code
        service.save(update_fields=["code"])
        changed["code"] = code
    if topics is not None:
        topics = list(topics)
        service.topics.set(topics)
        changed["topics"] = sorted(t.slug for t in topics)
        _refresh_search_text(service)
    audit_record(actor=actor, action="catalogue.service.updated", obj=service, data=changed)
    return service


def _refresh_search_text(service: Service) -> None:
    version = service.published_version
    if version is None:
        text = ""
    else:
        parts: list[str] = []
        for field in (version.title, version.summary):
            parts.extend(str(field.get(code, "")) for code in LANGUAGE_CODES)
        agency = service.agency
        parts.extend([agency.name, agency.name_fr, agency.name_es, service.code])
        for topic in service.topics.all():
            parts.extend(str(topic.name.get(code, "")) for code in LANGUAGE_CODES)
        text = normalise_search_text(" | ".join(part for part in parts if part))
    Service.objects.filter(pk=service.pk).update(search_text=text)
    service.search_text = text


# --- versions ----------------------------------------------------------------------------


def _locked_draft(actor: Any, version: ServiceVersion) -> ServiceVersion:
    """The version, re-read under a row lock, if it is a draft the actor may edit."""
    fresh = (
        ServiceVersion.objects.select_for_update()
        .select_related("service", "service__agency")
        .get(pk=version.pk)
    )
    _require_admin(actor, fresh.service.agency_id)
    if fresh.status != ServiceVersion.Status.DRAFT:
        raise ValidationError(
            _("Published versions cannot be changed. Create a new draft to make changes.")
        )
    return fresh


@transaction.atomic
def service_version_create_draft(
    *, actor: Any, service: Service, copy_from: ServiceVersion | None = None
) -> ServiceVersion:
    """A new draft, copying ``copy_from`` (default: the latest version), numbered after the
    latest. A service has at most one draft at a time."""
    service = Service.objects.select_for_update().get(pk=service.pk)
    _require_admin(actor, service.agency_id)
    if service.versions.filter(status=ServiceVersion.Status.DRAFT).exists():
        raise ValidationError(
            _("This service already has a draft. Edit or discard it before starting another.")
        )
    source = copy_from or service.versions.order_by("-number").first()
    if source is not None and source.service_id != service.pk:
        raise ValidationError(_("A draft can only copy a version of the same service."))
    number = (service.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    try:
        with transaction.atomic():
            draft = ServiceVersion.objects.create(
                service=service,
                number=number,
                title=copy.deepcopy(source.title) if source else {},
                summary=copy.deepcopy(source.summary) if source else {},
                eligibility=copy.deepcopy(source.eligibility) if source else {},
                what_you_need=copy.deepcopy(source.what_you_need) if source else {},
                definition=copy.deepcopy(source.definition) if source else empty_definition(),
                created_by=actor if getattr(actor, "pk", None) else None,
            )
    except IntegrityError:  # a concurrent request created the draft first
        raise ValidationError(
            _("This service already has a draft. Edit or discard it before starting another.")
        ) from None
    audit_record(
        actor=actor,
        action="catalogue.service_version.draft_created",
        obj=draft,
        data={
            "service": service.slug,
            "number": number,
            "copy_of": source.number if source else None,
        },
    )
    return draft


@transaction.atomic
def service_version_discard(*, actor: Any, version: ServiceVersion) -> None:
    """Throw a draft away (published and retired versions are kept forever)."""
    draft = _locked_draft(actor, version)
    audit_record(
        actor=actor,
        action="catalogue.service_version.discarded",
        obj=draft,
        data={"service": draft.service.slug, "number": draft.number},
    )
    draft.delete()


def _introduced_problems(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Structural problems the change adds (a draft may be incomplete while being built,
    and problems that were already there do not block unrelated edits)."""
    existing = set(validate_definition(before, require_complete=False))
    return [e for e in validate_definition(after, require_complete=False) if e not in existing]


def _save_definition(
    *,
    actor: Any,
    version: ServiceVersion,
    action: str,
    change: Callable[[dict[str, Any]], None],
    data: dict[str, Any],
) -> ServiceVersion:
    draft = _locked_draft(actor, version)
    before = draft.definition
    after = copy.deepcopy(before)
    change(after)
    problems = _introduced_problems(before, after)
    if problems:
        raise ValidationError(problems)
    draft.definition = after
    draft.save(update_fields=["definition"])
    audit_record(
        actor=actor,
        action=action,
        obj=draft,
        data={"service": draft.service.slug, "number": draft.number, **data},
    )
    return draft


@transaction.atomic
def service_version_update(
    *, actor: Any, version: ServiceVersion, **content: Any
) -> ServiceVersion:
    """Change a draft: any of ``title``, ``summary``, ``eligibility``, ``what_you_need``
    ({"en", "fr", "es"} dicts), ``fee``, ``fee_timing``, ``sla_working_days``, ``workflow``,
    ``issues``, or a whole ``definition``. Raises ValidationError if the version is not a
    draft, or if the change would make the definition invalid."""
    unknown = set(content) - {*CONTENT_FIELDS, *DEFINITION_KEYS, "definition"}
    if unknown:
        raise TypeError(f"Unknown service version fields: {', '.join(sorted(unknown))}")
    draft = _locked_draft(actor, version)
    before = draft.definition
    after = (
        copy.deepcopy(content["definition"]) if "definition" in content else copy.deepcopy(before)
    )
    for key in DEFINITION_KEYS:
        if key in content:
            after[key] = copy.deepcopy(content[key])
    problems = _introduced_problems(before, after)
    if problems:
        raise ValidationError(problems)
    draft.definition = after
    for field in CONTENT_FIELDS:
        if field in content:
            setattr(draft, field, _clean_text(content[field]))
    draft.save()
    audit_record(
        actor=actor,
        action="catalogue.service_version.updated",
        obj=draft,
        data={"service": draft.service.slug, "number": draft.number, "fields": sorted(content)},
    )
    return draft


def publishing_problems(version: ServiceVersion) -> list[str]:
    """Everything that stops a draft being published (empty list: it can be published)."""
    problems: list[str] = []
    labels = {
        "title": _("the title"),
        "summary": _("the summary"),
        "eligibility": _("who can apply"),
        "what_you_need": _("what you need"),
    }
    for field, label in labels.items():
        missing = missing_languages(getattr(version, field))
        if missing:
            problems.append(
                _("Text for %(where)s is missing in: %(languages)s.")
                % {"where": label, "languages": ", ".join(missing)}
            )
    problems.extend(validate_definition(version.definition, for_publishing=True))
    return problems


@transaction.atomic
def service_version_publish(*, actor: Any, version: ServiceVersion) -> ServiceVersion:
    """Publish a draft: it becomes what residents see and apply to; the previously published
    version is retired (applications started under it stay bound to it)."""
    draft = _locked_draft(actor, version)
    problems = publishing_problems(draft)
    if problems:
        raise ValidationError(problems)
    service = Service.objects.select_for_update().get(pk=draft.service_id)
    previous = service.versions.filter(status=ServiceVersion.Status.PUBLISHED).first()
    if previous is not None:
        previous.status = ServiceVersion.Status.RETIRED
        previous.save(update_fields=["status"])
    draft.status = ServiceVersion.Status.PUBLISHED
    draft.published_at = timezone.now()
    draft.save(update_fields=["status", "published_at"])
    service.published_version = draft
    service.save(update_fields=["published_version"])
    _refresh_search_text(service)
    audit_record(
        actor=actor,
        action="catalogue.service_version.published",
        obj=draft,
        data={
            "service": service.slug,
            "number": draft.number,
            "retired": previous.number if previous else None,
        },
    )
    return draft


# --- the form: pages and questions of a draft ------------------------------------------


def _pages(definition: dict[str, Any]) -> list[dict[str, Any]]:
    return definition.setdefault("form", {}).setdefault("pages", [])


def _page_index(definition: dict[str, Any], page_id: str) -> int:
    for index, page in enumerate(_pages(definition)):
        if page.get("id") == page_id:
            return index
    raise ValidationError(_("There is no page “%(id)s” in this draft.") % {"id": page_id})


def _question_position(definition: dict[str, Any], question_id: str) -> tuple[int, int]:
    for page_index, page in enumerate(_pages(definition)):
        for index, question in enumerate(page.get("questions", [])):
            if question.get("id") == question_id:
                return page_index, index
    raise ValidationError(_("There is no question “%(id)s” in this draft.") % {"id": question_id})


def _check_unique_id(
    definition: dict[str, Any], new_id: str, old_id: str | None, kind: str
) -> None:
    if new_id == old_id:
        return
    if kind == "page":
        taken = {page.get("id") for page in _pages(definition)}
        message = _("Another page already has the id “%(id)s”.")
    else:
        taken = {question.get("id") for _page, question in iter_questions(definition)}
        message = _("Another question already has the id “%(id)s”.")
    if new_id in taken:
        raise ValidationError({"id": message % {"id": new_id}})


@transaction.atomic
def form_page_add(
    *,
    actor: Any,
    version: ServiceVersion,
    page_id: str,
    title: dict[str, str],
    condition: dict[str, Any] | None = None,
) -> ServiceVersion:
    """Add a page at the end of the draft's form."""

    def change(definition: dict[str, Any]) -> None:
        _check_unique_id(definition, page_id, None, "page")
        page: dict[str, Any] = {"id": page_id, "title": _clean_text(title), "questions": []}
        if condition:
            page["condition"] = condition
        _pages(definition).append(page)

    return _save_definition(
        actor=actor,
        version=version,
        action="catalogue.service_version.page_added",
        change=change,
        data={"page": page_id},
    )


@transaction.atomic
def form_page_update(
    *,
    actor: Any,
    version: ServiceVersion,
    page_id: str,
    new_id: str | None = None,
    title: dict[str, str],
    condition: dict[str, Any] | None = None,
) -> ServiceVersion:
    """Rename a page (its title, and its id if ``new_id``) and set or clear its condition."""

    def change(definition: dict[str, Any]) -> None:
        page = _pages(definition)[_page_index(definition, page_id)]
        if new_id:
            _check_unique_id(definition, new_id, page_id, "page")
            page["id"] = new_id
        page["title"] = _clean_text(title)
        if condition:
            page["condition"] = condition
        else:
            page.pop("condition", None)

    return _save_definition(
        actor=actor,
        version=version,
        action="catalogue.service_version.page_updated",
        change=change,
        data={"page": page_id, "new_id": new_id},
    )


@transaction.atomic
def form_page_delete(*, actor: Any, version: ServiceVersion, page_id: str) -> ServiceVersion:
    """Delete a page and its questions (refused if a later condition or the fee uses them)."""

    def change(definition: dict[str, Any]) -> None:
        del _pages(definition)[_page_index(definition, page_id)]

    return _save_definition(
        actor=actor,
        version=version,
        action="catalogue.service_version.page_deleted",
        change=change,
        data={"page": page_id},
    )


@transaction.atomic
def form_page_move(
    *, actor: Any, version: ServiceVersion, page_id: str, direction: str
) -> ServiceVersion:
    """Move a page one place ``"up"`` (earlier) or ``"down"`` (later)."""
    if direction not in ("up", "down"):
        raise ValueError(direction)

    def change(definition: dict[str, Any]) -> None:
        pages = _pages(definition)
        index = _page_index(definition, page_id)
        target = index - 1 if direction == "up" else index + 1
        if 0 <= target < len(pages):
            pages[index], pages[target] = pages[target], pages[index]

    return _save_definition(
        actor=actor,
        version=version,
        action="catalogue.service_version.page_moved",
        change=change,
        data={"page": page_id, "direction": direction},
    )


@transaction.atomic
def form_question_add(
    *, actor: Any, version: ServiceVersion, page_id: str, question: dict[str, Any]
) -> ServiceVersion:
    """Add a question (a dict in the shape ``schema`` describes) at the end of a page."""

    def change(definition: dict[str, Any]) -> None:
        page = _pages(definition)[_page_index(definition, page_id)]
        _check_unique_id(definition, question.get("id", ""), None, "question")
        page.setdefault("questions", []).append(copy.deepcopy(question))

    return _save_definition(
        actor=actor,
        version=version,
        action="catalogue.service_version.question_added",
        change=change,
        data={"page": page_id, "question": question.get("id"), "type": question.get("type")},
    )


@transaction.atomic
def form_question_update(
    *, actor: Any, version: ServiceVersion, question_id: str, question: dict[str, Any]
) -> ServiceVersion:
    """Replace a question where it stands (its id may change; its type may not)."""

    def change(definition: dict[str, Any]) -> None:
        page_index, index = _question_position(definition, question_id)
        questions = _pages(definition)[page_index]["questions"]
        if question.get("type") != questions[index].get("type"):
            raise ValidationError(
                _("A question's type cannot change: delete it and add a new question.")
            )
        new_id = question.get("id", "")
        _check_unique_id(definition, new_id, question_id, "question")
        questions[index] = copy.deepcopy(question)
        if new_id != question_id:
            _rename_references(definition, question_id, new_id)

    return _save_definition(
        actor=actor,
        version=version,
        action="catalogue.service_version.question_updated",
        change=change,
        data={"question": question_id, "new_id": question.get("id")},
    )


def _rename_references(definition: dict[str, Any], old: str, new: str) -> None:
    """A renamed question keeps working: conditions and the fee formula follow it."""
    for page in _pages(definition):
        for item in [page, *page.get("questions", [])]:
            condition = item.get("condition")
            if isinstance(condition, dict) and condition.get("question") == old:
                condition["question"] = new
    fee = definition.get("fee") or {}
    if fee.get("kind") == "formula" and isinstance(fee.get("formula"), str):
        fee["formula"] = re.sub(rf"\b{re.escape(old)}\b", new, fee["formula"])


@transaction.atomic
def form_question_delete(
    *, actor: Any, version: ServiceVersion, question_id: str
) -> ServiceVersion:
    """Delete a question (refused if a later condition or the fee formula uses it)."""

    def change(definition: dict[str, Any]) -> None:
        page_index, index = _question_position(definition, question_id)
        del _pages(definition)[page_index]["questions"][index]

    return _save_definition(
        actor=actor,
        version=version,
        action="catalogue.service_version.question_deleted",
        change=change,
        data={"question": question_id},
    )


@transaction.atomic
def form_question_move(
    *, actor: Any, version: ServiceVersion, question_id: str, direction: str
) -> ServiceVersion:
    """Move a question one place up or down; from the top or bottom of a page it moves to
    the end of the previous page or the start of the next one."""
    if direction not in ("up", "down"):
        raise ValueError(direction)

    def change(definition: dict[str, Any]) -> None:
        pages = _pages(definition)
        page_index, index = _question_position(definition, question_id)
        questions = pages[page_index]["questions"]
        if direction == "up":
            if index > 0:
                questions[index - 1], questions[index] = questions[index], questions[index - 1]
            elif page_index > 0:
                pages[page_index - 1].setdefault("questions", []).append(questions.pop(index))
        elif index < len(questions) - 1:
            questions[index + 1], questions[index] = questions[index], questions[index + 1]
        elif page_index < len(pages) - 1:
            pages[page_index + 1].setdefault("questions", []).insert(0, questions.pop(index))

    return _save_definition(
        actor=actor,
        version=version,
        action="catalogue.service_version.question_moved",
        change=change,
        data={"question": question_id, "direction": direction},
    )


# --- topics ------------------------------------------------------------------------------


@transaction.atomic
def topic_save(
    *,
    actor: Any,
    slug: str,
    name: dict[str, str],
    is_life_event: bool = False,
    position: int = 0,
) -> Topic:
    """Create or update a topic (platform admins only: topics are shared by all agencies)."""
    if actor is not None and not user_has_role(actor, StaffRole.Role.PLATFORM_ADMIN):
        raise PermissionDenied(_("Only platform administrators can change topics."))
    topic, created = Topic.objects.update_or_create(
        slug=slug,
        defaults={"name": _clean_text(name), "is_life_event": is_life_event, "position": position},
    )
    audit_record(
        actor=actor,
        action="catalogue.topic.created" if created else "catalogue.topic.updated",
        obj=topic,
        data={"slug": slug},
    )
    return topic
