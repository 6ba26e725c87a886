"""/api/v1 public catalogue: topics, services and each service's published form. No token
needed. Text is in the request's language (``Accept-Language``, or ``?lang=`` which wins)."""

import datetime
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Literal, TypeVar, overload

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate
from pydantic import Field

from ecitizen.api.errors import ApiError, error_detail
from ecitizen.api.schemas import error_responses
from ecitizen.catalogue import presentation, selectors
from ecitizen.catalogue.models import Service, ServiceVersion
from ecitizen.core.i18n import tr

router = Router(tags=["catalogue"])

Language = Literal["en", "fr", "es"]
MAX_PAGE_SIZE = 100  # a larger ?limit= is cut down to this
T = TypeVar("T")
R = TypeVar("R")


class Shaped(Sequence[R]):
    """``items`` shaped by ``shape`` only for the page the pagination slices out, so a long
    list costs no more than the page asked for."""

    def __init__(self, items: Sequence[T], shape: Callable[[T], R]) -> None:
        self.items, self.shape = items, shape

    def __len__(self) -> int:
        return len(self.items)

    @overload
    def __getitem__(self, index: int) -> R: ...
    @overload
    def __getitem__(self, index: slice) -> list[R]: ...
    def __getitem__(self, index: int | slice) -> R | list[R]:
        if isinstance(index, slice):
            return [self.shape(item) for item in self.items[index]]
        return self.shape(self.items[index])


def paginated(view: Callable[..., Any]) -> Callable[..., Any]:
    """``?limit=`` (default 50, at most 100) and ``?offset=``; the answer is
    ``{"items": [...], "count": <total>}``."""
    return paginate(LimitOffsetPagination, max_limit=MAX_PAGE_SIZE)(view)


LANG_DESCRIPTION = (
    "Language of the text in the answer (en, fr or es). Without it, the `Accept-Language` "
    "header decides. Text missing in a language falls back to English."
)


class UnknownFilter(ApiError):
    status_code = 422
    code = "validation_error"

    def __init__(self, field: str, code: str, message: Any) -> None:
        super().__init__(
            _("Some of the data sent is not valid."),
            details=[error_detail(code, message, f"query.{field}")],
        )


@contextmanager
def language(lang: str | None, response: HttpResponse | None = None) -> Iterator[None]:
    """Build the answer in ``lang`` when one is asked for (the response says which)."""
    if not lang:
        yield
        return
    with translation.override(lang):
        yield
    if response is not None:
        response["Content-Language"] = lang


# --- schemas -------------------------------------------------------------------------------


class AgencyOut(Schema):
    code: str
    name: str


class TopicOut(Schema):
    slug: str
    name: str
    is_life_event: bool = Field(description="A life event (e.g. 'Having a baby') or a topic.")
    service_count: int = Field(description="How many published services it has.")


class FeeOut(Schema):
    kind: Literal["none", "fixed", "formula"]
    amount: int | None = Field(
        None, description="Fixed fee in minor units (cents); null unless kind is 'fixed'."
    )
    minimum: int | None = Field(None, description="Formula fee: the least it can be.")
    maximum: int | None = Field(None, description="Formula fee: the most it can be.")
    currency: str | None = Field(None, description="ISO 4217 code; null when free.")
    summary: str = Field(description="'Free', '€150.00' or 'From €50.00, depending on: …'.")
    timing: Literal["on_submit", "on_approval"] | None = Field(
        None, description="When it is paid; null when free."
    )
    timing_text: str
    refund_text: str


class SlaOut(Schema):
    working_days: int | None = Field(description="Most working days a decision takes.")
    text: str


class IssuesOut(Schema):
    document_type: str = Field(description="What is issued when approved, e.g. 'Building permit'.")
    permitted: str = Field(description="What it allows.")
    validity_days: int | None = Field(description="How long it is valid; null: no expiry.")
    validity_text: str


class ServiceSummaryOut(Schema):
    slug: str
    title: str
    summary: str
    agency: AgencyOut
    fee: str = Field(description="The fee in words, e.g. 'Free' or '€150.00'.")
    sla_working_days: int | None
    url: str = Field(description="This service in the API.")
    web_url: str = Field(description="The service's page on the website.")


class OptionOut(Schema):
    value: str
    label: str


class UploadRulesOut(Schema):
    types: list[str] = Field(description="Content types accepted (checked by the file's bytes).")
    max_size: int = Field(description="Bytes, per file.")
    max_files: int


