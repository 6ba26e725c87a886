from django.urls import path

from ecitizen.backoffice import budgeting_views as views

urlpatterns = [
    path("", views.home, name="budgeting_home"),
    path("new/", views.process_edit, name="budgeting_process_create"),
    path("<int:pk>/", views.process_detail, name="budgeting_process"),
    path("<int:pk>/edit/", views.process_edit, name="budgeting_process_edit"),
    path("<int:pk>/budgets/new/", views.budget_edit, name="budgeting_budget_create"),
    path("ideas/<int:project_id>/", views.idea_review_view, name="budgeting_review"),
    path("budget/<int:budget_id>/", views.budget_detail, name="budgeting_budget"),
    path("budget/<int:budget_id>/edit/", views.budget_edit, name="budgeting_budget_edit"),
    path("budget/<int:budget_id>/close/", views.budget_close_view, name="budgeting_close"),
    path("budget/<int:budget_id>/tally/", views.budget_tally_view, name="budgeting_tally"),
    path("budget/<int:budget_id>/export.pb", views.budget_export, name="budgeting_export"),
    path("budget/<int:budget_id>/import/", views.budget_import, name="budgeting_import"),
    path("budget/<int:budget_id>/paper/", views.paper, name="budgeting_paper"),
    path("budget/<int:budget_id>/paper/enter/", views.paper_enter, name="budgeting_paper_enter"),
    path("paper/<int:slip_id>/check/", views.paper_resolve, name="budgeting_paper_resolve"),
    path(
        "projects/<int:project_id>/implementation/",
        views.implementation,
        name="budgeting_implementation",
    ),
    path(
        "milestones/<int:milestone_id>/reached/",
        views.milestone_reached,
        name="budgeting_milestone_reached",
    ),
]
