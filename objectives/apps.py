from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ObjectivesConfig(AppConfig):
    name = "objectives"
    verbose_name = _("Planning")

    def ready(self) -> None:
        from history.tracking import track  # in ready(): tracking imports models, which load only now

        track(self.get_model("Objective"), _("Objective"))
        track(self.get_model("KeyResult"), _("Key result"))
        track(self.get_model("Initiative"), _("Initiative"))
