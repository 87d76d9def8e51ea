"""Read queries of the companies app that pages and the API share."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from .models import Company, Team


def team_list(*, company: Company) -> QuerySet[Team]:
    """The company's teams by name, each with ``member_count`` and ``objective_count`` (one query)."""
    return Team.objects.for_company(company).annotate(
        member_count=Count("memberships", distinct=True), objective_count=Count("objectives", distinct=True)
    )


def team_choices(*, company: Company) -> list[Team]:
    """The company's teams by name, for a chooser (one query)."""
    return list(Team.objects.filter(company=company).only("id", "name", "kind", "company_id"))
