"""The cascade's tests work in a company with the three standard teams (as every company migrated from free-text
teams and the demo company have): ``teams["company"]``, ``teams["marketing"]``, ``teams["sales"]``."""

from __future__ import annotations

import pytest

from companies.models import Team


@pytest.fixture(autouse=True)
def teams(request) -> dict[str, Team]:
    if "company" not in request.fixturenames:
        return {}
    company = request.getfixturevalue("company")
    names = {"company": "Unternehmen", "marketing": "Marketing", "sales": "Vertrieb"}
    return {
        kind: Team.objects.get_or_create(company=company, name=name, defaults={"kind": kind})[0]
        for kind, name in names.items()
    }
