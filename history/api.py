"""API: the company's change history (GET only), filtered like the page."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers

from companies.api import CompanyScopedMixin
from companies.permissions import Action
from core.people import display_name

from . import selectors
from .models import ChangeRecord
from .tracking import TRACKED
from .views import parse_filters


class ChangeRecordSerializer(serializers.ModelSerializer):
    type = serializers.SerializerMethodField()
    actor = serializers.SerializerMethodField()
    changes = serializers.DictField(
        child=serializers.ListField(child=serializers.JSONField(allow_null=True), min_length=2, max_length=2),
        help_text="{field: [before, after]}",
    )

    class Meta:
        model = ChangeRecord
        fields = ["id", "type", "object_id", "object_label", "action", "actor", "at", "changes"]

    def get_type(self, record) -> str:
        return selectors.type_key(record)

    def get_actor(self, record) -> str | None:
        return display_name(record.actor) or None


@extend_schema(
    parameters=[
        OpenApiParameter("type", OpenApiTypes.STR, enum=list(TRACKED), description="Only this type"),
        OpenApiParameter("object", OpenApiTypes.INT, description="Only this object (with type)"),
    ]
)
class HistoryListAPI(CompanyScopedMixin, generics.ListAPIView):
    serializer_class = ChangeRecordSerializer
    required_actions = {"*": Action.HISTORY_VIEW}
    filter_backends: list = []

    def get_queryset(self):
        kind, object_id = parse_filters(self.request.query_params)
        return selectors.history_for(company=self.company, kind=kind, object_id=object_id)
