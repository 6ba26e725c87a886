from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from ecitizen.accounts.forms import ProfileForm
from ecitizen.accounts.selectors import personal_data_accesses_for, profile_for, staff_roles
from ecitizen.accounts.services import ProfileData, profile_update
from ecitizen.core.middleware import remember_language


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    from allauth.mfa.utils import is_mfa_enabled

    return render(
        request,
        "accounts/dashboard.html",
        {
            "profile": profile_for(request.user),  # type: ignore[arg-type]
            "roles": staff_roles(request.user),  # type: ignore[arg-type]
            "mfa_enabled": is_mfa_enabled(request.user),
        },
    )


@login_required
def profile_edit(request: HttpRequest) -> HttpResponse:
    profile = profile_for(request.user)  # type: ignore[arg-type]
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            profile_update(actor=request.user, profile=profile, data=ProfileData(**form.cleaned_data))  # type: ignore[arg-type]
            messages.success(request, _("Your profile has been saved."))
            remember_language(request, profile.preferred_language)
            return redirect("accounts:profile")
    else:
        form = ProfileForm(
            initial={
                name: getattr(profile, name)
                for name in ProfileForm.base_fields
                if hasattr(profile, name)
            }
        )
    return render(request, "accounts/profile.html", {"form": form, "profile": profile})


@login_required
def data_access_log(request: HttpRequest) -> HttpResponse:
    page = Paginator(personal_data_accesses_for(request.user), 25).get_page(  # type: ignore[arg-type]
        request.GET.get("page")
    )
    return render(request, "accounts/data_access.html", {"page": page})
