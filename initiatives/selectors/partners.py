"""What an external partner may see: the initiatives assigned to them and the key results those feed. Pages and API
of the partner area read only through these, so a partner's reach is decided in one place."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from companies.models import Membership
from objectives.models import KeyResult

from ..models import Initiative


def partner_initiatives(*, membership: Membership) -> QuerySet[Initiative]:
    """The initiatives assigned to ``membership`` (in its company), with their key results (and those key results'
    objective and cycle) prefetched: a constant number of queries for any number of them."""
    return (
        Initiative.objects.filter(company=membership.company_id, partner_assignments__membership=membership)
        .select_related("cycle", "owner")
        .prefetch_related(
            Prefetch(
                "key_results",
                queryset=KeyResult.objects.select_related("objective__cycle", "owner").order_by("objective_id", "id"),
            )
        )
        .order_by("cycle__start_date", "title", "id")
    )


def partner_key_results(*, membership: Membership) -> QuerySet[KeyResult]:
    """The key results an assigned initiative of ``membership`` contributes to."""
    ids = Initiative.key_results.through.objects.filter(
        initiative__company=membership.company_id, initiative__partner_assignments__membership=membership
    ).values("keyresult_id")
    return KeyResult.objects.filter(company=membership.company_id, pk__in=ids).select_related(
        "company", "objective__cycle", "owner", "updated_by"
    )


def partner_key_result_get(*, membership: Membership, key_result_id) -> KeyResult:
    """One of the partner's key results; any other key result (of this company or another) is a 404."""
    return get_object_or_404(partner_key_results(membership=membership), pk=key_result_id)


def partner_may_check_in(*, user, key_result: KeyResult) -> bool:
    """Whether ``user`` is a partner of the key result's company assigned to an initiative feeding it."""
    return Initiative.key_results.through.objects.filter(
        keyresult_id=key_result.pk,
        initiative__company=key_result.company_id,
        initiative__partner_assignments__membership__user=user,
        initiative__partner_assignments__membership__company=key_result.company_id,
    ).exists()
