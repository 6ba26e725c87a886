from django.urls import path

from ecitizen.consultations import views

app_name = "consultations"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/documents/<int:doc_id>/", views.document, name="document"),
    path(
        "<int:pk>/documents/<int:doc_id>/sections/<slug:anchor>/",
        views.section,
        name="section",
    ),
    path("<int:pk>/comments/<int:comment_id>/reply/", views.reply, name="reply"),
    path("<int:pk>/comments/<int:comment_id>/report/", views.report, name="report"),
    path("<int:pk>/respond/", views.respond, name="respond"),
    path("<int:pk>/respond/check/", views.check, name="check"),
    path("<int:pk>/respond/sent/", views.sent, name="sent"),
    path("<int:pk>/respond/<slug:key>/", views.question, name="question"),
    path("<int:pk>/results/", views.results, name="results"),
    path("<int:pk>/opinions/", views.opinions, name="opinions"),
    path("<int:pk>/opinions/new/", views.statement_new, name="statement_new"),
    path("<int:pk>/opinions/map/", views.opinion_map, name="opinion_map"),
]
