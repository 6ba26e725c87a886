"""Staff pages: publish and approve alerts, delivery figures, message templates, and the
development mail/SMS sink."""

import email
import email.policy
from pathlib import Path

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ecitizen.accounts.models import StaffRole
from ecitizen.accounts.permissions import staff_required
from ecitizen.accounts.selectors import user_has_role
from ecitizen.core.i18n import LANGUAGE_CODES
from ecitizen.notifications import conf, placeholders, rendering, selectors, services, sms
from ecitizen.notifications.events import EVENTS
from ecitizen.notifications.forms import LANGUAGE_LABELS, AlertForm, CancelForm, TemplateForm
from ecitizen.notifications.models import Alert, Channel, Message

Role = StaffRole.Role
ALERT_ROLES = (Role.ALERT_PUBLISHER, Role.ALERT_APPROVER)


def _get_alert(pk: int) -> Alert:
    alert = (
        Alert.objects.select_related("created_by", "approved_by", "references")
        .prefetch_related("areas")
        .filter(pk=pk)
        .first()
    )
    if alert is None:
        raise Http404
    return alert


@staff_required(*ALERT_ROLES)
@require_GET
def alerts(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "notifications/staff/alerts.html",
        {
            "alerts": selectors.staff_alerts(),
            "can_publish": user_has_role(request.user, Role.ALERT_PUBLISHER),  # type: ignore[arg-type]
            "figures": selectors.delivery_figures(),
        },
    )


def _alert_from_form(request: HttpRequest, form: AlertForm, **extra: object) -> Alert | None:
    data = services.AlertData(
        severity=form.cleaned_data["severity"],
        title=form.texts("title"),
        body=form.texts("body"),
        instructions=form.texts("instructions"),
        starts_at=form.cleaned_data.get("starts_at"),
        expires_at=form.cleaned_data["expires_at"],
        all_areas=form.cleaned_data.get("all_areas") or False,
        areas=list(form.cleaned_data.get("areas") or []),
    )
    try:
        return services.alert_create(actor=request.user, data=data, **extra)  # type: ignore[arg-type]
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            for field, problems in error.message_dict.items():
                target = f"{field}_en" if field in ("title", "body") else field
                for problem in problems:
                    form.add_error(target if target in form.fields else None, problem)
        else:
            for problem in error.messages:
                form.add_error(None, problem)
    return None


def _published_message(request: HttpRequest, alert: Alert) -> None:
    if alert.status == Alert.Status.PENDING_APPROVAL:
        messages.success(
            request, _("Saved. A second person must approve this alert before it goes out.")
        )
    else:
        messages.success(request, _("Published. Residents are being told now."))


@staff_required(Role.ALERT_PUBLISHER)
@require_http_methods(["GET", "POST"])
def alert_create(request: HttpRequest) -> HttpResponse:
    form = AlertForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        alert = _alert_from_form(request, form)
        if alert is not None:
            _published_message(request, alert)
            return redirect("notifications:staff_alert", pk=alert.pk)
    return render(
        request,
        "notifications/staff/alert_form.html",
        {"form": form, "title": _("Publish an alert"), "needs_approval": services.needs_approval},
    )


@staff_required(Role.ALERT_PUBLISHER)
@require_http_methods(["GET", "POST"])
def alert_update(request: HttpRequest, pk: int) -> HttpResponse:
    original = _get_alert(pk)
    initial: dict[str, object] = {
        "severity": original.severity,
        "all_areas": original.all_areas,
        "areas": list(original.areas.all()),
        "expires_at": original.expires_at,
    }
    for code in LANGUAGE_LABELS:
        initial[f"title_{code}"] = original.title.get(code, "")
        initial[f"body_{code}"] = original.body.get(code, "")
        initial[f"instructions_{code}"] = original.instructions.get(code, "")
    form = AlertForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        alert = _alert_from_form(request, form, msg_type=Alert.MsgType.UPDATE, references=original)
        if alert is not None:
            _published_message(request, alert)
            return redirect("notifications:staff_alert", pk=alert.pk)
    return render(
        request,
        "notifications/staff/alert_form.html",
        {"form": form, "title": _("Update an alert"), "original": original},
    )


