"""/api/v1 applications: a resident's own applications, through the same services and the same
form engine as the website. Another person's application, document or payment answers 404.

Answers travel as JSON (see ``ecitizen.applications.engine`` for each type's shape). To be
validated exactly like the web form, a page's answers are turned into the page form's input
and checked by ``engine.build_page_form``; its field errors come back as 422 details.

``cases_router``: staff case work (queue, one case, decisions) through ``casework`` and
``case_selectors``, with the staff pages' rules."""

import dataclasses
import datetime
import uuid
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from ninja import File, Form, Header, Query, Router, Schema, UploadedFile
from pydantic import Field

from ecitizen.accounts.models import User
from ecitizen.accounts.selectors import has_second_factor, user_has_role
from ecitizen.api.auth import ApiPrincipal, api_auth
from ecitizen.api.errors import ApiError, error_detail
from ecitizen.api.schemas import error_responses
from ecitizen.api.scopes import APPLICATIONS_READ, APPLICATIONS_WRITE, CASES_READ, CASES_WRITE
from ecitizen.applications import case_selectors, casework, engine, selectors, uploads
from ecitizen.applications.forms import InfoResponseForm, WithdrawForm
from ecitizen.applications.models import Application, Document
from ecitizen.applications.services import (
    ApplicationError,
    ApplicationIncomplete,
    application_answers_save,
    application_info_respond,
    application_start,
    application_submit,
    application_withdraw,
)
from ecitizen.applications.timeline import entry_for
from ecitizen.audit.models import PersonalDataAccess
from ecitizen.audit.services import personal_data_access_record
from ecitizen.catalogue.apis import MAX_PAGE_SIZE, Shaped, paginated
from ecitizen.catalogue.models import Service
from ecitizen.catalogue.selectors import published_service_get
from ecitizen.core.i18n import tr
from ecitizen.core.workdays import public_holidays
from ecitizen.payments.apis import MoneyOut, PaymentSummaryOut, money_out, payment_summary_out
from ecitizen.payments.selectors import payments_for_application

router = Router(tags=["applications"])

Status = Application.Status
StatusCode = Literal[
    "draft",
    "awaiting_payment",
    "submitted",
    "info_requested",
    "awaiting_second_approval",
    "approved",
    "rejected",
    "issued",
    "revoked",
    "withdrawn",
    "expired",
]


# --- errors --------------------------------------------------------------------------------


class Conflict(ApiError):
    """The request does not fit the application's state (e.g. sending it twice with different
    keys, answering a page of an application already sent)."""

    status_code = 409
    code = "conflict"
    default_message = _("This cannot be done in the application's current state.")


class PayloadTooLarge(ApiError):
    status_code = 413
    code = "payload_too_large"
    default_message = _("The file is too large.")


class Invalid(ApiError):
    status_code = 422
    code = "validation_error"
    default_message = _("Some of the data sent is not valid.")


def invalid(field: str | None, code: str, message: Any) -> Invalid:
    return Invalid(details=[error_detail(code, message, field)])


def _conflict(exc: ApplicationError) -> Conflict:
    return Conflict(exc.message)


# --- helpers -------------------------------------------------------------------------------


def _user(request: HttpRequest) -> User:
    principal: ApiPrincipal = request.auth  # type: ignore[attr-defined]
    return principal.user


def _scopes_extra(*scopes: str) -> dict[str, list[str]]:
    return {"x-required-scopes": list(scopes)}


