import importlib

from django.core.management.base import BaseCommand
from django.db import transaction

# Each app adds its part of the demo; every part is idempotent and deterministic.
DEMO_PARTS = [
    "objectives.demo",
    "objectives.demo_cascade",
    "objectives.demo_priorities",
    "budgets.demo",
    "reporting.demo",
]


class Command(BaseCommand):
    help = "Load the German demo company (Voltaria Energie AG). Idempotent: a second run changes nothing."

    def handle(self, *args, **options):
        from objectives.demo import DEMO_PASSWORD, demo_logins

        with transaction.atomic():
            for module_name in DEMO_PARTS:
                try:
                    module = importlib.import_module(module_name)
                except ModuleNotFoundError as exc:
                    if exc.name != module_name:
                        raise
                    continue
                module.load()
        self.stdout.write(self.style.SUCCESS("Demo company 'Voltaria Energie AG' is ready."))
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, role in demo_logins():
            self.stdout.write(f"  {username:<18} {role}")
