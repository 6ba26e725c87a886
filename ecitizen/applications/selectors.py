"""Reads about applications, scoped to who asks: another person's application answers 404."""

import datetime
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy

from ecitizen.accounts.models import StaffRole, User
from ecitizen.accounts.selectors import profile_for, user_has_role
from ecitizen.applications.models import Application, ApplicationEvent, Document, InfoRequest
from ecitizen.catalogue.models import ServiceVersion
from ecitizen.core.models import Area
from ecitizen.core.rows import JoinedRows, Pages, Part, fetch_count

Status = Application.Status
# Statuses in which the resident can still withdraw.
WITHDRAWABLE = (
    Status.DRAFT,
    Status.AWAITING_PAYMENT,
    Status.SUBMITTED,
    Status.INFO_REQUESTED,
    Status.AWAITING_SECOND_APPROVAL,
)


def applicant_prefill(user: User) -> dict[str, Any]:
    """What the applicant's profile already holds, by pre-fill source (see catalogue.schema):
    services never ask for it again."""
    profile = profile_for(user)
    values: dict[str, Any] = {"email": user.email}
    if profile.legal_name:
        values["legal_name"] = profile.legal_name
    if profile.phone:
        values["phone"] = profile.phone
    if profile.address_line1 and profile.town:
        area = profile.area if profile.area_id else None
        values["address"] = {
            "line1": profile.address_line1,
            "line2": profile.address_line2,
            "town": profile.town,
            "postcode": profile.postcode,
            "area": area.code if area and area.kind == Area.Kind.DISTRICT else "",
        }
    return values


def district_choices() -> list[tuple[str, str]]:
    """(code, name in the active language) of every district, for address questions."""
    return [
        (area.code, area.localized_name())
        for area in Area.objects.filter(kind=Area.Kind.DISTRICT).order_by("name")
    ]


def _with_version(queryset: QuerySet[Application]) -> QuerySet[Application]:
    return queryset.select_related("service_version", "service", "agency")


def applications_for_resident(*, user: User) -> list[Application]:
    """The resident's own applications, newest first (one query). The list shows no answers
    and no form, so neither big JSON column is loaded."""
    applications = Application.objects.filter(applicant=user).defer(
        "answers", "service_version__definition"
    )
    return list(_with_version(applications))


MINE_PER_PAGE = 20


class MineRow(NamedTuple):
    reference: str
    status: str
    updated_at: datetime.datetime
    service_version_id: int
    title: dict[str, str]  # the version's title, in each language


# A page of a resident's applications, most recently changed first (the ``(applicant,
# -updated_at, -id)`` index): written out, as "My applications" is read on every visit.
MINE_PAGE = JoinedRows(
    'SELECT {columns} FROM "applications_application" "a"'
    ' INNER JOIN "catalogue_serviceversion" "v" ON "v"."id" = "a"."service_version_id"'
    ' WHERE "a"."applicant_id" = %s ORDER BY "a"."updated_at" DESC, "a"."id" DESC'
    " LIMIT %s OFFSET %s",
    Part(Application, "a", only=("reference", "status", "updated_at", "service_version")),
    Part(ServiceVersion, "v", only=("title",)),
)


def _mine_page(user: User, limit: int, offset: int) -> list[MineRow]:
    return [
        MineRow(
            row.a_reference, row.a_status, row.a_updated_at, row.a_service_version_id, row.v_title
        )
        for row in MINE_PAGE.fetch_values([user.pk, limit, offset])
    ]


def applications_page_for_resident(
    *, user: User, page_number: Any = 1, per_page: int = MINE_PER_PAGE
) -> Page:
    """One page of the resident's own applications, the most recently changed first: a count
    and one statement for the page, as ``MineRow``s (the columns the list shows)."""
    applications = Pages(
        count=lambda: fetch_count(
            'SELECT COUNT(*) FROM "applications_application" WHERE "applicant_id" = %s',
            [user.pk],
        ),
        rows=lambda limit, offset: _mine_page(user, limit, offset),
    )
    return Paginator(applications, per_page).get_page(page_number)  # type: ignore[arg-type]


def open_draft(*, user: User, service: Any) -> Application | None:
    """The resident's own draft for a service, if one is open (applying again resumes it)."""
    return (
        Application.objects.filter(
            applicant=user, service=service, status=Status.DRAFT, assisted_by=None
        )
        .select_related("service_version", "applicant")
        .first()
    )


def drafts_started_by_agent(*, agent: User, limit: int = 20) -> list[Application]:
    """Drafts an assisted-service agent started and has not sent yet (one query)."""
    return list(
        Application.objects.filter(assisted_by=agent, status=Status.DRAFT)
        .select_related("service_version", "applicant", "applicant__profile")
        .order_by("-updated_at")[:limit]
    )


def application_for_applicant(*, user: User, reference: str) -> Application:
    """One of the resident's own applications; 404 for anyone else's."""
    application = (
        _with_version(Application.objects.filter(reference=reference, applicant=user))
        .select_related("applicant")
        .first()
    )
    if application is None:
        raise Http404
    return application


