"""CRM sync API: bulk upsert and paginated lists of leads, opportunities and touchpoints.

POST takes a JSON list of records (field names as in the lists below; dates ISO 8601 or the import's formats,
amounts as strings or numbers) and answers 200 {"received", "created", "updated"}; any invalid record rejects the
whole list with 400 {"detail", "errors": [{"index", "field", "message"}], "error_count"}. Thin: the service
crm.services.crm_records_upsert does the work (the same parser as the CSV import).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response

from companies.api import CompanyScopedMixin
from companies.permissions import Action

from ..models import CrmKind, Lead, Opportunity, Touchpoint
from ..services import crm_records_upsert


class LeadSerializer(serializers.ModelSerializer):
    class Meta:
        model = Lead
        fields = [
            "external_id",
            "created",
            "channel",
            "campaign",
            "segment",
            "is_marketing_sourced",
            "lifecycle_stage",
            "mql_at",
            "sal_at",
            "sql_at",
            "opportunity_at",
            "customer_at",
            "disqualified_at",
            "crm_opportunity_id",
            "owner",
            "first_contact_at",
            "rejected_at",
            "rejection_reason",
            "recycled_at",
        ]


class OpportunitySerializer(serializers.ModelSerializer):
    lead_external_id = serializers.CharField(source="lead.external_id", default=None, allow_null=True)
    # A plain string in the schema: another "status" enum exists in the API and the names would collide.
    status = serializers.CharField(
        help_text=_("open, won or lost (derived from is_won/is_closed or the stage when not given)"), required=False
    )

    class Meta:
        model = Opportunity
        fields = [
            "external_id",
            "lead_external_id",
            "created",
            "closed",
            "amount",
            "stage",
            "status",
            "lead_source",
            "is_marketing_sourced",
        ]


class TouchpointSerializer(serializers.ModelSerializer):
    lead_external_id = serializers.CharField(source="lead.external_id")

    class Meta:
        model = Touchpoint
        fields = ["external_id", "lead_external_id", "occurred", "channel", "campaign"]


class UpsertResultSerializer(serializers.Serializer):
    received = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()


class _CrmRecordsAPI(CompanyScopedMixin, generics.ListAPIView):
    kind: str = ""
    model = Lead
    required_actions = {"get": Action.BOARD_VIEW, "post": Action.CRM_IMPORT}

    def get_queryset(self):
        queryset = self.model.objects.filter(company=self.company)
        if self.model is not Lead:
            queryset = queryset.select_related("lead")
        return queryset.order_by("-id")

    def post(self, request, *args, **kwargs):
        items = request.data
        if isinstance(items, dict) and "items" in items:
            items = items["items"]
        result = crm_records_upsert(company=self.company, kind=self.kind, items=items, actor=request.user)
        return Response(result)


class CrmLeadsAPI(_CrmRecordsAPI):
    """Leads of the company (GET, paginated) and their bulk upsert by external id (POST, all or nothing)."""

    kind = CrmKind.LEADS
    model = Lead
    serializer_class = LeadSerializer
    filterset_fields = ["segment", "channel", "is_marketing_sourced"]

    @extend_schema(request=LeadSerializer(many=True), responses=UpsertResultSerializer)
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class CrmOpportunitiesAPI(_CrmRecordsAPI):
    """Opportunities (GET, paginated) and their bulk upsert (POST). ``lead_external_id`` links the lead; a
    status is derived from ``status``, ``is_won``/``is_closed`` or the stage name."""

    kind = CrmKind.OPPORTUNITIES
    model = Opportunity
    serializer_class = OpportunitySerializer
    filterset_fields = ["status", "is_marketing_sourced"]

    @extend_schema(request=OpportunitySerializer(many=True), responses=UpsertResultSerializer)
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class CrmTouchpointsAPI(_CrmRecordsAPI):
    """Touchpoints (GET, paginated) and their bulk upsert (POST); the lead must exist. Without ``external_id`` a
    stable id is derived from lead, time, channel and campaign."""

    kind = CrmKind.TOUCHPOINTS
    model = Touchpoint
    serializer_class = TouchpointSerializer
    filterset_fields = ["channel"]

    @extend_schema(request=TouchpointSerializer(many=True), responses=UpsertResultSerializer)
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)
