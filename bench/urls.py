"""Benchmark urlconf: the platform's URLs plus a bare view used as the baseline."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import urlpatterns as platform_urlpatterns


def hello(request: HttpRequest) -> HttpResponse:
    """The cheapest possible Django response, through the same middleware as every page."""
    return HttpResponse(b"hello\n", content_type="text/plain")


urlpatterns = [path("bench/hello", hello, name="bench_hello"), *platform_urlpatterns]
