from django.urls import path

from ecitizen.budgeting import views

app_name = "budgeting"
urlpatterns = [
    path("", views.index, name="index"),
    path("projects/<int:pk>/", views.project_detail, name="project"),
    path("images/<int:pk>/", views.image, name="image"),
    path("<slug:slug>/", views.process_detail, name="process"),
    path("<slug:slug>/ideas/new/", views.idea_new, name="idea_new"),
    path("<slug:slug>/implementation/", views.implementation, name="implementation"),
    path("<slug:slug>/budgets/<int:budget_id>/", views.budget_detail, name="budget"),
    path("<slug:slug>/budgets/<int:budget_id>/vote/", views.vote, name="vote"),
    path(
        "<slug:slug>/budgets/<int:budget_id>/vote/confirm/", views.vote_confirm, name="vote_confirm"
    ),
    path("<slug:slug>/budgets/<int:budget_id>/vote/done/", views.voted, name="voted"),
    path("<slug:slug>/budgets/<int:budget_id>/results/", views.results, name="results"),
]
