"""External partners: the budget lines a partner may see, and the CMO's partner scorecard — per partner the
initiatives, the key results they feed with their progress, the budget bound to key results and the spend: "does our
partner contribute to the company's goals, or only to output?"

Definitions (the same as budgets.selectors): *planned* counts lines that are not rejected; *bound* is the planned
amount of those lines that are bound to a key result; *actual* is the spend booked on them. An initiative assigned to
two partners counts for both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import QuerySet

from companies.models import Company, Membership
from companies.permissions import Role
from core.tenancy import for_company
from initiatives.models import Initiative, InitiativePartner
from initiatives.selectors.partners import partner_initiatives
from objectives.models import KeyResult

from ..models import BudgetLine
from .base import COUNTED_STATES, ZERO, _actual_subquery


def partner_budget_lines(*, membership: Membership) -> QuerySet[BudgetLine]:
    """The budget lines of the partner's initiatives, with ``actual`` spend — none unless the CMO shares them."""
    if not membership.partner_sees_budget:
        return BudgetLine.objects.none()
    return (
        BudgetLine.objects.filter(
            company=membership.company_id,
            initiative__in=partner_initiatives(membership=membership).values("pk"),
        )
        .select_related("channel", "cycle", "key_result")
        .annotate(actual=_actual_subquery())
        .order_by("initiative_id", "title", "id")
    )


@dataclass
class KeyResultScore:
    key_result: KeyResult
    progress: Decimal


@dataclass
class InitiativeScore:
    initiative: Initiative
    key_results: list[KeyResultScore] = field(default_factory=list)
    planned: Decimal = ZERO
    bound: Decimal = ZERO
    actual: Decimal = ZERO

    @property
    def feeds_goals(self) -> bool:
        return bool(self.key_results)


@dataclass
class PartnerScore:
    membership: Membership
    initiatives: list[InitiativeScore] = field(default_factory=list)

    @property
    def key_results(self) -> list[KeyResultScore]:
        seen: dict[int, KeyResultScore] = {}
        for item in self.initiatives:
            for score in item.key_results:
                seen.setdefault(score.key_result.pk, score)
        return list(seen.values())

    @property
    def progress(self) -> Decimal | None:
        """The mean progress of the key results their initiatives feed (None without any)."""
        scores = self.key_results
        return sum((s.progress for s in scores), ZERO) / len(scores) if scores else None

    @property
    def planned(self) -> Decimal:
        return sum((i.planned for i in self.initiatives), ZERO)

    @property
    def bound(self) -> Decimal:
        return sum((i.bound for i in self.initiatives), ZERO)

    @property
    def actual(self) -> Decimal:
        return sum((i.actual for i in self.initiatives), ZERO)

    @property
    def bound_share(self) -> Decimal | None:
        return self.bound / self.planned if self.planned else None

    @property
    def output_only(self) -> list[InitiativeScore]:
        """Initiatives that feed no key result: output, not contribution."""
        return [i for i in self.initiatives if not i.feeds_goals]


def partner_scorecard(*, company: Company) -> list[PartnerScore]:
    """Every partner of ``company`` with their initiatives, key results and money, in five queries whatever the
    numbers of partners, initiatives, key results and lines."""
    partners = list(
        Membership.objects.for_company(company)
        .filter(role=Role.PARTNER)
        .select_related("user", "team")
        .order_by("user__last_name", "user__first_name", "user__username")
    )
    assignments = list(
        for_company(InitiativePartner, company)
        .filter(membership__role=Role.PARTNER)
        .select_related("initiative__cycle")
        .order_by("initiative__cycle__start_date", "initiative__title", "initiative_id")
    )
    initiative_ids = {a.initiative_id for a in assignments}
    links = list(
        Initiative.key_results.through.objects.filter(initiative_id__in=initiative_ids)
        .select_related("keyresult__objective")
        .order_by("keyresult__objective_id", "keyresult_id")
    )
    lines = (
        BudgetLine.objects.for_company(company)
        .filter(initiative_id__in=initiative_ids, state__in=COUNTED_STATES)
        .annotate(actual=_actual_subquery())
        .values_list("initiative_id", "planned_amount", "key_result_id", "actual")
    )
    per_initiative: dict[int, InitiativeScore] = {}
    for a in assignments:
        per_initiative.setdefault(a.initiative_id, InitiativeScore(a.initiative))
    for link in links:
        kr = link.keyresult
        progress = kr.progress
        per_initiative[link.initiative_id].key_results.append(KeyResultScore(kr, progress))
    for initiative_id, planned, key_result_id, actual in lines:
        score = per_initiative[initiative_id]
        score.planned += planned
        score.actual += actual or ZERO
        if key_result_id is not None:
            score.bound += planned
    by_partner = {m.pk: PartnerScore(m) for m in partners}
    for a in assignments:
        if a.membership_id in by_partner:
            by_partner[a.membership_id].initiatives.append(per_initiative[a.initiative_id])
    return list(by_partner.values())
