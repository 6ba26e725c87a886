"""Reads for staff case work, scoped to the requester: the work queue of an agency, one case
with everything needed to decide it, and the SLA state of each case.

Deny by default: only case officers and agency admins of the application's agency (and
platform admins) see a case; anyone else gets 404. The queue runs a fixed number of queries
whatever the number of cases (filters, paging, SLA state per row).
"""

import datetime
import json
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Prefetch, Q, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ecitizen.accounts.models import Profile, StaffRole, User
from ecitizen.accounts.selectors import staff_roles, user_has_role
from ecitizen.applications import case_counts, engine
from ecitizen.applications.casework import (
    CASE_ROLES,
    WORKABLE,
    can_work_on,
    is_agency_admin,
    requires_second_approval,
    staff_name,
)
from ecitizen.applications.models import (
    Application,
    ApplicationEvent,
    Document,
    InternalNote,
)
from ecitizen.applications.selectors import district_choices, status_tag_class
from ecitizen.applications.timeline import EVENT_LABELS
from ecitizen.catalogue.models import ServiceVersion
from ecitizen.core.i18n import tr
from ecitizen.core.models import Agency
from ecitizen.core.rows import JoinedRows, Pages, Part, fetch_count
from ecitizen.core.workdays import add_working_days, public_holidays, working_days_between
from ecitizen.payments.models import LedgerEntry, Payment

Status = Application.Status
Role = StaffRole.Role
PER_PAGE = 25
DUE_SOON_WORKING_DAYS = 2
# Never submitted: not a case.
NOT_CASES = (Status.DRAFT, Status.EXPIRED)

STATUS_FILTERS: list[tuple[str, Any]] = [
    ("", gettext_lazy("Open cases (waiting for a decision)")),
    (Status.SUBMITTED, Status.SUBMITTED.label),
    (Status.INFO_REQUESTED, gettext_lazy("Waiting for information from the resident")),
    (Status.AWAITING_SECOND_APPROVAL, Status.AWAITING_SECOND_APPROVAL.label),
    (Status.APPROVED, gettext_lazy("Approved (to issue)")),
    (Status.ISSUED, Status.ISSUED.label),
    (Status.REJECTED, Status.REJECTED.label),
    (Status.REVOKED, Status.REVOKED.label),
    (Status.WITHDRAWN, Status.WITHDRAWN.label),
    (Status.AWAITING_PAYMENT, gettext_lazy("Waiting for payment (not yet submitted)")),
    ("all", gettext_lazy("All")),
]
SLA_FILTERS: list[tuple[str, Any]] = [
    ("", gettext_lazy("Any")),
    ("overdue", gettext_lazy("Overdue")),
    ("due_soon", gettext_lazy("Due within 2 working days")),
    ("on_track", gettext_lazy("On track")),
    ("paused", gettext_lazy("Paused (waiting for the resident)")),
]

# How staff read the timeline (residents read ``timeline.EVENT_LABELS``).
STAFF_EVENT_LABELS = {
    "started": gettext_lazy("Draft started"),
    "submitted": gettext_lazy("Submitted"),
    "payment_requested": gettext_lazy("Sent, waiting for payment"),
    "paid": gettext_lazy("Payment received"),
    "assigned": gettext_lazy("Assigned"),
    "reassigned": gettext_lazy("Reassigned"),
    "released": gettext_lazy("Released to the queue"),
    "note_added": gettext_lazy("Internal note added"),
    "info_requested": gettext_lazy("Information requested from the resident"),
    "info_provided": gettext_lazy("The resident sent information"),
    "second_approval_requested": gettext_lazy("First approval: waiting for a second officer"),
    "returned": gettext_lazy("Sent back by the second officer"),
    "approved": gettext_lazy("Approved"),
    "rejected": gettext_lazy("Rejected"),
    "refunded": gettext_lazy("Fee refunded"),
    "issued": gettext_lazy("Permit issued"),
    "revoked": gettext_lazy("Permit revoked"),
    "withdrawn": gettext_lazy("Withdrawn by the resident"),
}


# --- agencies and SLA ------------------------------------------------------------------------


