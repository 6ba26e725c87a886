"""The platform's urlconf with views that fail, for the tests of the 500 and 403 pages."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import handler500
from config.urls import urlpatterns as platform_urlpatterns


def fails(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a failure for the test")


def forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


urlpatterns = [path("fails/", fails), path("forbidden/", forbidden), *platform_urlpatterns]
__all__ = ["handler500", "urlpatterns"]
