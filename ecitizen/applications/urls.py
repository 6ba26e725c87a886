from django.urls import path

from ecitizen.applications import views

app_name = "applications"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("start/<slug:service_slug>/", views.start, name="start"),
    path("assist/", views.assist, name="assist"),
    path("assist/residents/<int:user_id>/", views.assist_start, name="assist_start"),
    path("<str:reference>/", views.detail, name="detail"),
    path("<str:reference>/continue/", views.resume, name="resume"),
    path("<str:reference>/page/<str:page_id>/", views.page, name="page"),
    path("<str:reference>/check/", views.check, name="check"),
    path("<str:reference>/submit/", views.submit, name="submit"),
    path("<str:reference>/confirmation/", views.confirmation, name="confirmation"),
    path("<str:reference>/respond/", views.respond, name="respond"),
    path("<str:reference>/withdraw/", views.withdraw, name="withdraw"),
    path("<str:reference>/documents/<int:doc_id>/", views.document, name="document"),
]
