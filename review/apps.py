from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewConfig(AppConfig):
    name = "review"
    verbose_name = _("Weekly review")

    def ready(self) -> None:
        # Imported in ready(): our modules import models, which Django loads only now.
        from companies.permissions import Action
        from core.navigation import NavEntry, register
        from core.reminders import register_reminder_section
        from history.tracking import track

        from .reminders import open_actions_section

        register(NavEntry("review", _("Weekly review"), "review:week", Action.REVIEW_VIEW, order=65))
        track(self.get_model("ReviewAction"), _("Review action"))
        # Owners find their open actions in the weekly reminder e-mail (objectives.services.cascade_reminders).
        register_reminder_section("review_actions", open_actions_section)
