from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = _("Reporting")

    def ready(self) -> None:
        # Imported in ready(): our modules import models, which Django loads only now.
        from companies.permissions import Action
        from core import versions
        from core.health import register_health_fact
        from core.navigation import NavEntry, register
        from crm.signals import crm_data_changed
        from crm.sources import register_company_sources, register_settings_page
        from history.tracking import track

        from .health import kpi_snapshot_age_seconds

        # crm sits below reporting and never imports it: reporting hands it the company's lead source lists (its
        # reporting settings) and recomputes the KPI periods that changed CRM rows touch.
        register_company_sources(_source_lists)
        register_settings_page("reporting:reporting_settings", _("Reporting settings and KPI bindings"))
        crm_data_changed.connect(_refresh_changed_kpis, dispatch_uid="reporting.refresh_changed_kpis")

        register_health_fact("kpi_snapshot_age_seconds", kpi_snapshot_age_seconds)
        register(NavEntry("board", _("Board"), "reporting:board", Action.BOARD_VIEW, order=60))
        # Targets decide the board's traffic lights: who moved a target, and from what, is on record.
        track(self.get_model("KpiTarget"), _("KPI target"))
        # The alert rule of a KPI (k, n, on/off) decides what the board flags: its changes are on record too.
        track(self.get_model("KpiAlertSetting"), _("KPI alert rule"))
        # The board is rendered once per version of these rows (core.versions); the refresh writes snapshots in
        # bulk and bumps "board" itself (services.kpi).
        for name in ("KpiTarget", "ReportingSettings", "KpiBinding", "KpiSnapshot", "AttributionSnapshot", "KpiAlert"):
            versions.track(self.get_model(name), "board")
        # Around the cached board body the page shows the latest refresh and the viewer's digest opt-in: a new refresh
        # run and an opt-in move the page's ETag (core.conditional); a run's later transitions are update()s, but
        # the page is not kept while a run is active (templates/reporting/board/_refresh_status.html).
        for name in ("KpiRefresh", "DigestSubscription"):
            versions.track(self.get_model(name), "status")


def _source_lists(company) -> tuple[list[str], list[str]]:
    # Imported here: the KPI module imports models, which Django loads only after the app registry is ready.
    from .kpis import reporting_settings

    settings = reporting_settings(company)
    return settings.sales_source_list, settings.other_source_list


def _refresh_changed_kpis(sender, company_id: int, **kwargs) -> None:
    # Imported here: the task module imports models, which Django loads only after the app registry is ready.
    from .tasks.kpi import kpi_snapshots_refresh_changed

    kpi_snapshots_refresh_changed.delay(company_id)
