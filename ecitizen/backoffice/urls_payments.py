from django.urls import path

from ecitizen.backoffice import payment_views

urlpatterns = [
    path("", payment_views.report, name="payments_report"),
    path("reconciliation/", payment_views.reconciliation, name="payments_reconciliation"),
    path("<str:reference>/refund/", payment_views.refund, name="payment_refund"),
]
