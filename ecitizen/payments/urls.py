from django.urls import path

from ecitizen.payments import views

app_name = "payments"
urlpatterns = [
    path("start/<str:reference>/", views.start, name="start"),
    path("<str:reference>/return/", views.payment_return, name="return"),
    path("<str:reference>/receipt.pdf", views.receipt, name="receipt"),
    path("sandbox/<str:provider_reference>/", views.sandbox_checkout, name="sandbox_checkout"),
    path("webhooks/<str:provider>/", views.webhook, name="webhook"),
]
