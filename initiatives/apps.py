from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InitiativesConfig(AppConfig):
    name = "initiatives"
    verbose_name = _("Initiatives")
    # Backups made before these models moved here name them by their old label (companies/backup.py reads this).
    former_labels = {
        "objectives.Initiative": "Initiative",
        "objectives.InitiativePartner": "InitiativePartner",
        "objectives.InitiativeRating": "InitiativeRating",
        "objectives.PrioritySettings": "PrioritySettings",
    }

    def ready(self) -> None:
        # Imported in ready(): our modules import models, which Django loads only now.
        from companies.permissions import Action
        from core import versions
        from core.navigation import NavEntry, register
        from history.tracking import track
        from objectives import guards

        from .selectors.partners import partner_may_check_in

        # objectives must not import initiatives; the check-in service asks the rules registered here whether a
        # partner may check in on a key result (the one their initiatives feed).
        guards.register_partner_check_in_rule(partner_may_check_in)
        register(NavEntry("priorities", _("Priorities"), "initiatives:priorities", Action.INITIATIVE_VIEW, order=40))
        track(self.get_model("Initiative"), _("Initiative"))
        track(self.get_model("InitiativePartner"), _("Partner assignment"))
        # The priority matrix page (core.conditional: its ETag) is fresh per version of these rows.
        for name in ("Initiative", "InitiativePartner", "InitiativeRating", "PrioritySettings"):
            versions.track(self.get_model(name), "priorities")
        versions.track_m2m(self.get_model("Initiative").key_results.through, "priorities")
