"""Abstract model bases any app may use (no tables here: core is not an app with models)."""

from __future__ import annotations

from django.db import models

from .tenancy import CompanyQuerySet


class AppendOnlyQuerySet(CompanyQuerySet):
    """Bulk writes cannot rewrite history either: ``update()`` and ``delete()`` are refused with the model's
    ``append_only_message``. (Deleting the parent row still removes them: Django's cascade collector deletes without
    going through here.)"""

    def update(self, **kwargs):
        raise ValueError(self.model.append_only_message)

    def delete(self):
        raise ValueError(self.model.append_only_message)


class AppendOnlyModel(models.Model):
    """Rows that are written once and never edited or deleted through the ORM (check-ins, audit entries).

    Database triggers refuse UPDATE/DELETE too (see the apps' migrations); this guard explains the rule early.
    """

    append_only_message = "These rows are append-only."

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError(self.append_only_message)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError(self.append_only_message)
