"""Keep budget lines consistent when the cascade changes underneath them."""

from __future__ import annotations

from django.db.models.signals import pre_delete
from django.dispatch import receiver

from objectives.models import KeyResult

from . import services


@receiver(pre_delete, sender=KeyResult, dispatch_uid="budgets_unbind_lines_of_deleted_key_result")
def unbind_lines_of_deleted_key_result(sender, instance: KeyResult, **kwargs) -> None:
    # Runs inside the deletion's transaction, after the collector has checked that no approved line blocks it.
    services.budget_lines_unbind_key_result(key_result=instance)
