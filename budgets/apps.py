from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BudgetsConfig(AppConfig):
    name = "budgets"
    verbose_name = _("Budgets")

    def ready(self) -> None:
        # Imported in ready(): our modules import models, which Django loads only now.
        from companies.permissions import Action
        from core import versions
        from core.navigation import NavEntry, register
        from history.tracking import track
        from objectives import guards

        from . import services, signals  # noqa: F401

        # objectives must not import budgets; budgets tells the cascade services what its binding rule needs.
        guards.register_key_result_cycle_guard(services.key_result_cycle_guard)
        guards.register_cycle_dates_guard(services.cycle_dates_guard)
        register(NavEntry("budgets", _("Budgets"), "budgets:queue", Action.BUDGET_VIEW, order=50))
        register(NavEntry("partners", _("Partners"), "budgets:partner_scorecard", Action.PARTNERS_VIEW, order=55))
        register(NavEntry("partner_home", _("My initiatives"), "budgets:partner_home", Action.PARTNER_WORK, order=15))
        track(self.get_model("BudgetLine"), _("Budget line"))
        # The CMO approval limit: four eyes on money needs every change of it on record.
        track(self.get_model("BudgetSettings"), _("Budget settings"))
        # The board's spend chart is rendered once per version of these rows (core.versions).
        for name in ("BudgetLine", "SpendEntry", "Channel", "BudgetSettings"):
            versions.track(self.get_model(name), "budgets")
