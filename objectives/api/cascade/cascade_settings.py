"""The company's cascade settings (check-in reminders)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from companies.api import CompanyScopedMixin
from companies.permissions import Action

from ...models import CascadeSettings
from ...selectors import cascade as selectors
from ...services import cascade as services
from .common import _validated


class CascadeSettingsSerializer(serializers.ModelSerializer):
    class Meta:
        model = CascadeSettings
        fields = ["reminder_after_days", "reminders_enabled"]


class CascadeSettingsUpdateSerializer(serializers.Serializer):
    reminder_after_days = serializers.IntegerField(min_value=1, max_value=90, required=False)
    reminders_enabled = serializers.BooleanField(required=False)


class CascadeSettingsAPI(CompanyScopedMixin, APIView):
    """The weekly check-in reminder: after how many days without a check-in, and whether it is sent at all."""

    required_actions = {"get": Action.CASCADE_VIEW, "patch": Action.CYCLE_MANAGE}

    @extend_schema(responses={200: CascadeSettingsSerializer})
    def get(self, request, company_slug: str):
        return Response(CascadeSettingsSerializer(selectors.cascade_settings_get(company=self.company)).data)

    @extend_schema(request=CascadeSettingsUpdateSerializer, responses={200: CascadeSettingsSerializer})
    def patch(self, request, company_slug: str):
        data = _validated(CascadeSettingsUpdateSerializer, request.data)
        settings = services.cascade_settings_update(company=self.company, actor=request.user, **data)
        return Response(CascadeSettingsSerializer(settings).data)
