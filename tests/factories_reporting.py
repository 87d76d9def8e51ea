"""Factories of the reporting area (settings, bindings); the CRM data's are in factories_crm."""

from __future__ import annotations

import factory

from reporting.models import KpiBinding, ReportingSettings

from .factories import CompanyFactory, KeyResultFactory


class ReportingSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReportingSettings
        django_get_or_create = ("company",)

    company = factory.SubFactory(CompanyFactory)


class KpiBindingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KpiBinding

    key_result = factory.SubFactory(KeyResultFactory)
    company = factory.SelfAttribute("key_result.company")
    kpi_key = "qualified_leads_focus_segments"
