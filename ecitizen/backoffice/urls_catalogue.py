"""The service builder, mounted at /staff/services/ in the ``backoffice`` namespace."""

from django.urls import path

from ecitizen.backoffice import catalogue_views as views

urlpatterns = [
    path("", views.service_list, name="catalogue_services"),
    path("new/", views.service_create, name="catalogue_service_create"),
    path("<int:service_id>/", views.service_overview, name="catalogue_service"),
    path("<int:service_id>/settings/", views.service_settings, name="catalogue_service_settings"),
    path(
        "<int:service_id>/versions/<int:number>/preview/",
        views.preview,
        name="catalogue_version_preview",
    ),
    path("<int:service_id>/draft/new/", views.draft_create, name="catalogue_draft_create"),
    path("<int:service_id>/draft/", views.draft, name="catalogue_draft"),
    path("<int:service_id>/draft/discard/", views.draft_discard, name="catalogue_draft_discard"),
    path("<int:service_id>/draft/content/", views.draft_content, name="catalogue_draft_content"),
    path("<int:service_id>/draft/settings/", views.draft_settings, name="catalogue_draft_settings"),
    path("<int:service_id>/draft/preview/", views.preview, name="catalogue_draft_preview"),
    path("<int:service_id>/draft/publish/", views.publish, name="catalogue_draft_publish"),
    path("<int:service_id>/draft/pages/new/", views.page_add, name="catalogue_page_add"),
    path(
        "<int:service_id>/draft/pages/<slug:page_id>/", views.page_edit, name="catalogue_page_edit"
    ),
    path(
        "<int:service_id>/draft/pages/<slug:page_id>/delete/",
        views.page_delete,
        name="catalogue_page_delete",
    ),
    path(
        "<int:service_id>/draft/pages/<slug:page_id>/move/",
        views.page_move,
        name="catalogue_page_move",
    ),
    path(
        "<int:service_id>/draft/pages/<slug:page_id>/questions/new/",
        views.question_add,
        name="catalogue_question_add",
    ),
    path(
        "<int:service_id>/draft/questions/<slug:question_id>/",
        views.question_edit,
        name="catalogue_question_edit",
    ),
    path(
        "<int:service_id>/draft/questions/<slug:question_id>/delete/",
        views.question_delete,
        name="catalogue_question_delete",
    ),
    path(
        "<int:service_id>/draft/questions/<slug:question_id>/move/",
        views.question_move,
        name="catalogue_question_move",
    ),
]
