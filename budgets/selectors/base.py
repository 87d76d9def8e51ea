"""The amount definitions every budget selector shares (see the package docstring)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import (
    DecimalField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from ..models import BudgetLine, SpendEntry

ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=16, decimal_places=2)
State = BudgetLine.State
COUNTED_STATES = (State.DRAFT, State.SUBMITTED, State.APPROVED)


def _sum(expression, **filter_kwargs):
    condition = Q(**filter_kwargs) if filter_kwargs else None
    return Coalesce(Sum(expression, filter=condition), Value(ZERO), output_field=MONEY)


def _actual_subquery():
    spent = (
        SpendEntry.objects.filter(line=OuterRef("pk"))
        .order_by()
        .values("line")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(Subquery(spent, output_field=MONEY), Value(ZERO), output_field=MONEY)