def case_agencies(user: User) -> list[Agency]:
    """Agencies whose cases this member of staff works on (every agency for platform admins)."""
    if user_has_role(user, Role.PLATFORM_ADMIN):
        return list(Agency.objects.order_by("name"))
    agencies = {
        role.agency_id: role.agency
        for role in staff_roles(user)
        if role.role in CASE_ROLES and role.agency is not None
    }
    return sorted(agencies.values(), key=lambda agency: agency.name)


SLA_TAG_CLASSES = {
    "overdue": " bg-secondary-dark",
    "due_soon": " bg-gold text-ink",
    "on_track": " bg-green",
}


@dataclass(frozen=True)
class SlaState:
    code: str  # "overdue" | "due_soon" | "on_track" | "paused" | "" (no clock: decided)
    label: str
    working_days: int | None = None  # left (negative: late by)

    @property
    def tag_class(self) -> str:
        """The classes ``backoffice/cases/_sla_tag.html`` adds to ``usa-tag``."""
        return SLA_TAG_CLASSES.get(self.code, " bg-base-lighter text-ink")


def sla_state(
    application: "Application | QueueCase", today: datetime.date, holidays: set[datetime.date]
) -> SlaState:
    """Where the case stands against its due date, in working days."""
    if application.status not in Application.OPEN_STATUSES or application.due_date is None:
        return SlaState("", "")
    if application.clock_paused_at is not None:
        return SlaState("paused", _("Paused: waiting for the resident"))
    due = application.due_date
    days = working_days_between(today, due, holidays)
    if due < today:
        late = -days
        label = (
            ngettext("Overdue by %(days)s working day", "Overdue by %(days)s working days", late)
            % {"days": late}
            if late > 0
            else _("Overdue")
        )
        return SlaState("overdue", label, days)
    if days == 0:
        label = _("Due today")
    else:
        label = ngettext("Due in %(days)s working day", "Due in %(days)s working days", days) % {
            "days": days
        }
    soon = due <= add_working_days(today, DUE_SOON_WORKING_DAYS, holidays)
    return SlaState("due_soon" if soon else "on_track", label, days)


# --- the queue -------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilters:
    service: int | None = None
    status: str = ""  # "" open cases; a status; "all"
    sla: str = ""  # "" | overdue | due_soon | on_track | paused
    assignee: str = ""  # "" anyone | "me" | "none" | a user id


@dataclass(frozen=True)
class QueueCase:
    """A case as a queue lists it (the web page and the API): a few columns, not a model
    instance (building 25 of those was most of the page query's time)."""

    pk: int
    reference: str
    status: str
    service_id: int
    version_number: int
    version_title: dict[str, str]  # translations
    submitted_at: datetime.datetime | None
    due_date: datetime.date | None
    clock_paused_at: datetime.datetime | None
    assignee_id: int | None
    assignee_name: str  # as ``staff_name``; "" when nobody has it

    @classmethod
    def of(cls, application: Application) -> "QueueCase":
        version = application.service_version
        return cls(
            pk=application.pk,
            reference=application.reference,
            status=application.status,
            service_id=application.service_id,
            version_number=version.number,
            version_title=version.title,
            submitted_at=application.submitted_at,
            due_date=application.due_date,
            clock_paused_at=application.clock_paused_at,
            assignee_id=application.assignee_id,
            assignee_name=staff_name(application.assignee) if application.assignee_id else "",
        )


@dataclass(frozen=True)
class QueueRow:
    case: QueueCase
    service_title: str
    sla: SlaState
    status_class: str = ""


@dataclass
class QueueSummary:
    open: int = 0
    overdue: int = 0
    due_soon: int = 0
    unassigned: int = 0


@dataclass
class Queue:
    agency: Agency
    page: Page
    rows: list[QueueRow]
    summary: QueueSummary


SLA_CODES = tuple(code for code, _label in SLA_FILTERS if code)


def _in(values: Any) -> str:
    """Our own constants (statuses, roles) as an SQL list of literals (as the queue indexes'
    predicates are written)."""
    return "(" + ", ".join(f"'{value}'" for value in values) + ")"


@dataclass(frozen=True)
class QueueChoices:
    """What the work queue needs besides its cases: the filter's services (id, title, in
    title order; the slug if never published) and officers (id, name, in name order: case
    officers and agency admins of the agency, who may be given its cases), and the public
    holidays."""

    services: list[tuple[int, str]]
    officers: list[tuple[int, str]]
    holidays: set[datetime.date]