def _file_download_extra(scope: str) -> dict[str, Any]:
    """OpenAPI for an endpoint answering a file download under ``scope``."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {
        **_scopes_extra(scope),
        "responses": {
            "200": {"description": "The file.", "content": {"application/octet-stream": binary}}
        },
    }


def _url(request: HttpRequest, name: str, *args: Any) -> str:
    return request.build_absolute_uri(reverse(name, args=args))


def _web_url(request: HttpRequest, name: str, *args: Any) -> str | None:
    try:
        return _url(request, name, *args)
    except NoReverseMatch:  # pragma: no cover - the app providing it is not installed
        return None


# --- schemas -------------------------------------------------------------------------------


class ServiceRefOut(Schema):
    slug: str
    title: str
    version: int = Field(description="The version of the form the application is bound to.")


class AgencyRefOut(Schema):
    code: str
    name: str


class ApplicationSummaryOut(Schema):
    reference: str
    service: ServiceRefOut
    agency: AgencyRefOut
    status: StatusCode
    status_label: str
    next_step: str = Field(description="What you are expected to do next, in plain words.")
    created_at: datetime.datetime
    updated_at: datetime.datetime
    submitted_at: datetime.datetime | None
    due_date: datetime.date | None = Field(
        description="When a decision is due, while the application is open."
    )
    url: str


class TimelineEntryOut(Schema):
    at: datetime.datetime
    kind: str = Field(description="Stable code, e.g. started, submitted, info_requested.")
    label: str
    message: str
    on_behalf: bool = Field(description="Done for you by an assisted-service agent.")


class DocumentOut(Schema):
    id: int
    question: str = Field(
        description="The question it answers ('info_response' for files "
        "sent with an answer to a request for information)."
    )
    name: str
    content_type: str = Field(description="Read from the file's bytes, not from its name.")
    size: int
    sha256: str
    uploaded_at: datetime.datetime
    url: str = Field(description="Download it (same scopes as the application).")


class InfoRequestOut(Schema):
    message: str
    requested_at: datetime.datetime
    answer: str
    answered_at: datetime.datetime | None


class PermitOut(Schema):
    number: str
    status: str = Field(description="valid or revoked.")
    valid_from: datetime.date
    valid_until: datetime.date | None
    verify_url: str | None = Field(description="Public page anyone can check the permit on.")


class MissingAnswerOut(Schema):
    page: str
    question: str


class ApplicationOut(ApplicationSummaryOut):
    answers: dict[str, Any] = Field(
        description="Answers by question id. For a draft, questions answered from your "
        "profile are included (see `prefilled`)."
    )
    prefilled: list[str] = Field(
        description="Draft only: questions whose answer comes from your profile."
    )
    missing: list[MissingAnswerOut] = Field(
        description="Draft only: required questions still unanswered, in order."
    )
    next_page: str | None = Field(description="Draft only: the first page with a missing answer.")
    actions: list[str] = Field(
        description="What you can do now: answer, upload, submit, pay, respond, withdraw."
    )
    fee: MoneyOut | None = Field(description="The fee worked out when it was sent.")
    pay_url: str | None = Field(description="Where to pay, while waiting for payment.")
    draft_expires_at: datetime.datetime | None
    decided_at: datetime.datetime | None
    decision_reason: str
    timeline: list[TimelineEntryOut]
    documents: list[DocumentOut]
    info_requests: list[InfoRequestOut]
    payments: list[PaymentSummaryOut]
    permit: PermitOut | None


class StartIn(Schema):
    service: str = Field(description="The slug of a published service.", max_length=100)


class AnswersIn(Schema):
    page: str = Field(description="The id of a page of the service's form.", max_length=60)
    answers: dict[str, Any] = Field(
        description="Answers by question id; null removes an answer. number: a number; money: "
        "an integer in minor units; date: 'YYYY-MM-DD'; yes_no: true/false; single_choice: "
        "an option value; multiple_choice: a list of option values; address: {line1, line2, "
        "town, postcode, area}; file: the ids of the documents to keep."
    )


class WithdrawIn(Schema):
    reason: str = Field("", description="Why (optional, at most 1000 characters).")


# --- shaping -------------------------------------------------------------------------------


def _summary_fields(request: HttpRequest, application: Application) -> dict[str, Any]:
    version = application.service_version
    open_ = application.status in Application.OPEN_STATUSES
    return {
        "reference": application.reference,
        "service": ServiceRefOut(
            slug=application.service.slug, title=tr(version.title), version=version.number
        ),
        "agency": AgencyRefOut(
            code=application.agency.code, name=application.agency.localized_name()
        ),
        "status": application.status,
        "status_label": str(application.get_status_display()),
        "next_step": selectors.resident_next_step(application),
        "created_at": application.created_at,
        "updated_at": application.updated_at,
        "submitted_at": application.submitted_at,
        "due_date": application.due_date if open_ else None,
        "url": _url(request, "api:application_detail", application.reference),
    }


def document_out(request: HttpRequest, document: Document, reference: str) -> DocumentOut:
    return DocumentOut(
        id=document.pk,
        question=document.question_id,
        name=document.original_name,
        content_type=document.content_type,
        size=document.size,
        sha256=document.sha256,
        uploaded_at=document.created_at,
        url=_url(request, "api:application_document", reference, document.pk),
    )


def _actions(application: Application, missing: list[Any]) -> list[str]:
    status = application.status
    actions: list[str] = []
    if status == Status.DRAFT:
        actions += ["answer", "upload"] + ([] if missing else ["submit"])
    elif status == Status.AWAITING_PAYMENT:
        actions.append("pay")
    elif status == Status.INFO_REQUESTED:
        actions.append("respond")
    if status in selectors.WITHDRAWABLE:
        actions.append("withdraw")
    return actions


def application_out(request: HttpRequest, application: Application) -> ApplicationOut:
    """The resident's view of an application loaded by ``selectors.application_detail``."""
    definition = application.service_version.definition
    answers = dict(application.answers)
    prefilled: list[str] = []
    missing: list[tuple[str, str]] = []
    next_page = None
    if application.status == Status.DRAFT:
        prefill = selectors.applicant_prefill(application.applicant)
        effective = engine.effective_answers(definition, application.answers, prefill)
        prefilled = sorted(set(effective) - set(answers))
        answers = effective
        missing = engine.missing_answers(definition, application.answers, prefill)
        next_page = missing[0][0] if missing else None
    permit = None
    if application.status in (Status.ISSUED, Status.REVOKED):
        permit_obj = getattr(application, "permit", None)
        if permit_obj is not None:
            permit = PermitOut(
                number=permit_obj.number,
                status=permit_obj.status,
                valid_from=permit_obj.valid_from,
                valid_until=permit_obj.valid_until,
                verify_url=_web_url(request, "permit_verify", permit_obj.number),
            )
    decided = application.status in (
        Status.APPROVED,
        Status.REJECTED,
        Status.ISSUED,
        Status.REVOKED,
    )
    return ApplicationOut(
        **_summary_fields(request, application),
        answers=answers,
        prefilled=prefilled,
        missing=[MissingAnswerOut(page=page, question=qid) for page, qid in missing],
        next_page=next_page,
        actions=_actions(application, missing),
        fee=money_out(application.fee_amount, application.currency)
        if application.fee_amount
        else None,
        pay_url=_web_url(request, "payments:start", application.reference)
        if application.status == Status.AWAITING_PAYMENT
        else None,
        draft_expires_at=application.draft_expires_at
        if application.status == Status.DRAFT
        else None,
        decided_at=application.decided_at,
        decision_reason=application.decision_reason if decided else "",
        timeline=[
            TimelineEntryOut(
                at=entry.at,
                kind=event.kind,
                label=entry.label,
                message=entry.message,
                on_behalf=entry.on_behalf,
            )
            for event in application.visible_events  # type: ignore[attr-defined]
            for entry in [entry_for(event, application)]
        ],
        documents=[
            document_out(request, document, application.reference)
            for document in application.current_documents  # type: ignore[attr-defined]
        ],
        info_requests=[
            InfoRequestOut(
                message=info.message,
                requested_at=info.requested_at,
                answer=info.answer,
                answered_at=info.answered_at,
            )
            for info in application.all_info_requests  # type: ignore[attr-defined]
        ],
        payments=[
            payment_summary_out(request, payment)
            for payment in payments_for_application(application)
        ],
        permit=permit,
    )


def _detail(request: HttpRequest, reference: str) -> ApplicationOut:
    application = selectors.application_detail(user=_user(request), reference=reference)
    return application_out(request, application)


# --- answers as page-form input ------------------------------------------------------------


class WrongType(ValueError):
    pass


_TYPE_MESSAGES = {
    "text": _("Send this answer as a string."),
    "number": _("Send this answer as a number."),
    "money": _(
        "Send this amount as a whole number of minor units (cents), for example 12550 for 125.50."
    ),
    "yes_no": _("Send this answer as true or false."),
    "multiple_choice": _("Send this answer as a list of option values."),
    "address": _("Send this answer as an object with line1, line2, town, postcode and area."),
    "file": _("Send the ids of the documents to keep. Upload new files to the documents endpoint."),
}
ANSWERS = "body.payload.answers"  # where answers' errors are (ninja's naming of the body)
_TEXT_TYPES = {"text", "long_text", "email", "phone", "date", "single_choice"}


def _plain_number(value: int | float) -> str:
    return str(value) if isinstance(value, int) else format(Decimal(repr(value)), "f")


def _major_units(cents: int) -> str:
    """What a resident would type for ``cents`` (the engine turns it back into cents)."""
    if cents < 0:
        return str(cents)  # refused by the engine, with its own message
    return f"{cents // 100}.{cents % 100:02d}"


