"""Actual spend booked against approved budget lines."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from companies.models import Company
from companies.permissions import Action, require_actor

from ..models import BudgetLine, SpendEntry
from .base import (
    State,
    _key,
)


@transaction.atomic
def spend_entry_create(
    *,
    line: BudgetLine | int,
    date: dt.date,
    amount: Decimal,
    actor,
    reference: str = "",
    note: str = "",
    company: Company | None = None,
) -> SpendEntry:
    """Book actual spend against an approved line (money follows approved strategy)."""
    line = BudgetLine.objects.select_related("company", "cycle").get(pk=_key(line))
    if company is not None and line.company_id != company.pk:
        raise ValidationError({"line": [_("No such budget line in this company.")]})
    require_actor(actor, line.company, Action.SPEND_RECORD)
    if line.state != State.APPROVED:
        raise ValidationError({"line": [_("Spend can only be booked on approved budget lines.")]})
    if amount is None or amount == 0:
        raise ValidationError({"amount": [_("Enter an amount other than zero.")]})
    entry = SpendEntry(
        company_id=line.company_id,
        line=line,
        date=date,
        amount=amount,
        reference=(reference or "").strip(),
        note=(note or "").strip(),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    entry.full_clean()
    entry.save()
    return entry
