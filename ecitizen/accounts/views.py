from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from ecitizen.accounts.forms import ProfileForm
from ecitizen.accounts.selectors import (
    has_second_factor,
    personal_data_accesses_for,
    profile_for,
    staff_roles,
)
from ecitizen.accounts.services import ProfileData, profile_update
from ecitizen.accounts.types import AuthedRequest
from ecitizen.core.middleware import remember_language


@login_required
def dashboard(request: AuthedRequest) -> HttpResponse:
    context = {
        "profile": profile_for(request.user),
        "roles": staff_roles(request.user),
        "mfa_enabled": has_second_factor(request.user),
    }
    return render(request, "accounts/dashboard.html", context)


@login_required
def profile_edit(request: AuthedRequest) -> HttpResponse:
    profile = profile_for(request.user)
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            try:
                data = ProfileData(**form.cleaned_data)
                profile_update(actor=request.user, profile=profile, data=data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Your profile has been saved."))
                remember_language(request, profile.preferred_language)
                return redirect("accounts:profile")
    else:
        initial = {name: getattr(profile, name) for name in ProfileForm.base_fields}
        form = ProfileForm(initial=initial)
    return render(request, "accounts/profile.html", {"form": form, "profile": profile})


@login_required
def data_access_log(request: AuthedRequest) -> HttpResponse:
    accesses = personal_data_accesses_for(request.user)
    page = Paginator(accesses, 25).get_page(request.GET.get("page"))
    return render(request, "accounts/data_access.html", {"page": page})