def _encode(question: dict[str, Any], value: Any, existing: list[int]) -> dict[str, Any]:
    """One JSON answer as the page form's input (field name -> value or list of values).
    ``existing``: the ids of the documents the question already has."""
    qid, qtype = question["id"], question["type"]
    if qtype == "address":
        if value is None:
            value = {}
        if not isinstance(value, dict) or any(
            part not in engine.ADDRESS_PARTS or not isinstance(text, str)
            for part, text in value.items()
        ):
            raise WrongType(_TYPE_MESSAGES["address"])
        return {f"{qid}-{part}": value.get(part, "") for part in engine.ADDRESS_PARTS}
    if qtype == "file":
        keep = [] if value is None else value
        if not isinstance(keep, list) or not all(
            isinstance(i, int) and not isinstance(i, bool) for i in keep
        ):
            raise WrongType(_TYPE_MESSAGES["file"])
        if set(keep) - set(existing):
            raise WrongType(_("Some of these documents are not files of this question."))
        return {f"{qid}-remove": [str(doc_id) for doc_id in existing if doc_id not in keep]}
    if value is None:
        return {qid: [] if qtype == "multiple_choice" else ""}
    if qtype in _TEXT_TYPES:
        if not isinstance(value, str):
            raise WrongType(_TYPE_MESSAGES["text"])
        return {qid: value}
    if qtype == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise WrongType(_TYPE_MESSAGES["number"])
        return {qid: _plain_number(value)}
    if qtype == "money":
        if isinstance(value, bool) or not isinstance(value, int):
            raise WrongType(_TYPE_MESSAGES["money"])
        return {qid: _major_units(value)}
    if qtype == "yes_no":
        if not isinstance(value, bool):
            raise WrongType(_TYPE_MESSAGES["yes_no"])
        return {qid: "yes" if value else "no"}
    if qtype == "multiple_choice":
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise WrongType(_TYPE_MESSAGES["multiple_choice"])
        return {qid: list(value)}
    raise WrongType(_TYPE_MESSAGES["text"])  # pragma: no cover - schema allows no other type


def _form_data(fields: dict[str, Any]) -> MultiValueDict:
    return MultiValueDict(
        {name: value if isinstance(value, list) else [value] for name, value in fields.items()}
    )


def _existing_documents(
    question: dict[str, Any], answers: dict[str, Any], documents: list[Document]
) -> list[int]:
    if question.get("type") != "file":
        return []
    kept = set(answers.get(question["id"]) or [])
    return [doc.pk for doc in documents if doc.question_id == question["id"] and doc.pk in kept]


def _page_input(
    page: dict[str, Any],
    values: dict[str, Any],
    stored: dict[str, Any],
    documents: list[Document],
    *,
    strict: set[str],
) -> MultiValueDict:
    """The page form's input for ``values`` (answers by question id). A value of a question in
    ``strict`` (sent by the client) with the wrong JSON type is a 422; others are left out."""
    fields: dict[str, Any] = {}
    problems = []
    for question in page.get("questions", []):
        qid = question["id"]
        if qid not in values:
            continue
        existing = _existing_documents(question, stored, documents)
        try:
            fields.update(_encode(question, values[qid], existing))
        except WrongType as exc:
            if qid in strict:
                problems.append(error_detail("wrong_type", exc, f"{ANSWERS}.{qid}"))
    if problems:
        raise Invalid(details=problems)
    return _form_data(fields)


def _form_errors(form: engine.PageForm, only: set[str] | None = None) -> list[dict[str, Any]]:
    """The page form's errors as details, ``body.payload.answers.<question>[.<part>]``."""
    details = []
    errors = form.errors.as_data()
    for group in form.groups:
        qid = group.question["id"]
        if only is not None and qid not in only:
            continue
        for name in group.names:
            part = name[len(qid) + 1 :] if name != qid else ""
            field = f"{ANSWERS}.{qid}" + (f".{part}" if part and part != "remove" else "")
            sent = [v for v in form.data.getlist(name) + form.files.getlist(name) if v]  # type: ignore[attr-defined]
            for error in errors.get(name, []):
                # The engine adds "needs an answer" errors without a code.
                code = error.code or ("invalid" if sent else "required")
                for message in error.messages:
                    details.append(error_detail(code, message, field))
    return details


def _draft(request: HttpRequest, reference: str) -> Application:
    """The requester's own application, which must still be a draft."""
    application = selectors.application_for_applicant(user=_user(request), reference=reference)
    if application.status != Status.DRAFT:
        raise Conflict(_("This application has already been sent."))
    return application


