from django.urls import path

from ecitizen.catalogue import views

app_name = "catalogue"
urlpatterns = [
    path("", views.index, name="index"),
    path("topic/<slug:slug>/", views.topic, name="topic"),
    path("agency/<slug:code>/", views.agency, name="agency"),
    path("<slug:slug>/", views.service_detail, name="service"),
]
