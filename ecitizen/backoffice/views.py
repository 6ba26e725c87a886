"""Staff-only pages. Every view declares the roles it serves; the rest get 404."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ecitizen.accounts.forms import PurposeForm, StaffResidentSearchForm
from ecitizen.accounts.models import Profile, StaffRole
from ecitizen.accounts.permissions import staff_required
from ecitizen.accounts.selectors import residents_search, staff_roles, user_has_role
from ecitizen.accounts.types import AuthedRequest
from ecitizen.audit.services import personal_data_access_record
from ecitizen.backoffice.forms import AgencyForm, AreaForm
from ecitizen.core.models import Agency, Area
from ecitizen.core.services import agency_save, area_save

Role = StaffRole.Role
PEOPLE_ROLES = (Role.CASE_OFFICER, Role.AGENCY_ADMIN, Role.ASSISTED_SERVICE_AGENT)


@staff_required()
def home(request: AuthedRequest) -> HttpResponse:
    """The staff start page: one card per area of work this person's roles open."""
    user = request.user
    can = {
        "cases": user_has_role(user, Role.CASE_OFFICER, Role.AGENCY_ADMIN),
        "people": user_has_role(user, *PEOPLE_ROLES),
        "assist": user_has_role(user, Role.ASSISTED_SERVICE_AGENT),
        "publish": user_has_role(user, Role.AGENCY_ADMIN),
        "alerts": user_has_role(user, Role.ALERT_PUBLISHER, Role.ALERT_APPROVER),
        "platform": user_has_role(user, Role.PLATFORM_ADMIN),
    }
    return render(request, "backoffice/home.html", {"roles": staff_roles(user), "can": can})


@staff_required(*PEOPLE_ROLES)
def resident_search(request: HttpRequest) -> HttpResponse:
    form = StaffResidentSearchForm(request.GET or None)
    results = residents_search(query=form.cleaned_data["q"]) if form.is_valid() else None
    return render(request, "backoffice/resident_search.html", {"form": form, "results": results})


@staff_required(*PEOPLE_ROLES)
def resident_detail(request: HttpRequest, profile_id: int) -> HttpResponse:
    """Shows a resident's profile only once the member of staff states why; the read is
    logged and the resident sees it on their "Who accessed my data" page."""
    profile = get_object_or_404(Profile.objects.select_related("user", "area"), pk=profile_id)
    form = PurposeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        personal_data_access_record(
            accessor=request.user,
            subject=profile.user,
            what=gettext_lazy(
                "Profile: name, date of birth, national ID, contact details, address"
            ),
            purpose=form.cleaned_data["purpose"],
        )
        return render(request, "backoffice/resident_detail.html", {"profile": profile})
    return render(request, "backoffice/resident_purpose.html", {"form": form, "profile": profile})


@staff_required(Role.PLATFORM_ADMIN)
def reference_data(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "backoffice/reference_data.html",
        {
            "areas": Area.objects.select_related("parent"),
            "agencies": Agency.objects.prefetch_related("areas"),
        },
    )


def _edit(request: HttpRequest, form_class, instance, save, template_title: str) -> HttpResponse:  # type: ignore[no-untyped-def]
    form = form_class(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        key = form_class.Meta.model._meta.model_name
        try:
            save(actor=request.user, **{key: instance}, **fields)
        except ValidationError as error:  # a rule the service checks beyond the form
            form.add_error(None, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("backoffice:reference_data")
    return render(
        request, "backoffice/edit.html", {"form": form, "title": template_title, "object": instance}
    )


@staff_required(Role.PLATFORM_ADMIN)
def area_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    area = get_object_or_404(Area, pk=pk) if pk else None
    title = _("Edit area") if area else _("Add an area")
    return _edit(request, AreaForm, area, area_save, title)


@staff_required(Role.PLATFORM_ADMIN)
def agency_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    agency = get_object_or_404(Agency, pk=pk) if pk else None
    title = _("Edit agency") if agency else _("Add an agency")
    return _edit(request, AgencyForm, agency, agency_save, title)
