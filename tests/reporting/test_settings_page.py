"""The reporting settings page: qualified stage, focus segments, half-life, lead source lists and KPI bindings."""

from __future__ import annotations

from decimal import Decimal

import pytest

from companies.permissions import Role
from reporting.models import KpiBinding, ReportingSettings
from tests.factories import CycleFactory, KeyResultFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db


def test_settings_page_saves_choices_and_binds_key_results(company, client_for):
    client = client_for(company, Role.CMO)
    url = f"/c/{company.slug}/board/settings/"
    page = client.get(url).content.decode()
    assert "Marketing qualified lead (MQL)" in page
    response = client.post(url, {"qualified_stage": "sql", "focus_segments": "Stadtwerke, Industrie ,",
                                 "attribution_half_life_days": 14, "sales_sources": ""})  # fmt: skip
    assert response.status_code == 302
    saved = ReportingSettings.objects.get(company=company)
    assert (saved.qualified_stage, saved.focus_segments, saved.attribution_half_life_days) == (
        "sql",
        ["Stadtwerke", "Industrie"],
        14,
    )
    assert client.post(url, {"qualified_stage": "sql", "attribution_half_life_days": 0}).status_code == 400
    # the source classification's "unknown origin" list
    assert "Direct Traffic" in page  # the defaults are stated
    response = client.post(url, {"qualified_stage": "mql", "attribution_half_life_days": 7, "sales_sources": "Messen",
                                 "other_sources": "Direct Traffic, Sonstiges ,"})  # fmt: skip
    assert response.status_code == 302
    saved = ReportingSettings.objects.get(company=company)
    assert (saved.sales_sources, saved.other_sources) == (["Messen"], ["Direct Traffic", "Sonstiges"])
    assert [saved.source_class(s) for s in ("messen", "sonstiges", "SEO")] == ["sales", "other", "marketing"]

    kr = KeyResultFactory(objective=ObjectiveFactory(cycle=CycleFactory(company=company)),
                          title="Qualifizierte Leads ≥ 1.180", target_value=Decimal("1180"))  # fmt: skip
    response = client.post(f"{url}bindings/", {"kpi_key": "qualified_leads_focus_segments", "key_result": kr.pk})
    assert response.status_code == 302
    binding = KpiBinding.objects.get()
    page = client.get(url).content.decode()
    assert "Qualifizierte Leads ≥ 1.180" in page and "1180" in page
    client.post(f"{url}bindings/{binding.pk}/delete/")
    assert KpiBinding.objects.count() == 0


def test_settings_are_read_only_for_executives(company, client_for):
    client = client_for(company, Role.EXECUTIVE)
    url = f"/c/{company.slug}/board/settings/"
    page = client.get(url).content.decode()
    assert "Only the CMO changes these settings." in page
    assert client.post(url, {"qualified_stage": "sql", "attribution_half_life_days": 3}).status_code == 403
    assert not ReportingSettings.objects.exists()


def test_the_settings_page_keeps_its_query_count_as_data_grows(company, client_for, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(company, Role.CMO)
    cycle = CycleFactory(company=company)
    url = f"/c/{company.slug}/board/settings/"

    def add(n):
        for _i in range(n):
            kr = KeyResultFactory(objective=ObjectiveFactory(cycle=cycle))
            KpiBinding.objects.create(company=company, kpi_key="funnel_conversion", key_result=kr)

    add(1)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    add(15)
    with django_assert_max_num_queries(len(captured.captured_queries)):
        assert client.get(url).status_code == 200
