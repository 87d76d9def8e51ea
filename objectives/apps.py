from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ObjectivesConfig(AppConfig):
    name = "objectives"
    verbose_name = _("Planning")

    def ready(self) -> None:
        # Imported in ready(): our modules import models, which Django loads only now.
        from companies.permissions import Action
        from core import versions
        from core.navigation import NavEntry, register
        from history.tracking import track

        register(NavEntry("cascade", _("Cascade"), "objectives:cascade", Action.CASCADE_VIEW, order=20))
        register(
            NavEntry("my_key_results", _("My key results"), "objectives:my_key_results", Action.CHECKIN_OWN, order=30)
        )

        track(self.get_model("Objective"), _("Objective"))
        track(self.get_model("KeyResult"), _("Key result"))
        # The cascade and the board's OKR progress are rendered once per version of these rows (core.versions).
        for name in ("Cycle", "Objective", "ObjectiveLink", "KeyResult", "CheckIn", "CascadeSettings"):
            versions.track(self.get_model(name), "okr")
        versions.track_m2m(self.get_model("Objective").contributes_to.through, "okr")
