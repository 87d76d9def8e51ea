from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("CRM data")
    # Backups made before these models moved here (issue 13) name them by their old label (companies/backup.py).
    former_labels = {
        "reporting.Lead": "Lead",
        "reporting.Opportunity": "Opportunity",
        "reporting.Touchpoint": "Touchpoint",
        "reporting.ColumnMapping": "ColumnMapping",
        "reporting.CrmImport": "CrmImport",
    }