# One statement for the three lists (the busiest staff page reads them on every visit): a
# kind (1 service, 2 officer, 3 holiday), an id and two texts a row; titles as JSON text,
# dates as ISO text, on both databases.
_QUEUE_CHOICES = (
    'SELECT 1, "s"."id", "s"."slug", CAST("v"."title" AS TEXT) FROM "catalogue_service" "s"'  # noqa: S608 - our own SQL
    ' LEFT OUTER JOIN "catalogue_serviceversion" "v" ON "v"."id" = "s"."published_version_id"'
    ' WHERE "s"."agency_id" = %s'
    ' UNION ALL SELECT 2, "u"."id", "u"."email", "p"."legal_name" FROM "accounts_user" "u"'
    ' LEFT OUTER JOIN "accounts_profile" "p" ON "p"."user_id" = "u"."id"'
    ' WHERE "u"."is_active" = %s AND EXISTS(SELECT 1 FROM "accounts_staffrole" "r"'
    ' WHERE "r"."user_id" = "u"."id" AND "r"."agency_id" = %s'
    f' AND "r"."role" IN {_in(CASE_ROLES)})'
    ' UNION ALL SELECT 3, NULL, CAST("h"."date" AS TEXT), NULL FROM "core_holiday" "h"'
)


def queue_choices(agency: Agency) -> QueueChoices:
    services, officers, holidays = [], [], set()
    with connection.cursor() as cursor:
        cursor.execute(_QUEUE_CHOICES, [agency.pk, True, agency.pk])
        rows = cursor.fetchall()
    for kind, pk, text, detail in rows:
        if kind == 1:  # the published version's title translations, else the slug
            services.append((pk, tr(json.loads(detail)) if detail else text))
        elif kind == 2:  # as ``staff_name``: the legal name, else the email address
            officers.append((pk, detail or text))
        else:
            holidays.add(datetime.date.fromisoformat(text))
    return QueueChoices(
        services=sorted(services, key=lambda item: item[1].lower()),
        officers=sorted(officers, key=lambda item: item[1].lower()),
        holidays=holidays,
    )


# The cases of a queue's page with only what a row shows (never the answers, nor the version's
# form definition), most urgent first: due date, submission, id (the order of the queue
# indexes). ``{where}`` is ``_queue_where``'s; ``{limit}`` and ``{offset}`` are written in
# as numbers: with them as parameters PostgreSQL's plan for any page looked dearer than
# planning each anew, which it then did on every request.
QUEUE_PAGE = JoinedRows(
    'SELECT {columns}, CAST("v"."title" AS TEXT) FROM "applications_application" "a"'
    ' INNER JOIN "catalogue_serviceversion" "v" ON "v"."id" = "a"."service_version_id"'
    ' LEFT OUTER JOIN "accounts_user" "u" ON "u"."id" = "a"."assignee_id"'
    ' LEFT OUTER JOIN "accounts_profile" "p" ON "p"."user_id" = "u"."id"'
    ' WHERE {where} ORDER BY "a"."due_date" ASC NULLS LAST, "a"."submitted_at" ASC NULLS LAST,'
    ' "a"."id" ASC LIMIT {limit} OFFSET {offset}',
    Part(
        Application,
        "a",
        only=(
            "reference",
            "status",
            "agency",
            "service",
            "service_version",
            "assignee",
            "due_date",
            "submitted_at",
            "clock_paused_at",
        ),
    ),
    Part(ServiceVersion, "v", only=("number",)),
    Part(User, "u", only=("email",)),
    Part(Profile, "p", only=("legal_name",)),
    annotations=("title_json",),  # parsed once per version on the page, not once per row
)