class ConditionOut(Schema):
    question: str = Field(description="The id of an earlier question.")
    equals: Any = Field(None, description="Shown when that answer equals this value …")
    any_of: list[Any] | None = Field(None, description="… or is one of these values.")


class QuestionOut(Schema):
    id: str
    type: str = Field(
        description="text, long_text, number, money, date, yes_no, single_choice, "
        "multiple_choice, address, email, phone or file. See docs/api.md for the JSON each "
        "type's answer takes."
    )
    label: str
    help: str
    required: bool
    options: list[OptionOut] = Field(description="single_choice and multiple_choice only.")
    validation: dict[str, Any] = Field(
        description="min, max, integer (number, money); min_length, max_length, pattern "
        "(text); min_date, max_date (date: 'today' or YYYY-MM-DD); min_choices, max_choices."
    )
    upload: UploadRulesOut | None = Field(description="file questions only.")
    prefill: str | None = Field(
        description="legal_name, email, phone or address: answered from the applicant's "
        "profile unless an answer is sent."
    )
    condition: ConditionOut | None = Field(description="Asked only when this holds.")


class PageOut(Schema):
    id: str
    title: str
    condition: ConditionOut | None
    questions: list[QuestionOut]


class FormOut(Schema):
    version: int = Field(description="The published version applications are bound to.")
    pages: list[PageOut]


class ServiceOut(Schema):
    slug: str
    code: str = Field(description="The prefix of application references, e.g. 'BP'.")
    title: str
    summary: str
    eligibility: str = Field(description="Who can apply.")
    what_you_need: str
    agency: AgencyOut
    topics: list[str] = Field(description="Slugs of its topics and life events.")
    fee: FeeOut
    sla: SlaOut
    issues: IssuesOut | None = Field(description="What is issued when approved, if anything.")
    form: FormOut
    published_at: datetime.datetime | None
    web_url: str
    apply_url: str = Field(description="POST here with {'service': slug} to start a draft.")


# --- shaping -------------------------------------------------------------------------------


def _agency(agency: Any) -> AgencyOut:
    return AgencyOut(code=agency.code, name=agency.localized_name())


def _condition(condition: dict[str, Any] | None) -> ConditionOut | None:
    if not condition:
        return None
    return ConditionOut(
        question=condition.get("question", ""),
        equals=condition.get("equals"),
        any_of=list(condition["in"]) if "in" in condition else None,
    )


def _question(question: dict[str, Any]) -> QuestionOut:
    upload = question.get("upload") if question.get("type") == "file" else None
    return QuestionOut(
        id=question["id"],
        type=question["type"],
        label=tr(question.get("label")),
        help=tr(question.get("help")),
        required=bool(question.get("required")),
        options=[
            OptionOut(value=str(option.get("value")), label=tr(option.get("label")))
            for option in question.get("options") or []
        ],
        validation=dict(question.get("validation") or {}),
        upload=UploadRulesOut(
            types=list(upload.get("types") or []),
            max_size=int(upload.get("max_size") or 0),
            max_files=int(upload.get("max_files", 1)),
        )
        if upload is not None
        else None,
        prefill=question.get("prefill") or None,
        condition=_condition(question.get("condition")),
    )


def form_out(version: ServiceVersion) -> FormOut:
    """A version's form with every label in the active language."""
    pages = version.definition.get("form", {}).get("pages", [])
    return FormOut(
        version=version.number,
        pages=[
            PageOut(
                id=page["id"],
                title=tr(page.get("title")),
                condition=_condition(page.get("condition")),
                questions=[_question(question) for question in page.get("questions", [])],
            )
            for page in pages
        ],
    )


def _fee(definition: dict[str, Any]) -> FeeOut:
    fee = definition.get("fee") or {"kind": "none"}
    kind = fee.get("kind", "none")
    free = presentation.is_free(definition)
    return FeeOut(
        kind=kind,
        amount=int(fee["amount"]) if kind == "fixed" else None,
        minimum=fee.get("minimum") if kind == "formula" else None,
        maximum=fee.get("maximum") if kind == "formula" else None,
        currency=None if free else fee.get("currency", "EUR"),
        summary=presentation.fee_summary(definition),
        timing=None if free else definition.get("fee_timing", "on_submit"),
        timing_text=presentation.fee_timing_text(definition),
        refund_text=presentation.refund_text(definition),
    )


