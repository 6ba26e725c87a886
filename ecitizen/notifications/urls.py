from django.urls import path

from ecitizen.notifications import staff_views, views

app_name = "notifications"
urlpatterns = [
    # Residents
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:pk>/", views.inbox_message, name="message"),
    path("inbox/<int:pk>/archive/", views.inbox_message_archive, name="message_archive"),
    path("inbox/<int:pk>/unread/", views.inbox_message_unread, name="message_unread"),
    path("inbox/alerts/<int:pk>/", views.inbox_alert, name="inbox_alert"),
    path("inbox/alerts/<int:pk>/dismiss/", views.inbox_alert_dismiss, name="inbox_alert_dismiss"),
    path("me/notifications/", views.preferences, name="preferences"),
    path("notifications/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("notifications/webhooks/sms/", views.sms_receipts, name="sms_receipts"),
    # Everyone
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/feed.atom", views.alerts_feed, name="alerts_feed"),
    path("alerts/<int:pk>/", views.alert_detail, name="alert_detail"),
    path("alerts/<int:pk>/cap.xml", views.alert_cap, name="alert_cap"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("offline/", views.offline, name="offline"),
    path("offline/applications/", views.offline_applications, name="offline_applications"),
    # Staff
    path("staff/alerts/", staff_views.alerts, name="staff_alerts"),
    path("staff/alerts/new/", staff_views.alert_create, name="staff_alert_create"),
    path("staff/alerts/<int:pk>/", staff_views.alert_detail, name="staff_alert"),
    path("staff/alerts/<int:pk>/figures/", staff_views.alert_figures, name="staff_alert_figures"),
    path("staff/alerts/<int:pk>/decide/", staff_views.alert_decide, name="staff_alert_decide"),
    path("staff/alerts/<int:pk>/update/", staff_views.alert_update, name="staff_alert_update"),
    path("staff/alerts/<int:pk>/cancel/", staff_views.alert_cancel, name="staff_alert_cancel"),
    path("staff/notifications/deliveries/", staff_views.deliveries, name="staff_deliveries"),
    path("staff/notifications/templates/", staff_views.templates, name="staff_templates"),
    path(
        "staff/notifications/templates/<str:event>/<str:channel>/<str:language>/",
        staff_views.template_edit,
        name="staff_template",
    ),
    path("staff/notifications/sink/", staff_views.dev_sink, name="dev_sink"),
    path(
        "staff/notifications/sink/mail/<str:name>/", staff_views.dev_sink_mail, name="dev_sink_mail"
    ),
]
