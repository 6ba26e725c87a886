"""The browsable API documentation: Swagger UI served from our own static files, under the
site's strict CSP (no inline script or style, nothing from another origin)."""

import json
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja.openapi.docs import DocsBase

from ecitizen.api.scopes import known_scopes

if TYPE_CHECKING:
    from ninja import NinjaAPI


class LocalSwagger(DocsBase):
    """Like ninja's ``Swagger`` but with our own template: the settings travel in a data
    attribute read by a static script, so the page has no inline ``<script>`` at all."""

    template = "api/docs.html"
    settings: dict[str, Any] = {
        "layout": "BaseLayout",
        "deepLinking": True,
        # Swagger UI would otherwise load a badge from validator.swagger.io.
        "validatorUrl": None,
        "displayRequestDuration": True,
        "persistAuthorization": False,
    }

    def render_page(self, request: HttpRequest, api: "NinjaAPI", **kwargs: Any) -> HttpResponse:
        openapi_url = self.get_openapi_url(api, kwargs)
        swagger_settings = {**self.settings, "url": openapi_url}
        return render(
            request,
            self.template,
            {
                "api": api,
                "openapi_url": openapi_url,
                "swagger_settings": json.dumps(swagger_settings),
                "scopes": known_scopes(),
            },
        )
