from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = _("Reporting")

    def ready(self) -> None:
        # Celery autodiscovers <app>.tasks only; the board's tasks live in their own module.
        from . import tasks_kpi  # noqa: F401
