from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CompaniesConfig(AppConfig):
    name = "companies"
    verbose_name = _("Companies")
    # Backups made before these models moved here name them by their old label (companies/backup.py reads this).
    former_labels = {
        "objectives.Company": "Company",
        "objectives.Membership": "Membership",
        "objectives.Profile": "Profile",
    }

    def ready(self) -> None:
        # Imported in ready(): our modules import models, which Django loads only now.
        from django.contrib.auth import get_user_model

        from core import versions
        from core.navigation import NavEntry, register

        from .permissions import Action

        register(NavEntry("overview", _("Overview"), "company_home", Action.COMPANY_VIEW, order=10))
        register(NavEntry("members", _("Members"), "members", Action.MEMBERS_VIEW, order=80))
        # Rendered fragments (core.versions) show the company's name, currency and thresholds and people's names;
        # signing in (last_login) changes nothing anyone sees.
        versions.track(self.get_model("Company"), "company", company=lambda company: company.pk)
        # A team's name and kind show on every objective of the cascade (chip, colour, filter).
        versions.track(self.get_model("Team"), "company", company=lambda team: team.company_id)
        versions.track(get_user_model(), "people", company=lambda user: None, ignore={"last_login"})
        # Every page's header lists the user's companies by name (the company switcher).
        versions.track(self.get_model("Company"), "directory", company=lambda company: None)
        versions.track(self.get_model("Membership"), "directory")
