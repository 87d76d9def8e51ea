from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from budgets import services
from budgets.models import BudgetLine
from core.errors import DomainError
from core.htmx import error_messages


class Command(BaseCommand):
    help = "Approve a budget line as a given user, through the same service and rules as the approval queue."

    def add_arguments(self, parser):
        parser.add_argument("line_id", type=int)
        parser.add_argument("--as", dest="username", required=True, help="username of the approving CMO/executive")

    def handle(self, *args, line_id, username, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        line = BudgetLine.objects.filter(pk=line_id).first()
        if line is None:
            raise CommandError(f"No budget line {line_id}.")
        try:
            line = services.budget_line_approve(line=line, actor=user)
        except (ValidationError, DomainError) as exc:
            raise CommandError(" ".join(error_messages(exc))) from exc
        if line.state == BudgetLine.State.APPROVED:
            self.stdout.write(self.style.SUCCESS(f"Approved budget line {line.pk} “{line.title}”."))
        else:
            self.stdout.write(f"CMO step recorded for budget line {line.pk}; an executive must still approve it.")
