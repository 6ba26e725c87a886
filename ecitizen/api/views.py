"""The 'API tokens' pages under /me/tokens/: list, create (secret shown once), revoke."""

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ecitizen.api.forms import ApiTokenCreateForm
from ecitizen.api.scopes import known_scopes, scope_label
from ecitizen.api.selectors import api_token_for, api_tokens_for
from ecitizen.api.services import api_token_create, api_token_revoke

# Service field names that the form calls differently.
_FORM_FIELD = {"expires_at": "expires_on"}


@login_required
@require_http_methods(["GET", "HEAD"])
def tokens(request: HttpRequest) -> HttpResponse:
    page = Paginator(api_tokens_for(request.user), 25).get_page(  # type: ignore[arg-type]
        request.GET.get("page")
    )
    labels = {scope.name: str(scope.label) for scope in known_scopes()}
    rows = [
        (token, [labels.get(name, name) for name in token.scopes]) for token in page.object_list
    ]
    return render(request, "api/tokens.html", {"page": page, "rows": rows})


@login_required
@reauthentication_required
@require_http_methods(["GET", "POST"])
def token_create(request: HttpRequest) -> HttpResponse:
    """Minting a credential is sensitive: a recent password (or second factor) check is
    required, as for the other security settings."""
    form = ApiTokenCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, plaintext = api_token_create(
                actor=request.user,  # type: ignore[arg-type]
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                expires_at=form.expires_at(),
            )
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                form.add_error(None, exc)
            else:
                for field, errors in exc.error_dict.items():
                    target = _FORM_FIELD.get(field, field)
                    form.add_error(target if target in form.fields else None, errors)
        else:
            # Rendered, not redirected: the secret must never be stored, not even in the session.
            return render(
                request,
                "api/token_created.html",
                {
                    "token": token,
                    "plaintext": plaintext,
                    "scope_labels": [scope_label(name) for name in token.scopes],
                },
            )
    return render(request, "api/token_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = api_token_for(request.user, token_id)  # type: ignore[arg-type]
    if request.method == "POST":
        if token.revoked_at is None:
            api_token_revoke(actor=request.user, token=token)  # type: ignore[arg-type]
            messages.success(
                request, _("The token “%(name)s” has been revoked.") % {"name": token.name}
            )
        return redirect("accounts:api_tokens")
    return render(
        request,
        "api/token_revoke.html",
        {"token": token, "scope_labels": [scope_label(name) for name in token.scopes]},
    )