def _queue_where(
    *, user: User, agency: Agency, filters: QueueFilters, today: datetime.date, soon: datetime.date
) -> tuple[str, list[Any]]:
    """The SQL condition (over ``"a"``) and parameters selecting a queue's cases; ``soon`` is
    the last day that counts as due soon. Statuses: "" the open ones, "all" every case."""
    adapt = connection.ops.adapt_datefield_value
    where = ['"a"."agency_id" = %s']
    params: list[Any] = [agency.pk]
    if filters.status == "":
        where.append(f'"a"."status" IN {_in(Application.OPEN_STATUSES)}')
    elif filters.status == "all":
        where.append(f'"a"."status" NOT IN {_in(NOT_CASES)}')
    elif filters.status in Status.values and filters.status not in NOT_CASES:
        # A literal, as the other statuses: PostgreSQL then plans the statement once per
        # connection (its generic plan for "status = $1" looked dearer than planning anew).
        where.append(f'"a"."status" IN {_in([filters.status])}')
    else:  # drafts are never cases; an unknown status selects nothing
        where.append("1 = 0")
    if filters.service:
        where.append('"a"."service_id" = %s')
        params.append(filters.service)
    if filters.sla in SLA_CODES:
        where.append(f'"a"."status" IN {_in(Application.OPEN_STATUSES)}')
        paused = "NOT NULL" if filters.sla == "paused" else "NULL"
        where.append(f'"a"."clock_paused_at" IS {paused}')
        if filters.sla == "overdue":
            where.append('"a"."due_date" < %s')
            params.append(adapt(today))
        elif filters.sla == "due_soon":
            where.append('"a"."due_date" >= %s AND "a"."due_date" <= %s')
            params += [adapt(today), adapt(soon)]
        elif filters.sla == "on_track":
            where.append('"a"."due_date" > %s')
            params.append(adapt(soon))
    if filters.assignee == "none":
        where.append('"a"."assignee_id" IS NULL')
    elif filters.assignee == "me" or filters.assignee.isdigit():
        where.append('"a"."assignee_id" = %s')
        params.append(user.pk if filters.assignee == "me" else int(filters.assignee))
    return " AND ".join(where), params


def _queue_page(where: str, params: list[Any], limit: int, offset: int) -> list[QueueCase]:
    """One page of the cases ``_queue_where`` selects."""
    titles: dict[str, dict[str, str]] = {}
    return [
        QueueCase(
            pk=row.a_id,
            reference=row.a_reference,
            status=row.a_status,
            service_id=row.a_service_id,
            version_number=row.v_number,
            version_title=titles.get(row.title_json)
            or titles.setdefault(row.title_json, json.loads(row.title_json)),
            submitted_at=row.a_submitted_at,
            due_date=row.a_due_date,
            clock_paused_at=row.a_clock_paused_at,
            assignee_id=row.a_assignee_id,
            assignee_name=(row.p_legal_name or row.u_email or "") if row.a_assignee_id else "",
        )
        for row in QUEUE_PAGE.fetch_values(
            params, where=where, limit=str(int(limit)), offset=str(int(offset))
        )
    ]


def _count_from_buckets(buckets: list[case_counts.SlaBucket], filters: QueueFilters) -> int | None:
    """How many cases the filters select, when only open cases are asked for and no
    assignee is named (the counts know "unassigned", not who); ``None`` otherwise."""
    if filters.status not in ("", *Application.OPEN_STATUSES):
        return None
    if filters.assignee not in ("", "none"):
        return None
    return case_counts.total(
        b
        for b in buckets
        if (not filters.status or b.status == filters.status)
        and (not filters.service or b.service_id == filters.service)
        and (not filters.sla or b.sla == filters.sla)
        and (filters.assignee != "none" or b.unassigned)
    )


