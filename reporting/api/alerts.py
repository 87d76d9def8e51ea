"""KPI alerts API: list and read alerts (with why they fired), acknowledge with a note, per-KPI e-mail
subscriptions and the rule's k and n per KPI. Thin: selectors and services."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from companies.api import CompanyScopedMixin
from companies.permissions import Action
from core.api import PersonField

from .. import kpis
from ..models_alerts import KpiAlert
from ..selectors import alerts as selectors_alerts
from ..services import alerts as services_alerts


class KpiAlertSerializer(serializers.ModelSerializer):
    acknowledged_by = PersonField(read_only=True)
    why = serializers.SerializerMethodField(help_text="one sentence per check that fired, in the request's language")
    rule = serializers.SerializerMethodField()

    class Meta:
        model = KpiAlert
        fields = [
            "id",
            "kpi",
            "period_key",
            "period_start",
            "period_end",
            "value",
            "unit",
            "reasons",
            "inputs",
            "why",
            "rule",
            "status",
            "raised_at",
            "acknowledged_by",
            "acknowledged_at",
            "note",
            "resolved_at",
        ]

    def get_why(self, alert: KpiAlert) -> list[str]:
        return selectors_alerts.present_alert(alert, currency=alert.company.currency)["reasons"]

    def get_rule(self, alert: KpiAlert) -> str:
        return str(selectors_alerts.RULE_TEXT)


class AcknowledgeSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=services_alerts.NOTE_MAX_LENGTH)


class KpiAlertListAPI(CompanyScopedMixin, APIView):
    """GET: open alerts first, then the latest acknowledged and resolved ones (``?status=open`` for open only)."""

    required_actions = {"get": Action.BOARD_VIEW}

    @extend_schema(
        parameters=[OpenApiParameter("status", OpenApiTypes.STR, enum=["open"], description="Only open alerts.")],
        responses=KpiAlertSerializer(many=True),
    )
    def get(self, request, company_slug: str):
        if request.query_params.get("status") == "open":
            rows = selectors_alerts.open_alerts(company=self.company)
        else:
            rows = selectors_alerts.recent_alerts(company=self.company)
        for row in rows:
            row.company = self.company
        return Response(KpiAlertSerializer(rows, many=True).data)


class KpiAlertDetailAPI(CompanyScopedMixin, APIView):
    required_actions = {"get": Action.BOARD_VIEW}

    @extend_schema(responses=KpiAlertSerializer)
    def get(self, request, company_slug: str, kpi_alert_id: int):
        alert = selectors_alerts.alert_for(company=self.company, alert_id=kpi_alert_id)
        if alert is None:
            raise Http404(_("No such alert."))
        alert.company = self.company
        return Response(KpiAlertSerializer(alert).data)


class KpiAlertAcknowledgeAPI(CompanyScopedMixin, APIView):
    """POST ``{"note": "…"}``: acknowledge an open alert (400 without a note or when it is no longer open)."""

    required_actions = {"post": Action.KPI_ALERT_ACKNOWLEDGE}

    @extend_schema(request=AcknowledgeSerializer, responses=KpiAlertSerializer)
    def post(self, request, company_slug: str, kpi_alert_id: int):
        if selectors_alerts.alert_for(company=self.company, alert_id=kpi_alert_id) is None:
            raise Http404(_("No such alert."))
        body = AcknowledgeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        alert = services_alerts.kpi_alert_acknowledge(
            company=self.company, actor=request.user, alert_id=kpi_alert_id, note=body.validated_data["note"]
        )
        alert.company = self.company
        return Response(KpiAlertSerializer(alert).data)


class SubscriptionSerializer(serializers.Serializer):
    kpi = serializers.CharField()
    subscribed = serializers.BooleanField()


class KpiAlertSubscriptionAPI(CompanyScopedMixin, APIView):
    """GET: every KPI and whether you get its alerts by e-mail. PUT ``{"kpi", "subscribed"}``: switch one."""

    required_actions = {"get": Action.BOARD_VIEW, "put": Action.BOARD_VIEW}

    @extend_schema(responses=SubscriptionSerializer(many=True))
    def get(self, request, company_slug: str):
        mine = selectors_alerts.subscribed_kpis(user=request.user, company=self.company)
        return Response([{"kpi": key, "subscribed": key in mine} for key in kpis.KPIS])

    @extend_schema(request=SubscriptionSerializer, responses=SubscriptionSerializer)
    def put(self, request, company_slug: str):
        body = SubscriptionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        subscribed = services_alerts.kpi_alert_subscription_set(
            company=self.company, user=request.user, **body.validated_data
        )
        return Response({"kpi": body.validated_data["kpi"], "subscribed": subscribed})


class SettingSerializer(serializers.Serializer):
    kpi = serializers.CharField()
    k = serializers.DecimalField(max_digits=5, decimal_places=2, required=False)
    n = serializers.IntegerField(required=False)
    enabled = serializers.BooleanField(required=False)


class KpiAlertSettingsAPI(CompanyScopedMixin, APIView):
    """GET: the history rule (k, n, on/off) of every KPI. PUT ``{"kpi", "k", "n", "enabled"}``: change one."""

    required_actions = {"get": Action.BOARD_VIEW, "put": Action.KPI_TARGETS_MANAGE}

    @extend_schema(responses=SettingSerializer(many=True))
    def get(self, request, company_slug: str):
        rule = services_alerts.alert_settings(self.company)
        return Response(
            SettingSerializer(
                [{"kpi": key, "k": k, "n": n, "enabled": enabled} for key, (k, n, enabled) in rule.items()],
                many=True,
            ).data
        )

    @extend_schema(request=SettingSerializer, responses=SettingSerializer)
    def put(self, request, company_slug: str):
        body = SettingSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        setting = services_alerts.kpi_alert_setting_set(company=self.company, actor=request.user, **body.validated_data)
        return Response(
            SettingSerializer({"kpi": setting.kpi, "k": setting.k, "n": setting.n, "enabled": setting.enabled}).data
        )
