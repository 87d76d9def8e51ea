from django.apps import AppConfig


class OkrplanConfig(AppConfig):
    name = "okrplan"
    verbose_name = "okrplan"
