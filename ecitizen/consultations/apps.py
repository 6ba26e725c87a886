from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsultationsConfig(AppConfig):
    name = "ecitizen.consultations"
    label = "consultations"
    verbose_name = _("Consultations")

    def ready(self) -> None:
        from ecitizen.consultations import notify

        notify.register_events()
