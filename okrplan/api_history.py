"""API: the company's change history (GET only), filtered like the page."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers

from core.people import display_name

from . import history
from .api import CompanyScopedMixin
from .models import ChangeRecord
from .permissions import Action
from .views_history import parse_filters


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
        return history.type_key(record)

    def get_actor(self, record) -> str | None:
        return display_name(record.actor) or None


@extend_schema(
    parameters=[
        OpenApiParameter("type", OpenApiTypes.STR, enum=list(history.TRACKED), description="Only this type"),
        OpenApiParameter("object", OpenApiTypes.INT, description="Only this object (with type)"),
    ]
)
class HistoryListAPI(CompanyScopedMixin, generics.ListAPIView):
    serializer_class = ChangeRecordSerializer
    required_actions = {"*": Action.HISTORY_VIEW}
    filter_backends: list = []

    def get_queryset(self):
        kind, object_id = parse_filters(self.request.query_params)
        return history.history_for(company=self.company, kind=kind, object_id=object_id)