def _issues(definition: dict[str, Any]) -> IssuesOut | None:
    issues = definition.get("issues")
    if not issues:
        return None
    days = issues.get("validity_days")
    return IssuesOut(
        document_type=tr(issues.get("document_type")),
        permitted=tr(issues.get("permitted")),
        validity_days=days,
        validity_text=presentation.validity_text(days),
    )


def _service_summary(request: HttpRequest, service: Service) -> ServiceSummaryOut:
    version = service.published_version
    assert version is not None  # the selectors return published services only
    definition = version.definition
    return ServiceSummaryOut(
        slug=service.slug,
        title=tr(version.title),
        summary=tr(version.summary),
        agency=_agency(service.agency),
        fee=presentation.fee_summary(definition),
        sla_working_days=definition.get("sla_working_days"),
        url=request.build_absolute_uri(reverse("api:service_detail", args=[service.slug])),
        web_url=request.build_absolute_uri(reverse("catalogue:service", args=[service.slug])),
    )


# --- endpoints -----------------------------------------------------------------------------


@router.get(
    "/topics",
    auth=None,
    response={200: list[TopicOut], **error_responses(422)},
    summary="Topics and life events",
    description="Topics and life events that have at least one published service, in their "
    "display order. No token needed.",
)
@paginated
def topics_list(
    request: HttpRequest, response: HttpResponse, lang: Language | None = None
) -> list[TopicOut]:
    with language(lang, response):
        topics, life_events = selectors.topics_with_counts()
        rows = sorted(topics + life_events, key=lambda row: (row.topic.position, row.topic.slug))
        return [
            TopicOut(
                slug=row.topic.slug,
                name=tr(row.topic.name),
                is_life_event=row.topic.is_life_event,
                service_count=row.count,
            )
            for row in rows
        ]


@router.get(
    "/services",
    auth=None,
    response={200: list[ServiceSummaryOut], **error_responses(422)},
    summary="Published services",
    description="Services residents can apply for, in title order for the language. Filter "
    "by `topic` (slug), `agency` (code) and `q` (every word must match, in any language). "
    "No token needed.",
)
@paginated
def services_list(
    request: HttpRequest,
    response: HttpResponse,
    topic: str | None = None,
    agency: str | None = None,
    q: str = Query("", max_length=200),
    lang: Language | None = None,
) -> Sequence[ServiceSummaryOut]:
    with language(lang, response):
        try:
            topic_obj = selectors.topic_by_slug(topic) if topic else None
        except Http404:
            raise UnknownFilter("topic", "unknown_topic", _("There is no such topic.")) from None
        try:
            agency_obj = selectors.agency_by_code(agency) if agency else None
        except Http404:
            raise UnknownFilter("agency", "unknown_agency", _("There is no such agency.")) from None
        services = selectors.published_services(topic=topic_obj, agency=agency_obj, query=q)

        def shape(service: Service) -> ServiceSummaryOut:  # run later, for the page only
            with language(lang):
                return _service_summary(request, service)

        return Shaped(services, shape)


@router.get(
    "/services/{slug}",
    auth=None,
    url_name="service_detail",
    response={200: ServiceOut, **error_responses(404, 422)},
    summary="One service and its form",
    description="What the service is, who can apply, its fee, how long it takes, what is "
    "issued, and the questions of its published form (the answers an application takes). "
    "A service that is not published answers 404. No token needed.",
)
def service_detail(
    request: HttpRequest, response: HttpResponse, slug: str, lang: Language | None = None
) -> ServiceOut:
    service = selectors.published_service_get(slug)
    version = service.published_version
    assert version is not None
    definition = version.definition
    with language(lang, response):
        return ServiceOut(
            slug=service.slug,
            code=service.code,
            title=tr(version.title),
            summary=tr(version.summary),
            eligibility=tr(version.eligibility),
            what_you_need=tr(version.what_you_need),
            agency=_agency(service.agency),
            topics=[topic.slug for topic in service.topics.all()],
            fee=_fee(definition),
            sla=SlaOut(
                working_days=definition.get("sla_working_days"),
                text=presentation.sla_text(definition.get("sla_working_days")),
            ),
            issues=_issues(definition),
            form=form_out(version),
            published_at=version.published_at,
            web_url=request.build_absolute_uri(reverse("catalogue:service", args=[service.slug])),
            apply_url=request.build_absolute_uri(reverse("api:applications_list")),
        )