def case_queue(
    *,
    user: User,
    agency: Agency,
    filters: QueueFilters,
    page_number: Any = 1,
    per_page: int = PER_PAGE,
    today: datetime.date | None = None,
    holidays: set[datetime.date] | None = None,
) -> Queue:
    """One page of an agency's cases, most urgent first (due date, then submission), with
    each case's SLA state. Only for staff of that agency: 404 otherwise. ``holidays``: the
    public holidays, if already read (``queue_choices``)."""
    if not user_has_role(user, *CASE_ROLES, agency_id=agency.pk):
        raise Http404
    today = today or timezone.localdate()
    holidays = public_holidays() if holidays is None else holidays
    soon_limit = add_working_days(today, DUE_SOON_WORKING_DAYS, holidays)
    buckets = case_counts.open_sla_buckets(agency.pk, today, soon_limit)
    summary = QueueSummary(
        open=case_counts.total(buckets),
        overdue=case_counts.total(b for b in buckets if b.sla == "overdue"),
        due_soon=case_counts.total(b for b in buckets if b.sla == "due_soon"),
        unassigned=case_counts.total(b for b in buckets if b.unassigned),
    )
    where, params = _queue_where(
        user=user, agency=agency, filters=filters, today=today, soon=soon_limit
    )
    cases = Pages(
        count=lambda: fetch_count(
            f'SELECT COUNT(*) FROM "applications_application" "a" WHERE {where}',  # noqa: S608
            params,
        ),
        rows=lambda limit, offset: _queue_page(where, params, limit, offset),
        # The open-case counts answer most filters: then no COUNT over the cases.
        known=_count_from_buckets(buckets, filters),
    )
    paginator: Paginator[QueueCase] = Paginator(cases, per_page)  # type: ignore[arg-type]
    page = paginator.get_page(page_number)
    titles: dict[tuple[int, int], str] = {}  # per service version
    slas: dict[tuple[Any, ...], SlaState] = {}  # cases on a page share due dates
    rows = []
    for case in page.object_list:
        version = (case.service_id, case.version_number)
        if version not in titles:
            titles[version] = tr(case.version_title)
        key = (case.status, case.due_date, case.clock_paused_at is None)
        if key not in slas:
            slas[key] = sla_state(case, today, holidays)
        rows.append(
            QueueRow(
                case=case,
                service_title=titles[version],
                sla=slas[key],
                status_class=status_tag_class(case.status),
            )
        )
    return Queue(
        agency=agency,
        page=page,
        rows=rows,
        summary=summary,
    )


# --- one case --------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffTimelineEntry:
    at: datetime.datetime
    label: str
    message: str
    internal: bool
    actor_name: str
    detail: str = ""


def staff_timeline(events: list[ApplicationEvent]) -> list[StaffTimelineEntry]:
    entries = []
    for event in events:
        label = STAFF_EVENT_LABELS.get(event.kind) or EVENT_LABELS.get(event.kind) or event.kind
        detail = ""
        if event.kind in ("assigned", "reassigned") and event.data.get("assignee_name"):
            detail = _("To %(name)s") % {"name": event.data["assignee_name"]}
        elif event.kind == "released" and event.data.get("previous_name"):
            detail = _("From %(name)s") % {"name": event.data["previous_name"]}
        elif event.kind == "refunded" and event.data.get("amount"):
            detail = engine.format_money(event.data["amount"], event.data.get("currency", "EUR"))
        entries.append(
            StaffTimelineEntry(
                at=event.created_at,
                label=str(label),
                message=event.message,
                internal=event.internal,
                actor_name=staff_name(event.actor) if event.actor_id else _("System"),
                detail=detail,
            )
        )
    return entries


@dataclass(frozen=True)
class CaseActions:
    """What this member of staff can do on this case now (the services check it again)."""

    claim: bool = False
    release: bool = False
    assign: bool = False
    request_info: bool = False
    approve: bool = False
    reject: bool = False
    send_back: bool = False
    issue: bool = False
    revoke: bool = False
    second_approval: bool = False  # the case waits for this person's second approval
    waiting_for_other: bool = False  # this person gave the first approval


def case_actions(user: User, application: Application) -> CaseActions:
    if application.applicant_id == user.pk:
        return CaseActions()  # nobody works on their own application
    status = application.status
    admin = is_agency_admin(user, application)
    handler = application.assignee_id == user.pk or admin
    workable = status in WORKABLE
    second = status == Status.AWAITING_SECOND_APPROVAL
    other_officer = application.first_approver_id != user.pk
    issues = bool(application.service_version.definition.get("issues"))
    return CaseActions(
        claim=workable and application.assignee_id is None,
        release=workable
        and application.assignee_id is not None
        and (application.assignee_id == user.pk or admin),
        assign=workable and admin,
        request_info=handler and status == Status.SUBMITTED,
        approve=(handler and status == Status.SUBMITTED) or (second and other_officer),
        reject=(handler and status in (Status.SUBMITTED, Status.INFO_REQUESTED))
        or (second and other_officer),
        send_back=second and other_officer,
        issue=status == Status.APPROVED and issues,
        revoke=status == Status.ISSUED,
        second_approval=second and other_officer,
        waiting_for_other=second and not other_officer,
    )