@staff_required(Role.ALERT_PUBLISHER)
@require_http_methods(["GET", "POST"])
def alert_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    original = _get_alert(pk)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        note = form.cleaned_data["note"]
        try:
            cancel = services.alert_cancel(
                actor=request.user,  # type: ignore[arg-type]
                alert=original,
                note={"en": note} if note else None,
            )
        except ValidationError as error:
            for problem in error.messages:
                form.add_error(None, problem)
        else:
            messages.success(request, _("The alert has been cancelled."))
            return redirect("notifications:staff_alert", pk=cancel.pk)
    return render(
        request, "notifications/staff/alert_cancel.html", {"form": form, "alert": original}
    )


@staff_required(*ALERT_ROLES)
@require_GET
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    alert = _get_alert(pk)
    user = request.user
    can_approve = (
        alert.status == Alert.Status.PENDING_APPROVAL
        and user_has_role(user, Role.ALERT_APPROVER)  # type: ignore[arg-type]
        and alert.created_by_id != user.pk
    )
    return render(
        request,
        "notifications/staff/alert_detail.html",
        {
            "alert": alert,
            "figures": selectors.delivery_figures(alert),
            "can_approve": can_approve,
            "can_publish": user_has_role(user, Role.ALERT_PUBLISHER),  # type: ignore[arg-type]
            "statuses": Message.Status.choices,
            "channels": [
                (Channel.EMAIL.value, Channel.EMAIL.label),
                (Channel.SMS.value, Channel.SMS.label),
            ],
        },
    )


@staff_required(*ALERT_ROLES)
@require_GET
def alert_figures(request: HttpRequest, pk: int) -> HttpResponse:
    """The delivery figures table alone, for the page's live refresh."""
    alert = _get_alert(pk)
    return render(
        request,
        "notifications/staff/figures.html",
        {
            "figures": selectors.delivery_figures(alert),
            "caption": _("Messages for this alert by channel and status"),
            "statuses": Message.Status.choices,
            "channels": [
                (Channel.EMAIL.value, Channel.EMAIL.label),
                (Channel.SMS.value, Channel.SMS.label),
            ],
        },
    )


