"""Public verification of permits, the signing keys (JWKS), and the permit PDF download."""

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import cache_control, never_cache

from ecitizen.accounts.models import StaffRole
from ecitizen.accounts.selectors import user_has_role
from ecitizen.applications.models import IssuedPermit
from ecitizen.applications.permits import InvalidPermit, jwks, permit_pdf, permit_state, verify_jws


@cache_control(public=True, max_age=300)
def permit_keys(request: HttpRequest) -> JsonResponse:
    return JsonResponse(jwks())


@never_cache
def permit_verify(request: HttpRequest, number: str) -> HttpResponse:
    """Anyone can check a permit: its state and the minimum facts, nothing more. With the
    signed token from the QR code (``?t=``), the signature is checked too."""
    permit = get_object_or_404(
        IssuedPermit.objects.select_related("application__agency"), number=number.upper()
    )
    token = request.GET.get("t", "")
    signature = None
    if token:
        try:
            facts = verify_jws(token)
            signature = "valid" if facts == permit.facts else "mismatch"
        except InvalidPermit:
            signature = "invalid"
    context = {"permit": permit, "check": permit_state(permit), "signature": signature}
    return render(request, "applications/permits/verify.html", context)


def permit_download(request: HttpRequest, number: str) -> HttpResponse:
    """The permit PDF, for its holder and for staff of the issuing agency only."""
    permit = get_object_or_404(
        IssuedPermit.objects.select_related(
            "application__applicant__profile", "application__agency", "application__service_version"
        ),
        number=number.upper(),
    )
    application = permit.application
    user = request.user
    is_holder = user.is_authenticated and application.applicant_id == user.pk
    is_staff = user.is_authenticated and user_has_role(
        user,  # type: ignore[arg-type]
        StaffRole.Role.CASE_OFFICER,
        StaffRole.Role.AGENCY_ADMIN,
        agency_id=application.agency_id,
    )
    if not (is_holder or is_staff):
        raise Http404
    response = HttpResponse(permit_pdf(permit), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="permit-{permit.number}.pdf"'
    return response
