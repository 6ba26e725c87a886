"""Residents' inbox and preferences, one-click unsubscribe, SMS receipts, public alerts,
the CAP feed, and the installable web app (manifest, service worker, offline pages)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import dateformat
from django.utils.formats import get_format
from django.utils.timezone import localtime
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ecitizen.accounts.selectors import profile_for
from ecitizen.notifications import cap, rendering, selectors, services, sms
from ecitizen.notifications.forms import AreaFilterForm, PreferencesForm
from ecitizen.notifications.models import Preferences, Topic
from ecitizen.notifications.preferences import MANDATORY

# --- Inbox ---------------------------------------------------------------------------------


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    archived = request.GET.get("view") == "archived"
    page = selectors.inbox_page(request.user, request.GET.get("page"), archived=archived)  # type: ignore[arg-type]
    alerts = [] if archived else selectors.inbox_alerts(request.user)  # type: ignore[arg-type]
    # What each row shows, worked out once here rather than by template filters per row.
    prefix = reverse("notifications:inbox")
    labels = {topic.value: str(topic.label) for topic in Topic}
    when_format = get_format("DATETIME_FORMAT")  # looked up once, not per row
    for message in page.object_list:
        message.url = f"{prefix}{message.pk}/"  # type: ignore[attr-defined]
        message.topic_label = labels.get(message.topic, "")  # type: ignore[attr-defined]
        message.when = dateformat.format(localtime(message.created_at), when_format)  # type: ignore[attr-defined]
    return render(
        request,
        "notifications/inbox.html",
        {"page": page, "alerts": alerts, "archived": archived},
    )


@login_required
@require_GET
def inbox_message(request: HttpRequest, pk: int) -> HttpResponse:
    message = selectors.inbox_message(request.user, pk)  # type: ignore[arg-type]
    if message is None:
        raise Http404
    if message.read_at is None:
        services.inbox_message_mark(actor=request.user, message=message)  # type: ignore[arg-type]
    return render(request, "notifications/message.html", {"message": message})


@login_required
@require_POST
def inbox_message_archive(request: HttpRequest, pk: int) -> HttpResponse:
    message = selectors.inbox_message(request.user, pk)  # type: ignore[arg-type]
    if message is None:
        raise Http404
    archived = request.POST.get("archived", "1") == "1"
    services.inbox_message_archive(actor=request.user, message=message, archived=archived)  # type: ignore[arg-type]
    messages.success(
        request, _("Message archived.") if archived else _("Message moved back to your inbox.")
    )
    return redirect("notifications:inbox")


@login_required
@require_POST
def inbox_message_unread(request: HttpRequest, pk: int) -> HttpResponse:
    message = selectors.inbox_message(request.user, pk)  # type: ignore[arg-type]
    if message is None:
        raise Http404
    services.inbox_message_mark(actor=request.user, message=message, read=False)  # type: ignore[arg-type]
    messages.success(request, _("Message marked as unread."))
    return redirect("notifications:inbox")


@login_required
@require_GET
def inbox_alert(request: HttpRequest, pk: int) -> HttpResponse:
    alert = selectors.published_alert(pk)
    if alert is None:
        raise Http404
    services.alert_mark_read(actor=request.user, alert=alert)  # type: ignore[arg-type]
    return render(request, "notifications/alert_detail.html", {"alert": alert, "in_inbox": True})


@login_required
@require_POST
def inbox_alert_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    alert = selectors.published_alert(pk)
    if alert is None:
        raise Http404
    services.alert_mark_read(actor=request.user, alert=alert, archived=True)  # type: ignore[arg-type]
    messages.success(request, _("Alert removed from your inbox."))
    return redirect("notifications:inbox")


# --- Preferences ---------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    stored = Preferences.objects.filter(user=request.user).first()  # type: ignore[misc]
    form = PreferencesForm(
        request.POST or None,
        stored=stored.channels if stored else None,
        initial={
            "quiet_start": stored.quiet_start if stored else None,
            "quiet_end": stored.quiet_end if stored else None,
        },
    )
    if request.method == "POST" and form.is_valid():
        services.preferences_save(
            actor=request.user,  # type: ignore[arg-type]
            user=request.user,  # type: ignore[arg-type]
            channels=form.channels(),
            quiet_start=form.cleaned_data["quiet_start"],
            quiet_end=form.cleaned_data["quiet_end"],
        )
        messages.success(request, _("Your choices have been saved."))
        return redirect("notifications:preferences")
    profile = profile_for(request.user)  # type: ignore[arg-type]
    return render(
        request,
        "notifications/preferences.html",
        {
            "form": form,
            "profile": profile,
            "emergency_label": Topic.ALERT_EMERGENCY.label,
            "mandatory": MANDATORY,
        },
    )


# --- Unsubscribe (RFC 8058) ------------------------------------------------------------------


@csrf_exempt  # mail clients POST here without a session: the signed token is the proof
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    found = rendering.unsubscribe_read(token)
    if found is None:
        raise Http404
    user_id, topic = found
    if topic not in Topic.values:
        raise Http404
    if request.method == "POST":
        services.unsubscribe_apply(user_id=user_id, topic=topic)
        if request.POST.get("List-Unsubscribe") == "One-Click":
            return HttpResponse(_("You have been unsubscribed."), content_type="text/plain")
        return render(
            request, "notifications/unsubscribe.html", {"done": True, "topic": Topic(topic)}
        )
    return render(request, "notifications/unsubscribe.html", {"done": False, "topic": Topic(topic)})


@csrf_exempt  # the gateway signs its receipts (HMAC); there is no session
@require_POST
def sms_receipts(request: HttpRequest) -> HttpResponse:
    if not sms.verify(request.body, request.headers.get(sms.SIGNATURE_HEADER, "")):
        return HttpResponse(status=401)
    try:
        receipts = sms.parse_receipts(request.body)
    except (ValueError, AttributeError):
        return HttpResponseBadRequest()
    changed = services.sms_receipts_apply(provider=sms.HttpSmsProvider.name, receipts=receipts)
    return JsonResponse({"accepted": len(receipts), "changed": changed})


# --- Public alerts -------------------------------------------------------------------------


@require_GET
def alerts(request: HttpRequest) -> HttpResponse:
    form = AreaFilterForm(request.GET or None)
    area = form.cleaned_data.get("area") if form.is_valid() else None
    return render(
        request,
        "notifications/alerts.html",
        {"form": form, "alerts": selectors.public_alerts(area), "area": area},
    )


@require_GET
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    alert = selectors.published_alert(pk)
    if alert is None:
        raise Http404
    return render(request, "notifications/alert_detail.html", {"alert": alert})


@require_GET
@cache_control(public=True, max_age=60)
def alert_cap(request: HttpRequest, pk: int) -> HttpResponse:
    alert = selectors.published_alert(pk)
    if alert is None:
        raise Http404
    return HttpResponse(
        cap.cap_document(alert), content_type=f"{cap.CAP_CONTENT_TYPE}; charset=utf-8"
    )


@require_GET
@cache_control(public=True, max_age=60)
def alerts_feed(request: HttpRequest) -> HttpResponse:
    body = cap.atom_feed(selectors.feed_alerts(), (get_language() or "en")[:2])
    return HttpResponse(body, content_type="application/atom+xml; charset=utf-8")


# --- Installable web app ------------------------------------------------------------------


@require_GET
@cache_control(public=True, max_age=3600)
def manifest(request: HttpRequest) -> JsonResponse:
    icons = [
        {"src": static("img/pwa/icon-192.png"), "sizes": "192x192", "type": "image/png"},
        {"src": static("img/pwa/icon-512.png"), "sizes": "512x512", "type": "image/png"},
        {
            "src": static("img/pwa/icon-maskable-512.png"),
            "sizes": "512x512",
            "type": "image/png",
            "purpose": "maskable",
        },
        {"src": static("img/pwa/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
    ]
    data = {
        "name": settings.PLATFORM_NAME,
        "short_name": settings.PLATFORM_NAME,
        "description": _("Deal with your government online: applications, payments, alerts."),
        "lang": (get_language() or "en")[:2],
        "start_url": "/?source=pwa",
        "scope": "/",
        "id": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#162e51",
        "icons": icons,
        "shortcuts": [
            {"name": _("Inbox"), "url": reverse("notifications:inbox")},
            {"name": _("Alerts"), "url": reverse("notifications:alerts")},
        ],
    }
    return JsonResponse(data, content_type="application/manifest+json")


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker is a static file (assets/js/sw.js) served from the root so that
    its scope is the whole site."""
    path = finders.find("js/sw.js")
    if not path:
        raise Http404
    with open(path, encoding="utf-8") as handle:  # type: ignore[arg-type]
        code = handle.read()
    response = HttpResponse(code, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/"
    return response


@require_GET
@cache_control(public=True, max_age=3600)
def offline(request: HttpRequest) -> HttpResponse:
    return render(request, "notifications/offline.html")


@require_GET
@cache_control(public=True, max_age=3600)
def offline_applications(request: HttpRequest) -> HttpResponse:
    """The "my applications" shell the service worker shows offline: the page's layout with
    no personal data (those pages are never cached)."""
    return render(request, "notifications/offline_applications.html")
