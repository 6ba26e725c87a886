from django.urls import include, path

from ecitizen.backoffice import views

app_name = "backoffice"
urlpatterns = [
    path("", views.home, name="home"),
    path("residents/", views.resident_search, name="resident_search"),
    path("residents/<int:profile_id>/", views.resident_detail, name="resident_detail"),
    path("reference-data/", views.reference_data, name="reference_data"),
    path("areas/new/", views.area_edit, name="area_create"),
    path("areas/<int:pk>/", views.area_edit, name="area_edit"),
    path("agencies/new/", views.agency_edit, name="agency_create"),
    path("agencies/<int:pk>/", views.agency_edit, name="agency_edit"),
    # Each area of staff work has its own module of views and URLs.
    path("services/", include("ecitizen.backoffice.urls_catalogue")),
    path("cases/", include("ecitizen.backoffice.urls_cases")),
    path("payments/", include("ecitizen.backoffice.urls_payments")),
    path("budgets/", include("ecitizen.backoffice.urls_budgeting")),
    path("consultations/", include("ecitizen.backoffice.urls_consultations")),
]
