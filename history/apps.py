from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HistoryConfig(AppConfig):
    name = "history"
    verbose_name = _("Change history")
    # Backups made before the change history moved here name it by its old label (companies/backup.py reads this).
    former_labels = {"okrplan.ChangeRecord": "ChangeRecord"}

    def ready(self) -> None:
        # Imported in ready(): our modules import models, which Django loads only now.
        from companies.permissions import Action
        from core.navigation import NavEntry, register

        from .tracking import connect_company, track

        connect_company(self.apps.get_model("companies", "Company"))
        # People (companies sits below history, so history tracks its models): who joined, with which role and
        # team, who changed it, who was taken out, and every invitation.
        track(self.apps.get_model("companies", "Team"), _("Team"))
        track(self.apps.get_model("companies", "Membership"), _("Membership"))
        track(self.apps.get_model("companies", "Invitation"), _("Invitation"))
        track(self.apps.get_model("companies", "SignInPolicy"), _("Sign-in policy"))
        register(NavEntry("history", _("History"), "history", Action.HISTORY_VIEW, order=70))
