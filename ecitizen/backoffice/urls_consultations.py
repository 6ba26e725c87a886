"""Consultations in the back office, mounted at /staff/consultations/ (``backoffice``
namespace)."""

from django.urls import path

from ecitizen.backoffice import consultation_views as views

urlpatterns = [
    path("", views.consultation_list, name="consultations"),
    path("new/", views.consultation_create, name="consultation_create"),
    path("<int:pk>/", views.overview, name="consultation"),
    path("<int:pk>/edit/", views.consultation_edit, name="consultation_edit"),
    path("<int:pk>/publish/", views.publish, name="consultation_publish"),
    path("<int:pk>/close/", views.close, name="consultation_close"),
    path("<int:pk>/questions/new/", views.question_edit, name="consultation_question_add"),
    path(
        "<int:pk>/questions/<int:question_id>/",
        views.question_edit,
        name="consultation_question_edit",
    ),
    path(
        "<int:pk>/questions/<int:question_id>/delete/",
        views.question_delete,
        name="consultation_question_delete",
    ),
    path(
        "<int:pk>/questions/<int:question_id>/move/",
        views.question_move,
        name="consultation_question_move",
    ),
    path("<int:pk>/documents/new/", views.document_add, name="consultation_document_add"),
    path(
        "<int:pk>/documents/<int:doc_id>/delete/",
        views.document_delete,
        name="consultation_document_delete",
    ),
    path(
        "<int:pk>/documents/<int:doc_id>/sections/new/",
        views.section_add,
        name="consultation_section_add",
    ),
    path(
        "<int:pk>/sections/<int:section_id>/delete/",
        views.section_delete,
        name="consultation_section_delete",
    ),
    path("<int:pk>/moderation/", views.moderation, name="consultation_moderation"),
    path(
        "<int:pk>/comments/<int:comment_id>/hide/",
        views.comment_hide,
        name="consultation_comment_hide",
    ),
    path(
        "<int:pk>/comments/<int:comment_id>/restore/",
        views.comment_restore,
        name="consultation_comment_restore",
    ),
    path(
        "<int:pk>/comments/<int:comment_id>/dismiss/",
        views.comment_dismiss,
        name="consultation_comment_dismiss",
    ),
    path("<int:pk>/statements/", views.statements, name="consultation_statements"),
    path(
        "<int:pk>/statements/<int:statement_id>/approve/",
        views.statement_approve,
        name="consultation_statement_approve",
    ),
    path(
        "<int:pk>/statements/<int:statement_id>/reject/",
        views.statement_reject,
        name="consultation_statement_reject",
    ),
    path("<int:pk>/map/", views.opinion_map, name="consultation_map"),
    path("<int:pk>/results/", views.results, name="consultation_results"),
    path(
        "<int:pk>/results/text/<int:question_id>/",
        views.text_answers,
        name="consultation_text_answers",
    ),
    path(
        "<int:pk>/results/text/<int:question_id>/<uuid:response_id>/tags/",
        views.tag_add,
        name="consultation_tag_add",
    ),
    path("<int:pk>/tags/<int:tag_id>/delete/", views.tag_delete, name="consultation_tag_delete"),
    path("<int:pk>/export.csv", views.export_csv, name="consultation_export_csv"),
    path("<int:pk>/export.json", views.export_json, name="consultation_export_json"),
    path("<int:pk>/outcome/", views.outcome, name="consultation_outcome"),
]
