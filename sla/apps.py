from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "sla"
    verbose_name = _("Handover SLAs")

    def ready(self) -> None:
        # Imported in ready(): our modules import models, which Django loads only now.
        from companies.permissions import Action
        from core.navigation import NavEntry, register
        from history.tracking import track

        register(NavEntry("sla", _("SLAs"), "sla:overview", Action.SLA_VIEW, order=65))
        # The rules decide who breached what: changes to them and to the working hours are on record.
        track(self.get_model("SlaRule"), _("SLA rule"))
        track(self.get_model("SlaCalendar"), _("SLA calendar"))