def _asked_page(
    application: Application, page_id: str, field: str
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(page, prefill, effective answers) for a page the draft asks, or a 422."""
    definition = application.service_version.definition
    page = engine.page_by_id(definition, page_id)
    if page is None:
        raise invalid(field, "unknown_page", _("This page is not part of the form."))
    prefill = selectors.applicant_prefill(application.applicant)
    merged = engine.effective_answers(definition, application.answers, prefill)
    if not engine.condition_met(page.get("condition"), merged):
        raise invalid(
            field, "page_not_asked", _("This page is not asked, given the answers so far.")
        )
    return page, prefill, merged


def _save_page(request: HttpRequest, reference: str, payload: AnswersIn, *, replace: bool) -> None:
    """Validate one page's answers with the web form's engine and save them."""
    user = _user(request)
    application = _draft(request, reference)
    definition = application.service_version.definition
    page, prefill, merged = _asked_page(application, payload.page, "body.payload.page")
    on_page = {question["id"]: question for question in page.get("questions", [])}
    unknown = [qid for qid in payload.answers if qid not in on_page]
    if unknown:
        raise Invalid(
            details=[
                error_detail(
                    "unknown_question", _("This page has no such question."), f"{ANSWERS}.{q}"
                )
                for q in unknown
            ]
        )
    sent = set(payload.answers)
    include_prefilled = any(on_page[qid].get("prefill") for qid in sent)
    if replace:
        # Questions left out have no answer, except those the profile answers.
        base = {
            qid: value
            for qid, question in on_page.items()
            if (value := engine.prefill_value(question, prefill)) is not None
        }
    else:
        base = {qid: merged[qid] for qid in on_page if qid in merged}
    documents = selectors.application_documents(application)
    data = _page_input(
        page, {**base, **payload.answers}, application.answers, documents, strict=sent
    )
    form = engine.build_page_form(
        definition,
        page,
        answers=application.answers,
        prefill=prefill,
        include_prefilled=include_prefilled,
        documents=documents,
        districts=selectors.district_choices(),
        data=data,
        files=MultiValueDict(),
    )
    asked = {group.question["id"] for group in form.groups}
    not_asked = sorted(sent - asked)
    if not_asked:
        raise Invalid(
            details=[
                error_detail(
                    "not_asked",
                    _("This question is not asked, given the answers so far."),
                    f"{ANSWERS}.{qid}",
                )
                for qid in not_asked
            ]
        )
    if not form.groups:
        return
    if form.is_valid():
        answers = form.answers()
    else:
        # PUT: the whole page must be right. PATCH: only what was sent must be right; other
        # questions keep their stored answers (missing ones are reported when sending).
        details = _form_errors(form, only=None if replace else sent)
        if details:
            raise Invalid(details=details)
        answers = form.partial_answers()
    try:
        application_answers_save(
            actor=user,
            application=application,
            page_id=page["id"],
            answers=answers,
            removed_documents=form.removed_documents(),
        )
    except ApplicationError as exc:
        raise _conflict(exc) from exc


def _reject_too_large(
    files: list[UploadedFile], *, types: list[str], max_size: int, field: str
) -> None:
    """413 for a file over the size limit; other problems are left to the form (422)."""
    for upload in files:
        try:
            uploads.validate_upload(upload, allowed_types=types, max_size=max_size)
        except ValidationError as exc:
            if exc.code == "too_large":
                raise PayloadTooLarge(
                    exc.messages[0], details=[error_detail("too_large", exc.messages[0], field)]
                ) from None


# --- endpoints: reading --------------------------------------------------------------------

READ = api_auth(APPLICATIONS_READ)
WRITE = api_auth(APPLICATIONS_WRITE, session=False)


@router.get(
    "/applications",
    url_name="applications_list",
    auth=READ,
    response={200: list[ApplicationSummaryOut], **error_responses(401, 403, 422, 429)},
    summary="Your applications",
    description="Your own applications, newest first, optionally in one `status`. "
    "Scope: `applications:read` (or your signed-in browser session).",
    openapi_extra=_scopes_extra(APPLICATIONS_READ),
)
@paginated
def applications_list(
    request: HttpRequest, status: StatusCode | None = None
) -> Sequence[ApplicationSummaryOut]:
    applications = [
        application
        for application in selectors.applications_for_resident(user=_user(request))
        if status is None or application.status == status
    ]
    return Shaped(
        applications,
        lambda application: ApplicationSummaryOut(**_summary_fields(request, application)),
    )


@router.get(
    "/applications/{reference}",
    url_name="application_detail",
    auth=READ,
    response={200: ApplicationOut, **error_responses(401, 403, 404, 429)},
    summary="One of your applications",
    description="Status, what is expected of you next, your answers, the timeline (never "
    "staff-internal events), documents, requests for information, payments and the permit. "
    "Anybody else's application answers 404. Scope: `applications:read`.",
    openapi_extra=_scopes_extra(APPLICATIONS_READ),
)
def application_detail(request: HttpRequest, reference: str) -> ApplicationOut:
    return _detail(request, reference)


@router.get(
    "/applications/{reference}/documents/{document_id}",
    url_name="application_document",
    auth=READ,
    response={**error_responses(401, 403, 404, 429)},
    summary="Download one of your documents",
    description="The file, as an attachment, with the content type read from its bytes. "
    "Anybody else's document, or a removed one, answers 404. Scope: `applications:read`.",
    openapi_extra=_file_download_extra(APPLICATIONS_READ),
)
def application_document(request: HttpRequest, reference: str, document_id: int) -> FileResponse:
    access = selectors.document_for_download(
        user=_user(request), reference=reference, document_id=document_id
    )
    if access.by_staff:  # staff read documents through the case endpoints (access is logged)
        raise Http404
    return _file_response(access.document)


def _file_response(document: Document) -> FileResponse:
    """A private file, always as a download, never rendered or cached."""
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document.original_name,
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


# --- endpoints: writing --------------------------------------------------------------------


@router.post(
    "/applications",
    auth=WRITE,
    response={200: ApplicationOut, 201: ApplicationOut, **error_responses(401, 403, 409, 422, 429)},
    summary="Start an application",
    description="Starts a draft for a published service (201), or returns the draft you "
    "already have open for it (200). Scope: `applications:write`.",
    openapi_extra=_scopes_extra(APPLICATIONS_WRITE),
)
def application_create(request: HttpRequest, payload: StartIn) -> tuple[int, ApplicationOut]:
    user = _user(request)
    try:
        service = published_service_get(payload.service)
    except Http404:
        raise invalid(
            "body.payload.service",
            "unknown_service",
            _("There is no published service with this slug."),
        ) from None
    already_open = {
        application.reference
        for application in selectors.applications_for_resident(user=user)
        if application.status == Status.DRAFT and application.service_id == service.pk
    }
    try:
        application = application_start(actor=user, service=service)
    except ApplicationError as exc:
        raise _conflict(exc) from exc
    status = 200 if application.reference in already_open else 201
    return status, _detail(request, application.reference)


def _answers_endpoint(
    request: HttpRequest, reference: str, payload: AnswersIn, replace: bool
) -> ApplicationOut:
    _save_page(request, reference, payload, replace=replace)
    return _detail(request, reference)


_ANSWERS_DOC = (
    "Answers are checked by the same rules as the web form (required questions, formats, "
    "limits, options, conditions); problems come back as 422 with one detail per field "
    "(`body.payload.answers.<question>`, `….<part>` for a part of an address). Questions "
    "answered from your profile may be sent to override it for this application. "
    "Only a draft can be changed (409 otherwise). Scope: `applications:write`."
)


@router.put(
    "/applications/{reference}/answers",
    auth=WRITE,
    response={200: ApplicationOut, **error_responses(401, 403, 404, 409, 422, 429)},
    summary="Replace the answers of one page",
    description="The page's answers become exactly those sent: questions left out have no "
    "answer (unless the profile answers them), and the whole page must be valid, as when "
    "pressing 'Continue' on the website. " + _ANSWERS_DOC,
    openapi_extra=_scopes_extra(APPLICATIONS_WRITE),
)
def answers_replace(request: HttpRequest, reference: str, payload: AnswersIn) -> ApplicationOut:
    return _answers_endpoint(request, reference, payload, replace=True)


@router.patch(
    "/applications/{reference}/answers",
    auth=WRITE,
    response={200: ApplicationOut, **error_responses(401, 403, 404, 409, 422, 429)},
    summary="Change some answers of one page",
    description="Only the questions sent change (null removes an answer); each must be "
    "valid. Questions of the page not sent keep their answers; required ones still missing "
    "are listed in `missing` and refused when sending. " + _ANSWERS_DOC,
    openapi_extra=_scopes_extra(APPLICATIONS_WRITE),
)
def answers_update(request: HttpRequest, reference: str, payload: AnswersIn) -> ApplicationOut:
    return _answers_endpoint(request, reference, payload, replace=False)


@router.post(
    "/applications/{reference}/documents",
    auth=WRITE,
    response={201: DocumentOut, **error_responses(401, 403, 404, 409, 413, 422, 429)},
    summary="Upload a file for a question",
    description="Multipart form with `question` (the id of a file question) and `file`. The "
    "type is read from the file's bytes (not its name or declared type) and must be one the "
    "question accepts (422); a file over the question's size limit answers 413; a question "
    "already holding its maximum number of files answers 422. The file is added to the "
    "question's answer. Only a draft takes files (409 otherwise). Scope: "
    "`applications:write`.",
    openapi_extra=_scopes_extra(APPLICATIONS_WRITE),
)
def document_upload(
    request: HttpRequest,
    reference: str,
    question: Form[str],
    file: File[UploadedFile],
) -> tuple[int, DocumentOut]:
    user = _user(request)
    application = _draft(request, reference)
    definition = application.service_version.definition
    page = next(
        (
            page
            for page in engine.pages(definition)
            if any(q["id"] == question for q in page.get("questions", []))
        ),
        None,
    )
    target = engine.question_map(definition).get(question)
    if page is None or target is None:
        raise invalid("form.question", "unknown_question", _("The form has no such question."))
    if target["type"] != "file":
        raise invalid(
            "form.question", "not_a_file_question", _("This question does not take files.")
        )
    page, prefill, merged = _asked_page(application, page["id"], "form.question")
    documents = selectors.application_documents(application)
    current = {
        q["id"]: merged[q["id"]]
        for q in page.get("questions", [])
        if q["id"] in merged and q["id"] != question
    }
    data = _page_input(page, current, application.answers, documents, strict=set())
    form = engine.build_page_form(
        definition,
        page,
        answers=application.answers,
        prefill=prefill,
        documents=documents,
        districts=selectors.district_choices(),
        data=data,
        files=MultiValueDict({question: [file]}),
    )
    if question not in {group.question["id"] for group in form.groups}:
        raise invalid(
            "form.question", "not_asked", _("This question is not asked, given the answers so far.")
        )
    field = form.fields[question]
    _reject_too_large(
        [file],
        types=field.types,  # type: ignore[attr-defined]
        max_size=field.max_size,  # type: ignore[attr-defined]
        field="file.file",
    )
    form.is_valid()
    details = [{**detail, "field": "file.file"} for detail in _form_errors(form, only={question})]
    if details:
        raise Invalid(details=details)
    kept = form.partial_answers().get(question)
    before = set(application.answers.get(question) or [])
    try:
        application_answers_save(
            actor=user,
            application=application,
            page_id=page["id"],
            answers={question: kept},
            uploads={question: form.new_uploads().get(question, [])},
        )
    except ApplicationError as exc:
        raise _conflict(exc) from exc
    new_ids = [doc_id for doc_id in application.answers.get(question) or [] if doc_id not in before]
    document = Document.objects.get(pk=new_ids[-1], application=application)
    return 201, document_out(request, document, application.reference)


@router.post(
    "/applications/{reference}/submit",
    auth=WRITE,
    response={200: ApplicationOut, **error_responses(401, 403, 404, 409, 422, 429)},
    summary="Send an application",
    description="Send a complete draft. The `Idempotency-Key` header (a UUID you generate "
    "once per application and reuse on every retry) makes it safe to retry: the same key "
    "returns the application already sent (with `Idempotent-Replayed: true`), never a second "
    "submission, even for requests arriving at the same moment. The same key used for "
    "another application, or an application already sent with another key, answers 409. "
    "Missing answers answer 422 `incomplete`, one detail per question. When a fee is due "
    "now the status becomes `awaiting_payment` and `pay_url` says where to pay. Scope: "
    "`applications:write`.",
    openapi_extra=_scopes_extra(APPLICATIONS_WRITE),
)
def application_submit_endpoint(
    request: HttpRequest,
    response: HttpResponse,
    reference: str,
    idempotency_key: str = Header(
        ..., alias="Idempotency-Key", description="A UUID, the same for every retry."
    ),
) -> ApplicationOut:
    user = _user(request)
    try:
        key = str(uuid.UUID(idempotency_key.strip()))
    except ValueError:
        raise invalid(
            "header.Idempotency-Key",
            "invalid_idempotency_key",
            _("The Idempotency-Key header must be a UUID."),
        ) from None
    application = selectors.application_for_applicant(user=user, reference=reference)
    reused = Conflict(
        _("This Idempotency-Key was already used for another application."),
        code="idempotency_key_reused",
    )
    if _key_used_elsewhere(user, key, application):
        raise reused
    try:
        result = application_submit(actor=user, application=application, idempotency_key=key)
    except ApplicationIncomplete as exc:
        questions = engine.question_map(application.service_version.definition)
        raise Invalid(
            exc.message,
            code="incomplete",
            details=[
                error_detail(
                    "required",
                    _("“%(label)s” needs an answer.")
                    % {"label": tr(questions.get(qid, {}).get("label")) or qid},
                    f"{ANSWERS}.{qid}",
                )
                for _page, qid in exc.missing
            ],
        ) from exc
    except ApplicationError as exc:
        if _key_used_elsewhere(user, key, application):
            raise reused from exc
        raise _conflict(exc) from exc
    except IntegrityError as exc:  # the same key sent for two applications at the same moment
        raise reused from exc
    if result.application.idempotency_key != key:
        raise Conflict(_("This application was already sent."), code="already_submitted")
    if not result.created:
        response["Idempotent-Replayed"] = "true"
    return _detail(request, reference)


def _key_used_elsewhere(user: User, key: str, application: Application) -> bool:
    return (
        Application.objects.filter(applicant_id=user.pk, idempotency_key=key)
        .exclude(pk=application.pk)
        .exists()
    )


@router.post(
    "/applications/{reference}/info-response",
    auth=WRITE,
    response={200: ApplicationOut, **error_responses(401, 403, 404, 409, 413, 422, 429)},
    summary="Answer a request for more information",
    description="Multipart (or URL-encoded) form with `answer` (at most 5000 characters) and "
    "up to 5 `files` (PDF, PNG or JPEG, 10 MB each; a larger one answers 413). The "
    "application goes back to the case officer. Only while information is requested (409 "
    "otherwise). Scope: `applications:write`.",
    openapi_extra=_scopes_extra(APPLICATIONS_WRITE),
)
def info_response(
    request: HttpRequest,
    reference: str,
    answer: Form[str] = "",
    files: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> ApplicationOut:
    user = _user(request)
    application = selectors.application_for_applicant(user=user, reference=reference)
    if application.status != Status.INFO_REQUESTED:
        raise Conflict(_("There is no request for information to answer."))
    files = list(files or [])
    form = InfoResponseForm(
        data={"answer": answer}, files=MultiValueDict({"files": files}) if files else None
    )
    field = form.fields["files"]
    _reject_too_large(
        files,
        types=field.types,  # type: ignore[attr-defined]
        max_size=field.max_size,  # type: ignore[attr-defined]
        field="file.files",
    )
    if not form.is_valid():
        raise Invalid(details=_django_form_errors(form, {"answer": "form", "files": "file"}))
    try:
        application_info_respond(
            actor=user,
            application=application,
            answer=form.cleaned_data["answer"],
            uploads=form.cleaned_data["files"],
        )
    except ApplicationError as exc:
        raise _conflict(exc) from exc
    return _detail(request, reference)


def _django_form_errors(form: Any, where: dict[str, str]) -> list[dict[str, Any]]:
    """A Django form's errors as details; ``where`` says in which part of the request each
    field was sent (``form``, ``file``, ``body.payload``), as ninja names them."""
    return [
        error_detail(error.code or "invalid", message, f"{where.get(name, 'body')}.{name}")
        for name, errors in form.errors.as_data().items()
        for error in errors
        for message in error.messages
    ]


@router.post(
    "/applications/{reference}/withdraw",
    auth=WRITE,
    response={200: ApplicationOut, **error_responses(401, 403, 404, 409, 422, 429)},
    summary="Withdraw an application",
    description="Withdraw an application not yet decided (or abandon a draft), with an "
    "optional reason. Withdrawing it again returns it unchanged; a decided application "
    "answers 409. Scope: `applications:write`.",
    openapi_extra=_scopes_extra(APPLICATIONS_WRITE),
)
def application_withdraw_endpoint(
    request: HttpRequest, reference: str, payload: WithdrawIn | None = None
) -> ApplicationOut:
    user = _user(request)
    application = selectors.application_for_applicant(user=user, reference=reference)
    if application.status == Status.WITHDRAWN:
        return _detail(request, reference)
    form = WithdrawForm(data={"reason": payload.reason if payload else ""})
    if not form.is_valid():
        raise Invalid(details=_django_form_errors(form, {"reason": "body.payload"}))
    try:
        application_withdraw(
            actor=user, application=application, reason=form.cleaned_data["reason"]
        )
    except ApplicationError as exc:
        raise _conflict(exc) from exc
    return _detail(request, reference)


# === staff case work ==========================================================================
#
# The same rules as the back office's case pages: case officers and agency administrators of
# the case's agency (platform administrators: every agency) with a second factor enrolled.
# Anyone else gets 404, so the endpoints do not confirm that a case exists. Opening a case is
# recorded in the applicant's "Who accessed my data".

cases_router = Router(tags=["cases"])

CASES_READ_AUTH = api_auth(CASES_READ)
CASES_WRITE_AUTH = api_auth(CASES_WRITE, session=False)
QueueStatus = Literal[
    "submitted",
    "info_requested",
    "awaiting_second_approval",
    "approved",
    "issued",
    "rejected",
    "revoked",
    "withdrawn",
    "awaiting_payment",
    "all",
]
SlaCode = Literal["overdue", "due_soon", "on_track", "paused"]


class MfaRequired(ApiError):
    status_code = 403
    code = "mfa_required"
    default_message = _("Staff must set up two-factor authentication before using staff endpoints.")


def _staff(request: HttpRequest) -> User:
    """The member of staff the request acts for, held to the staff pages' rules."""
    user = _user(request)
    if not user_has_role(user, *casework.CASE_ROLES):
        raise Http404
    if not has_second_factor(user):
        raise MfaRequired
    return user


def _case_error(exc: ApplicationError) -> ApiError:
    """A refusal by a case-work service: 422 on the field at fault, else 409."""
    field = getattr(exc, "field", None)
    if field:
        return invalid(f"body.payload.{field}", "invalid", exc.message)
    if isinstance(exc, casework.CaseAlreadyClaimed):
        return Conflict(exc.message, code="already_claimed")
    return Conflict(exc.message)


class StaffRefOut(Schema):
    id: int
    name: str


class SlaOut(Schema):
    code: str = Field(description="overdue, due_soon, on_track, paused, or empty once decided.")
    label: str
    working_days: int | None = Field(description="Working days left (negative: late by).")


class CaseSummaryOut(Schema):
    reference: str
    service: ServiceRefOut
    status: StatusCode
    status_label: str
    submitted_at: datetime.datetime | None
    due_date: datetime.date | None
    sla: SlaOut
    assignee: StaffRefOut | None
    url: str


class QueueSummaryOut(Schema):
    open: int
    overdue: int
    due_soon: int
    unassigned: int


class CaseQueueOut(Schema):
    agency: AgencyRefOut
    items: list[CaseSummaryOut]
    count: int
    summary: QueueSummaryOut = Field(description="Counts over the agency's open cases.")


class CaseActionsOut(Schema):
    claim: bool
    release: bool
    assign: bool
    request_info: bool
    approve: bool
    reject: bool
    send_back: bool
    issue: bool
    revoke: bool
    second_approval: bool = Field(description="The case waits for your second approval.")
    waiting_for_other: bool = Field(description="You gave the first approval.")


class CaseStateOut(CaseSummaryOut):
    """What a decision endpoint answers: the case's state, without personal data."""

    actions: CaseActionsOut
    decision_reason: str


class ApplicantOut(Schema):
    legal_name: str
    email: str
    phone: str
    address: dict[str, str]
    preferred_language: str
    accessibility_needs: list[str]
    accessibility_notes: str


class AnswerRowOut(Schema):
    question: str
    label: str
    lines: list[str] = Field(description="The answer as people read it.")


class AnswerSectionOut(Schema):
    page: str
    title: str
    rows: list[AnswerRowOut]


class CaseDocumentOut(Schema):
    id: int
    question: str = Field(description="The label of the question it answers.")
    name: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime.datetime
    url: str = Field(description="Download it (each download is logged for the applicant).")


class CasePaymentOut(Schema):
    reference: str
    amount: MoneyOut
    refunded: int
    status: str
    paid_at: datetime.datetime | None


class NoteOut(Schema):
    author: str
    text: str
    created_at: datetime.datetime


class StaffTimelineEntryOut(Schema):
    at: datetime.datetime
    label: str
    message: str
    internal: bool = Field(description="Staff only: never shown to the resident.")
    actor: str
    detail: str


class CaseOut(CaseStateOut):
    applicant: ApplicantOut
    answers: dict[str, Any]
    sections: list[AnswerSectionOut]
    documents: list[CaseDocumentOut]
    fee: MoneyOut | None
    amount_due: MoneyOut
    payments: list[CasePaymentOut]
    info_requests: list[InfoRequestOut]
    notes: list[NoteOut]
    timeline: list[StaffTimelineEntryOut]
    second_approval_required: bool
    permit: PermitOut | None


class MessageIn(Schema):
    message: str = Field(
        description="What you need from the resident (they read it).",
        max_length=casework.MESSAGE_MAX_LENGTH,
    )


class ReasonIn(Schema):
    reason: str = Field(
        "", description="Why; the resident reads it.", max_length=casework.MESSAGE_MAX_LENGTH
    )


def _sla(state: Any) -> SlaOut:
    return SlaOut(code=state.code, label=str(state.label), working_days=state.working_days)


def _case_summary_fields(
    request: HttpRequest, case: case_selectors.QueueCase, sla: Any, service_slug: str
) -> dict[str, Any]:
    return {
        "reference": case.reference,
        "service": ServiceRefOut(
            slug=service_slug, title=tr(case.version_title), version=case.version_number
        ),
        "status": case.status,
        "status_label": str(Status(case.status).label),
        "submitted_at": case.submitted_at,
        "due_date": case.due_date,
        "sla": _sla(sla),
        "assignee": (
            StaffRefOut(id=case.assignee_id, name=case.assignee_name) if case.assignee_id else None
        ),
        "url": _url(request, "api:case_detail", case.reference),
    }


def _application_summary_fields(
    request: HttpRequest, application: Application, sla: Any
) -> dict[str, Any]:
    return _case_summary_fields(
        request, case_selectors.QueueCase.of(application), sla, application.service.slug
    )


def _case_state(request: HttpRequest, user: User, reference: str) -> CaseStateOut:
    application = case_selectors.case_for_staff(user=user, reference=reference)
    sla = case_selectors.sla_state(application, timezone.localdate(), public_holidays())
    actions = case_selectors.case_actions(user, application)
    return CaseStateOut(
        **_application_summary_fields(request, application, sla),
        actions=CaseActionsOut(**dataclasses.asdict(actions)),
        decision_reason=application.decision_reason,
    )


def _case_for_action(request: HttpRequest, reference: str) -> tuple[User, Application]:
    user = _staff(request)
    return user, case_selectors.case_for_staff(user=user, reference=reference)


def _decide(
    request: HttpRequest, reference: str, run: Callable[[User, Application], Any]
) -> CaseStateOut:
    user, application = _case_for_action(request, reference)
    try:
        run(user, application)
    except PermissionDenied:
        raise Http404 from None
    except ApplicationError as exc:  # CaseError, or a move the status refuses
        raise _case_error(exc) from exc
    return _case_state(request, user, reference)


@cases_router.get(
    "/cases",
    auth=CASES_READ_AUTH,
    response={200: CaseQueueOut, **error_responses(401, 403, 404, 422, 429)},
    summary="The case queue",
    description="One agency's cases, most urgent first (due date, then submission), with "
    "each case's time left. `agency`: the code of one of your agencies (default: the "
    "first). `status`: open cases by default, one status, or `all`. `sla`, `assignee` "
    "(`me`, `none` or a staff id) and `service` (slug) filter further. `limit` (at most "
    "100) and `offset` (a multiple of `limit`) page through it. Staff of the agency with a "
    "second factor only. Scope: `cases:read`.",
    openapi_extra=_scopes_extra(CASES_READ),
)
def cases_list(
    request: HttpRequest,
    agency: str | None = None,
    status: QueueStatus | None = None,
    sla: SlaCode | None = None,
    assignee: str | None = Query(None, pattern=r"^(me|none|[0-9]+)$"),
    service: str | None = None,
    limit: int = Query(25, ge=1, le=MAX_PAGE_SIZE),
    offset: int = Query(0, ge=0),
) -> CaseQueueOut:
    user = _staff(request)
    agencies = case_selectors.case_agencies(user)
    if not agencies:
        raise Http404
    chosen = next((a for a in agencies if a.code == agency), None) if agency else agencies[0]
    if chosen is None:
        raise invalid("query.agency", "unknown_agency", _("You do not work for this agency."))
    if offset % limit:
        raise invalid(
            "query.offset", "not_a_page", _("The offset must be a multiple of the limit.")
        )
    # The agency's services, read once: the filter's slug, and each listed case's (the queue
    # loads no service per row; every case in it is of one of these).
    slugs = dict(Service.objects.filter(agency=chosen).values_list("pk", "slug"))
    service_id = None
    if service:
        service_id = next((pk for pk, slug in slugs.items() if slug == service), None)
        if service_id is None:
            raise invalid("query.service", "unknown_service", _("This agency has no such service."))
    page_number = offset // limit + 1
    queue = case_selectors.case_queue(
        user=user,
        agency=chosen,
        filters=case_selectors.QueueFilters(
            service=service_id, status=status or "", sla=sla or "", assignee=assignee or ""
        ),
        page_number=page_number,
        per_page=limit,
    )
    # Past the last page the paginator repeats the last one: an API answers nothing there.
    rows = queue.rows if page_number <= queue.page.paginator.num_pages else []
    return CaseQueueOut(
        agency=AgencyRefOut(code=chosen.code, name=chosen.localized_name()),
        items=[
            CaseSummaryOut(
                **_case_summary_fields(request, row.case, row.sla, slugs[row.case.service_id])
            )
            for row in rows
        ],
        count=queue.page.paginator.count,
        summary=QueueSummaryOut(**dataclasses.asdict(queue.summary)),
    )


@cases_router.get(
    "/cases/{reference}",
    url_name="case_detail",
    auth=CASES_READ_AUTH,
    response={200: CaseOut, **error_responses(401, 403, 404, 429)},
    summary="One case, to decide it",
    description="Everything needed to decide: the applicant's contact details, answers, "
    "documents, payments, requests for information, internal notes, the full timeline "
    "(internal events too) and what you can do now. **Each call is recorded in the "
    "applicant's 'Who accessed my data'** (purpose: handling their application), as when "
    "the case is opened in the back office. Scope: `cases:read`.",
    openapi_extra=_scopes_extra(CASES_READ),
)
def case_detail(request: HttpRequest, reference: str) -> CaseOut:
    user = _staff(request)
    case = case_selectors.case_detail(user=user, reference=reference)
    application = case.application
    personal_data_access_record(
        accessor=user,
        subject=application.applicant,
        what=format_lazy(
            _(
                "Your application {reference}: your answers, documents, payments and "
                "contact details"
            ),
            reference=application.reference,
        ),
        purpose=PersonalDataAccess.Purpose.CASE_HANDLING,
    )
    applicant = application.applicant
    profile = applicant.profile
    permit_obj = getattr(application, "permit", None)
    return CaseOut(
        **_application_summary_fields(request, application, case.sla),
        actions=CaseActionsOut(**dataclasses.asdict(case.actions)),
        decision_reason=application.decision_reason,
        applicant=ApplicantOut(
            legal_name=profile.legal_name,
            email=applicant.email,
            phone=profile.phone,
            address={
                "line1": profile.address_line1,
                "line2": profile.address_line2,
                "town": profile.town,
                "postcode": profile.postcode,
                "area": profile.area.code if profile.area else "",
            },
            preferred_language=profile.preferred_language,
            accessibility_needs=list(profile.accessibility_needs or []),
            accessibility_notes=profile.accessibility_notes,
        ),
        answers=dict(application.answers),
        sections=[
            AnswerSectionOut(
                page=section.page_id,
                title=section.title,
                rows=[
                    AnswerRowOut(question=row.question_id, label=row.label, lines=row.lines)
                    for row in section.rows
                ],
            )
            for section in case.sections
        ],
        documents=[
            CaseDocumentOut(
                id=row.document.pk,
                question=row.question,
                name=row.document.original_name,
                content_type=row.document.content_type,
                size=row.document.size,
                sha256=row.document.sha256,
                uploaded_at=row.document.created_at,
                url=_url(request, "api:case_document", application.reference, row.document.pk),
            )
            for row in case.documents
        ],
        fee=money_out(application.fee_amount, application.currency)
        if application.fee_amount
        else None,
        amount_due=money_out(case.amount_due, application.currency),
        payments=[
            CasePaymentOut(
                reference=payment.reference,
                amount=money_out(payment.amount, payment.currency),
                refunded=payment.refunded,
                status=payment.status,
                paid_at=payment.paid_at,
            )
            for payment in case.payments
        ],
        info_requests=[
            InfoRequestOut(
                message=info.message,
                requested_at=info.requested_at,
                answer=info.answer,
                answered_at=info.answered_at,
            )
            for info in case.info_requests
        ],
        notes=[
            NoteOut(
                author=casework.staff_name(note.author), text=note.text, created_at=note.created_at
            )
            for note in case.notes
        ],
        timeline=[
            StaffTimelineEntryOut(
                at=entry.at,
                label=entry.label,
                message=entry.message,
                internal=entry.internal,
                actor=entry.actor_name,
                detail=entry.detail,
            )
            for entry in case.timeline
        ],
        second_approval_required=case.second_approval_required,
        permit=PermitOut(
            number=permit_obj.number,
            status=permit_obj.status,
            valid_from=permit_obj.valid_from,
            valid_until=permit_obj.valid_until,
            verify_url=_web_url(request, "permit_verify", permit_obj.number),
        )
        if permit_obj is not None
        else None,
    )


@cases_router.get(
    "/cases/{reference}/documents/{document_id}",
    url_name="case_document",
    auth=CASES_READ_AUTH,
    response={**error_responses(401, 403, 404, 429)},
    summary="Download a document of a case",
    description="The file, as an attachment. Each download is recorded in the applicant's "
    "'Who accessed my data'. Scope: `cases:read`.",
    openapi_extra=_file_download_extra(CASES_READ),
)
def case_document(request: HttpRequest, reference: str, document_id: int) -> FileResponse:
    user = _staff(request)
    access = selectors.document_for_download(
        user=user, reference=reference, document_id=document_id
    )
    if not access.by_staff or not casework.can_work_on(user, access.document.application):
        raise Http404
    document = access.document
    personal_data_access_record(
        accessor=user,
        subject=document.application.applicant,
        what=format_lazy(
            _("A document you sent with application {reference}"),
            reference=document.application.reference,
        ),
        purpose=PersonalDataAccess.Purpose.CASE_HANDLING,
    )
    return _file_response(document)


_DECISION_RESPONSES = {200: CaseStateOut, **error_responses(401, 403, 404, 409, 422, 429)}


@cases_router.post(
    "/cases/{reference}/claim",
    auth=CASES_WRITE_AUTH,
    response=_DECISION_RESPONSES,
    summary="Claim a case",
    description="Take an unassigned case: you handle it from now on. Of two officers "
    "claiming at once exactly one wins; the other gets 409 `already_claimed` naming who "
    "has it. Claiming your own case again changes nothing. Scope: `cases:write`.",
    openapi_extra=_scopes_extra(CASES_WRITE),
)
def case_claim(request: HttpRequest, reference: str) -> CaseStateOut:
    return _decide(
        request,
        reference,
        lambda user, application: casework.case_claim(actor=user, application=application),
    )


@cases_router.post(
    "/cases/{reference}/request-info",
    auth=CASES_WRITE_AUTH,
    response=_DECISION_RESPONSES,
    summary="Ask the resident for more information",
    description="The resident reads `message` and is told by email; the time limit stops "
    "until they answer. Only the case's handler (or an agency administrator), on a case "
    "waiting for a decision. Scope: `cases:write`.",
    openapi_extra=_scopes_extra(CASES_WRITE),
)
def case_request_info(request: HttpRequest, reference: str, payload: MessageIn) -> CaseStateOut:
    return _decide(
        request,
        reference,
        lambda user, application: casework.case_request_info(
            actor=user, application=application, message=payload.message
        ),
    )


@cases_router.post(
    "/cases/{reference}/approve",
    auth=CASES_WRITE_AUTH,
    response=_DECISION_RESPONSES,
    summary="Approve",
    description="Approve, with an optional reason the resident reads once the decision is "
    "final. When the service needs a second approval, the first moves the case to "
    "`awaiting_second_approval` and a different officer approves it. Scope: `cases:write`.",
    openapi_extra=_scopes_extra(CASES_WRITE),
)
def case_approve(
    request: HttpRequest, reference: str, payload: ReasonIn | None = None
) -> CaseStateOut:
    return _decide(
        request,
        reference,
        lambda user, application: casework.case_approve(
            actor=user, application=application, reason=payload.reason if payload else ""
        ),
    )


@cases_router.post(
    "/cases/{reference}/reject",
    auth=CASES_WRITE_AUTH,
    response=_DECISION_RESPONSES,
    summary="Reject",
    description="Reject, with the reason the resident reads (required). What was paid is "
    "refunded when the service says so. Scope: `cases:write`.",
    openapi_extra=_scopes_extra(CASES_WRITE),
)
def case_reject(request: HttpRequest, reference: str, payload: ReasonIn) -> CaseStateOut:
    return _decide(
        request,
        reference,
        lambda user, application: casework.case_reject(
            actor=user, application=application, reason=payload.reason
        ),
    )


@cases_router.post(
    "/cases/{reference}/issue",
    auth=CASES_WRITE_AUTH,
    response=_DECISION_RESPONSES,
    summary="Issue the permit",
    description="Sign and issue the permit of an approved application, once its fee (if "
    "any) is paid; anyone can then verify it. Scope: `cases:write`.",
    openapi_extra=_scopes_extra(CASES_WRITE),
)
def case_issue(request: HttpRequest, reference: str) -> CaseStateOut:
    return _decide(
        request,
        reference,
        lambda user, application: casework.case_issue(actor=user, application=application),
    )


@cases_router.post(
    "/cases/{reference}/revoke",
    auth=CASES_WRITE_AUTH,
    response=_DECISION_RESPONSES,
    summary="Revoke the permit",
    description="The permit stops being valid at once, with the reason its holder reads "
    "(required); the public verification page says it is revoked. Scope: `cases:write`.",
    openapi_extra=_scopes_extra(CASES_WRITE),
)
def case_revoke(request: HttpRequest, reference: str, payload: ReasonIn) -> CaseStateOut:
    return _decide(
        request,
        reference,
        lambda user, application: casework.case_revoke(
            actor=user, application=application, reason=payload.reason
        ),
    )
