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
    "reporting.demo_board",
]
# Computing the board's KPI snapshots takes the longest; tests that don't look at the board skip it.
SNAPSHOT_PARTS = {"reporting.demo_board"}


class Command(BaseCommand):
    help = "Load the German demo company (Voltaria Energie AG). Idempotent: a second run changes nothing."

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-snapshots",
            dest="snapshots",
            action="store_false",
            help="Do not compute the board's KPI snapshots (the board then starts empty until a refresh).",
        )

    def handle(self, *args, snapshots=True, **options):
        from objectives.demo import DEMO_PASSWORD, demo_logins

        with transaction.atomic():
            for module_name in DEMO_PARTS:
                if not snapshots and module_name in SNAPSHOT_PARTS:
                    continue
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
