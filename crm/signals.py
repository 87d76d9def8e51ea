"""What crm tells the apps above it. crm never imports them (reporting reads crm, not the other way round); they
connect their receivers in their ``AppConfig.ready()``.

``crm_data_changed``: the CRM rows of a company changed (a file import finished, the bulk API wrote a payload);
sent after the transaction committed, with ``company_id``. reporting recomputes the KPI periods the change touches.
"""

from __future__ import annotations

from django.db import transaction
from django.dispatch import Signal

crm_data_changed = Signal()


def crm_data_changed_on_commit(company_id: int) -> None:
    """Send ``crm_data_changed`` once the current transaction commits (at once outside a transaction)."""
    transaction.on_commit(lambda: crm_data_changed.send(sender=None, company_id=company_id))
