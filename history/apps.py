from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HistoryConfig(AppConfig):
    name = "history"
    verbose_name = _("Change history")
    # Backups made before the change history moved here name it by its old label (okrplan/backup.py reads this).
    former_labels = {"okrplan.ChangeRecord": "ChangeRecord"}

    def ready(self) -> None:
        from .tracking import connect_company  # in ready(): the models are loaded only now

        connect_company(self.apps.get_model("companies", "Company"))
