from django.core.management.base import BaseCommand
from django.db import transaction

from companies.demo import DEMO_PASSWORD, demo_logins
from core.registry import app_modules


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
        # Each app adds its part in <app>/demo.py, in app order; every part is idempotent and deterministic.
        modules = app_modules("demo")
        with transaction.atomic():
            for module in modules:
                module.load()
            # Computing the board's KPI snapshots takes the longest; tests that don't look at the board skip it.
            for module in modules if snapshots else []:
                if hasattr(module, "load_snapshots"):
                    module.load_snapshots()
        self.stdout.write(self.style.SUCCESS("Demo company 'Voltaria Energie AG' is ready."))
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, role in demo_logins():
            self.stdout.write(f"  {username:<18} {role}")
