"""Staff case work, mounted at /staff/cases/ in the ``backoffice`` namespace."""

from django.urls import path

from ecitizen.backoffice import case_views as views

urlpatterns = [
    path("", views.queue, name="case_queue"),
    # Before "<str:reference>/", which would otherwise match "holidays".
    path("holidays/", views.holidays, name="case_holidays"),
    path("holidays/<int:pk>/delete/", views.holiday_remove, name="case_holiday_delete"),
    path("<str:reference>/", views.detail, name="case_detail"),
    path("<str:reference>/claim/", views.claim, name="case_claim"),
    path("<str:reference>/release/", views.release, name="case_release"),
    path("<str:reference>/assign/", views.assign, name="case_assign"),
    path("<str:reference>/note/", views.note, name="case_note"),
    path("<str:reference>/request-information/", views.request_info, name="case_request_info"),
    path("<str:reference>/approve/", views.approve, name="case_approve"),
    path("<str:reference>/reject/", views.reject, name="case_reject"),
    path("<str:reference>/send-back/", views.send_back, name="case_send_back"),
    path("<str:reference>/issue/", views.issue, name="case_issue"),
    path("<str:reference>/revoke/", views.revoke, name="case_revoke"),
]
