from django.urls import path

from ecitizen.accounts import views
from ecitizen.api import views as api_views

app_name = "accounts"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("profile/", views.profile_edit, name="profile"),
    path("who-accessed-my-data/", views.data_access_log, name="data_access"),
    path("tokens/", api_views.tokens, name="api_tokens"),
    path("tokens/new/", api_views.token_create, name="api_token_create"),
    path("tokens/<int:token_id>/revoke/", api_views.token_revoke, name="api_token_revoke"),
]
