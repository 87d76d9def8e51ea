from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core import i18n


class Command(BaseCommand):
    help = (
        "German catalogue without GNU gettext. 'check' lists untranslated messages, 'update --area A "
        "[--translations file.json]' adds new messages to locale/A and fills translations, 'compile' writes .mo files."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["check", "update", "compile"])
        parser.add_argument("--area", help="catalogue area under locale/ (e.g. core, cascade, budgets)")
        parser.add_argument("--translations", help="JSON file: {english msgid: german translation}")

    def handle(self, *args, action, area=None, translations=None, **options):
        if action == "check":
            issues = i18n.problems()
            for issue in issues:
                self.stdout.write(issue)
            if issues:
                raise CommandError(f"{len(issues)} message(s) lack a German translation.")
            self.stdout.write(self.style.SUCCESS("German catalogue complete."))
        elif action == "update":
            if not area:
                raise CommandError("update needs --area")
            data = i18n.load_translations(Path(translations)) if translations else None
            changed, path = i18n.update(area, data)
            self.stdout.write(f"{changed} entries added or filled in {path}")
        else:
            for path in i18n.compile_all():
                self.stdout.write(f"compiled {path}")
