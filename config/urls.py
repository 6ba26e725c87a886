from django.urls import include, path

from ecitizen.api.urls import api
from ecitizen.applications import permit_views
from ecitizen.core import views as core_views

urlpatterns = [
    path("", include("ecitizen.core.urls")),
    path("me/", include("ecitizen.accounts.urls")),
    path("api/v1/", api.urls),
    path("accounts/", include("allauth.urls")),
    path("staff/", include("ecitizen.backoffice.urls")),
    path("services/", include("ecitizen.catalogue.urls")),
    path("applications/", include("ecitizen.applications.urls")),
    path("payments/", include("ecitizen.payments.urls")),
    path("consultations/", include("ecitizen.consultations.urls")),
    path("participate/budgets/", include("ecitizen.budgeting.urls")),
    path("healthz", core_views.healthz, name="healthz"),
    path("verify/<str:number>/", permit_views.permit_verify, name="permit_verify"),
    path("permits/<str:number>.pdf", permit_views.permit_download, name="permit_download"),
    path(".well-known/permit-keys.json", permit_views.permit_keys, name="permit_keys"),
    # Last: its patterns have no common prefix, so every request that reaches this include
    # tries each of them (the dashboard and the API no longer do).
    path("", include("ecitizen.notifications.urls")),
]

# 404, 403, 400 and the CSRF failure page are Django's views with our templates (404.html …,
# in the page frame); the 500 page is our own, made without the database.
handler500 = "ecitizen.core.views.server_error"