@staff_required(Role.ALERT_APPROVER)
@require_POST
def alert_decide(request: HttpRequest, pk: int) -> HttpResponse:
    alert = _get_alert(pk)
    try:
        if request.POST.get("decision") == "approve":
            services.alert_approve(actor=request.user, alert=alert)  # type: ignore[arg-type]
            messages.success(request, _("Approved and published. Residents are being told now."))
        else:
            services.alert_reject(actor=request.user, alert=alert)  # type: ignore[arg-type]
            messages.success(request, _("The alert was not approved; it will not go out."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except PermissionDenied:
        raise Http404 from None
    return redirect("notifications:staff_alert", pk=alert.pk)


# --- Deliveries ------------------------------------------------------------------------------


@staff_required(Role.PLATFORM_ADMIN, *ALERT_ROLES)
@require_GET
def deliveries(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in Message.Status.values:
        status = ""
    return render(
        request,
        "notifications/staff/deliveries.html",
        {
            "figures": selectors.delivery_figures(),
            "messages_list": selectors.recent_messages(status=status),
            "status": status,
            "statuses": Message.Status.choices,
            "channels": [
                (Channel.EMAIL.value, Channel.EMAIL.label),
                (Channel.SMS.value, Channel.SMS.label),
            ],
        },
    )


# --- Templates ---------------------------------------------------------------------------------


@staff_required(Role.PLATFORM_ADMIN)
@require_GET
def templates(request: HttpRequest) -> HttpResponse:
    versions = selectors.current_template_versions()
    rows = [
        (
            event,
            [
                (
                    channel,
                    [
                        (code, versions.get((event.key, channel.value, code), 0))
                        for code in LANGUAGE_CODES
                    ],
                )
                for channel in Channel
            ],
        )
        for event in EVENTS.values()
    ]
    return render(request, "notifications/staff/templates.html", {"rows": rows})


@staff_required(Role.PLATFORM_ADMIN)
@require_http_methods(["GET", "POST"])
def template_edit(request: HttpRequest, event: str, channel: str, language: str) -> HttpResponse:
    spec = EVENTS.get(event)
    if spec is None or channel not in Channel.values or language not in LANGUAGE_CODES:
        raise Http404
    subject, body = rendering.wording(event, channel, language)
    form = TemplateForm(request.POST or None, initial={"subject": subject, "body": body})
    if channel == Channel.SMS:
        del form.fields["subject"]
    preview = None
    if request.method == "POST" and form.is_valid():
        new_subject = form.cleaned_data.get("subject", "")
        new_body = form.cleaned_data["body"]
        if request.POST.get("action") == "save":
            try:
                services.template_save(
                    actor=request.user,  # type: ignore[arg-type]
                    event=event,
                    channel=channel,
                    language=language,
                    subject=new_subject,
                    body=new_body,
                )
            except ValidationError as error:
                for problem in error.messages:
                    form.add_error("body", problem)
            else:
                messages.success(request, _("Saved as a new version."))
                return redirect("notifications:staff_template", event, channel, language)
        else:
            texts = [new_body] if channel == Channel.SMS else [new_subject, new_body]
            for problem in placeholders.problems(
                texts, allowed=spec.placeholders, required=spec.required
            ):
                form.add_error("body", problem)
            preview = (
                placeholders.render(new_subject, spec.sample),
                placeholders.render(new_body, spec.sample),
            )
    elif request.method == "GET":
        preview = (
            placeholders.render(subject, spec.sample),
            placeholders.render(body, spec.sample),
        )
    return render(
        request,
        "notifications/staff/template_edit.html",
        {
            "form": form,
            "spec": spec,
            "channel": Channel(channel),
            "language": language,
            "language_label": LANGUAGE_LABELS[language],
            "preview": preview,
            "versions": selectors.template_versions(event, channel, language),
            "allowed": [f"(({name}))" for name in spec.placeholders],
            "required": [f"(({name}))" for name in spec.required],
        },
    )


# --- Development sink ------------------------------------------------------------------------


def _sink_enabled() -> None:
    if not conf.get("NOTIFICATIONS_DEV_SINK_PAGE"):
        raise Http404


def _mail_files() -> list[Path]:
    folder = Path(conf.get("NOTIFICATIONS_MAIL_SINK_DIR"))
    if not folder.exists():
        return []
    return sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns, reverse=True)


@staff_required()
@require_GET
def dev_sink(request: HttpRequest) -> HttpResponse:
    """What the platform sent to the development mail and SMS sinks (``make demo``)."""
    _sink_enabled()
    mails = []
    for path in _mail_files()[:50]:
        parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        mails.append(
            {
                "name": path.stem,
                "to": str(parsed["To"] or ""),
                "subject": str(parsed["Subject"] or ""),
                "date": str(parsed["Date"] or ""),
            }
        )
    texts = list(reversed(sms.SinkSmsProvider().messages()))[:50]
    return render(request, "notifications/staff/sink.html", {"mails": mails, "texts": texts})


@staff_required()
@require_GET
def dev_sink_mail(request: HttpRequest, name: str) -> HttpResponse:
    _sink_enabled()
    path = next((p for p in _mail_files() if p.stem == name), None)
    if path is None:
        raise Http404
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    text = parsed.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
    attachments = [part.get_filename() for part in parsed.iter_attachments()]  # type: ignore[attr-defined]
    headers = [
        (name, str(parsed[name]))
        for name in ("From", "To", "Subject", "Date", "Message-ID", "List-Unsubscribe")
        if parsed[name]
    ]
    return render(
        request,
        "notifications/staff/sink_mail.html",
        {
            "headers": headers,
            "subject": str(parsed["Subject"] or ""),
            "text": text.get_content() if text else "",
            "attachments": attachments,
        },
    )
