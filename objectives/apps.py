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
        register(NavEntry("priorities", _("Priorities"), "objectives:priorities", Action.INITIATIVE_VIEW, order=40))

        track(self.get_model("Objective"), _("Objective"))
        track(self.get_model("KeyResult"), _("Key result"))
        track(self.get_model("Initiative"), _("Initiative"))
        track(self.get_model("InitiativePartner"), _("Partner assignment"))
        # The cascade and the board's OKR progress are rendered once per version of these rows (core.versions).
        for name in ("Cycle", "Objective", "ObjectiveLink", "KeyResult", "CheckIn", "CascadeSettings"):
            versions.track(self.get_model(name), "okr")
        versions.track_m2m(self.get_model("Objective").contributes_to.through, "okr")
        # The priority matrix page (core.conditional: its ETag) is fresh per version of these rows.
        for name in ("Initiative", "InitiativePartner", "InitiativeRating", "PrioritySettings"):
            versions.track(self.get_model(name), "priorities")
        versions.track_m2m(self.get_model("Initiative").key_results.through, "priorities")
