from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "okrplan core"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        from .middleware import session_changed_hands

        user_logged_in.connect(session_changed_hands, dispatch_uid="core.session_changed_hands:in")
        user_logged_out.connect(session_changed_hands, dispatch_uid="core.session_changed_hands:out")