def is_assisting_agent(user: User, application: Application) -> bool:
    return application.assisted_by_id == user.pk and user_has_role(
        user, StaffRole.Role.ASSISTED_SERVICE_AGENT
    )


def application_for_editor(*, user: User, reference: str) -> Application:
    """An application the user fills in: their own, or one an assisted-service agent started
    for a resident. 404 for anyone else."""
    application = (
        _with_version(Application.objects.filter(reference=reference))
        .select_related("applicant", "assisted_by")
        .first()
    )
    if application is None:
        raise Http404
    if application.applicant_id == user.pk or is_assisting_agent(user, application):
        return application
    raise Http404


def application_detail(*, user: User, reference: str) -> Application:
    """The resident's application with its timeline (events the resident may see), documents
    and information requests: a fixed number of queries."""
    application = (
        _with_version(Application.objects.filter(reference=reference, applicant=user))
        .select_related("permit")
        .prefetch_related(
            Prefetch(
                "events",
                queryset=ApplicationEvent.objects.filter(internal=False),
                to_attr="visible_events",
            ),
            Prefetch(
                "documents",
                queryset=Document.objects.filter(removed_at__isnull=True),
                to_attr="current_documents",
            ),
            Prefetch("info_requests", to_attr="all_info_requests"),
        )
        .first()
    )
    if application is None:
        raise Http404
    return application


def application_documents(application: Application) -> list[Document]:
    return list(application.documents.filter(removed_at__isnull=True))


def open_info_request(application: Application) -> InfoRequest | None:
    return (
        application.info_requests.filter(answered_at__isnull=True).order_by("-requested_at").first()
    )


def staff_may_see(user: User, application: Application) -> bool:
    """Case officers and agency admins of the application's agency, platform admins, and the
    assisted-service agent who acted for the applicant."""
    return user_has_role(
        user,
        StaffRole.Role.CASE_OFFICER,
        StaffRole.Role.AGENCY_ADMIN,
        agency_id=application.agency_id,
    ) or is_assisting_agent(user, application)


@dataclass(frozen=True)
class DocumentAccess:
    document: Document
    by_staff: bool  # a member of staff reads a resident's document: log it


def document_for_download(*, user: User, reference: str, document_id: int) -> DocumentAccess:
    """A document of an application, for its owner or authorised staff; 404 for anyone else
    (and for a document that was removed)."""
    document = (
        Document.objects.select_related("application", "application__applicant")
        .filter(pk=document_id, application__reference=reference, removed_at__isnull=True)
        .first()
    )
    if document is None:
        raise Http404
    application = document.application
    if application.applicant_id == user.pk:
        return DocumentAccess(document, by_staff=False)
    if staff_may_see(user, application):
        return DocumentAccess(document, by_staff=True)
    raise Http404


# What the resident is expected to do next, in plain language (translated when shown).
NEXT_STEPS: dict[str, Any] = {
    Status.DRAFT: gettext_lazy("Finish your application and send it."),
    Status.AWAITING_PAYMENT: gettext_lazy(
        "Pay the fee so that we can start working on your application."
    ),
    Status.SUBMITTED: gettext_lazy("Nothing for now. We will contact you if we need anything."),
    Status.INFO_REQUESTED: gettext_lazy("Answer our request for more information."),
    Status.AWAITING_SECOND_APPROVAL: gettext_lazy(
        "Nothing for now. A second officer is checking the decision."
    ),
    Status.APPROVED: gettext_lazy("Nothing for now. Your application was approved."),
    Status.REJECTED: gettext_lazy("Nothing. Read the reason for the decision below."),
    Status.ISSUED: gettext_lazy("Download your permit and keep it safe."),
    Status.REVOKED: gettext_lazy("Your permit is no longer valid. Read the reason below."),
    Status.WITHDRAWN: gettext_lazy("Nothing. You withdrew this application."),
    Status.EXPIRED: gettext_lazy(
        "Nothing. This draft was deleted because it was not sent in time."
    ),
}


# The colour of a status tag (the classes ``includes/status_tag.html`` adds to ``usa-tag``),
# for lists that render the tag inline rather than include that template on every row.
STATUS_TAG_CLASSES: dict[str, str] = {
    Status.INFO_REQUESTED: " bg-gold text-ink",
    Status.AWAITING_PAYMENT: " bg-gold text-ink",
    Status.DRAFT: " bg-gold text-ink",
    Status.APPROVED: " bg-green",
    Status.ISSUED: " bg-green",
    Status.REJECTED: " bg-secondary-dark",
    Status.REVOKED: " bg-secondary-dark",
}


def status_tag_class(status: str) -> str:
    return STATUS_TAG_CLASSES.get(status, "")


def resident_next_step(application: Application) -> str:
    """What the resident is expected to do next, in plain language."""
    return str(NEXT_STEPS.get(application.status, ""))


def services_open_for_applications() -> list[Any]:
    """Published services, in title order (for the assisted-service agent's choice)."""
    from ecitizen.catalogue.selectors import published_services

    return published_services()
