from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CompaniesConfig(AppConfig):
    name = "companies"
    verbose_name = _("Companies")
    # Backups made before these models moved here name them by their old label (okrplan/backup.py reads this).
    former_labels = {
        "objectives.Company": "Company",
        "objectives.Membership": "Membership",
        "objectives.Profile": "Profile",
    }