def case_for_staff(*, user: User, reference: str) -> Application:
    """A case (an application past its draft) of the user's agency, lightly loaded, for the
    decision pages; 404 for anyone else."""
    application = (
        Application.objects.filter(reference=reference)
        .exclude(status__in=NOT_CASES)
        .select_related(
            "service_version", "service", "agency", "assignee__profile", "first_approver"
        )
        .first()
    )
    if application is None or not can_work_on(user, application):
        raise Http404
    return application


@dataclass(frozen=True)
class DocumentRow:
    document: Document
    question: str  # the question it answers, or that it came with an information response


def _document_rows(definition: dict[str, Any], documents: list[Document]) -> list[DocumentRow]:
    questions = engine.question_map(definition)
    rows = []
    for doc in documents:
        question = questions.get(doc.question_id)
        label = tr(question.get("label")) if question else _("Sent with an answer to a request")
        rows.append(DocumentRow(doc, label))
    return rows


@dataclass
class CaseDetail:
    application: Application
    service_title: str
    sections: list[engine.AnswerSection]
    documents: list[DocumentRow]
    payments: list[Any]  # Payment, annotated with ``refunded``
    amount_due: int
    info_requests: list[Any]
    notes: list[InternalNote]
    timeline: list[StaffTimelineEntry]
    sla: SlaState
    actions: CaseActions
    second_approval_required: bool


def case_detail(*, user: User, reference: str, today: datetime.date | None = None) -> CaseDetail:
    """Everything needed to decide a case, in a fixed number of queries: answers with their
    question labels, documents, payments (with what was refunded), information requests,
    internal notes, the full timeline (internal events too) and the resident's contact
    details. 404 for anyone but staff of the application's agency."""
    from ecitizen.payments.services import amount_due

    application = (
        Application.objects.filter(reference=reference)
        .exclude(status__in=NOT_CASES)
        .select_related(
            "service_version",
            "service",
            "agency",
            "applicant__profile__area",
            "assignee__profile",
            "first_approver__profile",
            "assisted_by",
            "permit",
        )
        .prefetch_related(
            Prefetch(
                "events",
                queryset=ApplicationEvent.objects.select_related("actor__profile"),
                to_attr="all_events",
            ),
            Prefetch(
                "documents",
                queryset=Document.objects.filter(removed_at__isnull=True),
                to_attr="current_documents",
            ),
            Prefetch("info_requests", to_attr="all_info_requests"),
            Prefetch(
                "notes",
                queryset=InternalNote.objects.select_related("author__profile"),
                to_attr="all_notes",
            ),
            Prefetch(
                "payments",
                queryset=Payment.objects.annotate(
                    refunded=Sum(
                        "ledger_entries__amount",
                        filter=Q(ledger_entries__kind=LedgerEntry.Kind.REFUND),
                        default=0,
                    )
                ).order_by("created_at", "pk"),
                to_attr="all_payments",
            ),
        )
        .first()
    )
    if application is None or not can_work_on(user, application):
        raise Http404
    definition = application.service_version.definition
    documents: list[Document] = application.current_documents  # type: ignore[attr-defined]
    sections = engine.answer_sections(
        definition,
        application.answers,
        {},  # answers were frozen at submission: never read the profile again
        districts=dict(district_choices()),
        documents={doc.pk: doc.original_name for doc in documents},
        currency=(definition.get("fee") or {}).get("currency") or application.currency,
    )
    return CaseDetail(
        application=application,
        service_title=tr(application.service_version.title),
        sections=sections,
        documents=_document_rows(definition, documents),
        payments=application.all_payments,  # type: ignore[attr-defined]
        amount_due=amount_due(application),
        info_requests=application.all_info_requests,  # type: ignore[attr-defined]
        notes=application.all_notes,  # type: ignore[attr-defined]
        timeline=staff_timeline(application.all_events),  # type: ignore[attr-defined]
        sla=sla_state(application, today or timezone.localdate(), public_holidays()),
        actions=case_actions(user, application),
        second_approval_required=requires_second_approval(application),
    )
