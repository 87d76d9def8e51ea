"""Live CRM connections over the API: list them with their last sync, connect (the credentials are tested, stored
encrypted and never returned), sync now, disconnect. Thin: the services in crm.services.connections do the work."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from companies.api import CompanyScopedMixin
from companies.permissions import Action

from ..models import CrmConnection
from ..selectors import crm_connection_items
from ..services import crm_connection_connect, crm_connection_revoke, crm_connection_sync_request


class SyncRunSerializer(serializers.Serializer):
    trigger = serializers.CharField()
    status = serializers.CharField(help_text="running, done, paused (rate limit) or failed")
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    counts = serializers.DictField(help_text='{"leads": {"created": n, "updated": n}, "opportunities": …}')
    error_count = serializers.IntegerField()
    errors = serializers.ListField(
        child=serializers.DictField(), help_text="the first 500: stream, record, field, message"
    )
    message = serializers.CharField()


class ConnectionSerializer(serializers.Serializer):
    kind = serializers.CharField()
    connected = serializers.BooleanField()
    status = serializers.CharField(allow_null=True, help_text="active, needs_auth or revoked; null: never connected")
    label = serializers.CharField(help_text="connected as …")
    connected_at = serializers.DateTimeField(allow_null=True)
    last_error = serializers.CharField()
    running = SyncRunSerializer(allow_null=True)
    last_sync = SyncRunSerializer(allow_null=True)


def _item(item: dict) -> dict:
    connection = item["connection"]
    return {
        "kind": item["kind"],
        "connected": bool(connection and connection.status == CrmConnection.Status.ACTIVE),
        "status": connection.status if connection else None,
        "label": connection.label if connection else "",
        "connected_at": connection.connected_at if connection else None,
        "last_error": connection.last_error if connection else "",
        "running": SyncRunSerializer(item["running"]).data if item["running"] else None,
        "last_sync": SyncRunSerializer(item["last_run"]).data if item["last_run"] else None,
    }


def _kind(kind: str) -> str:
    if kind not in CrmConnection.Kind.values:
        raise Http404
    return kind


class CrmConnectionsAPI(CompanyScopedMixin, APIView):
    """The company's HubSpot and Salesforce connections with their running and last sync."""

    required_actions = {"get": Action.CRM_IMPORT}

    @extend_schema(responses=ConnectionSerializer(many=True))
    def get(self, request, *args, **kwargs):
        return Response([_item(item) for item in crm_connection_items(self.company)])


CONNECT_REQUEST = inline_serializer(
    "CrmConnectRequest",
    {
        "token": serializers.CharField(required=False, help_text="HubSpot: the private-app access token"),
        "login_url": serializers.CharField(required=False, help_text="Salesforce: https://login.salesforce.com …"),
        "consumer_key": serializers.CharField(required=False),
        "consumer_secret": serializers.CharField(required=False),
        "refresh_token": serializers.CharField(
            required=False, help_text="Salesforce: optional (else the client-credentials flow)"
        ),
    },
)


class CrmConnectionAPI(CompanyScopedMixin, APIView):
    """PUT connects (or connects again) with the CRM's credentials; DELETE disconnects and deletes them."""

    required_actions = {"put": Action.CRM_IMPORT, "delete": Action.CRM_IMPORT}

    @extend_schema(request=CONNECT_REQUEST, responses={200: ConnectionSerializer})
    def put(self, request, kind: str, *args, **kwargs):
        values = request.data if isinstance(request.data, dict) else {}
        crm_connection_connect(company=self.company, kind=_kind(kind), values=values, actor=request.user)
        item = next(i for i in crm_connection_items(self.company) if i["kind"] == kind)
        return Response(_item(item))

    @extend_schema(responses={204: None})
    def delete(self, request, kind: str, *args, **kwargs):
        connection = CrmConnection.objects.filter(company=self.company, kind=_kind(kind)).first()
        if connection is None or connection.status == CrmConnection.Status.REVOKED:
            raise Http404
        crm_connection_revoke(connection=connection, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CrmConnectionSyncAPI(CompanyScopedMixin, APIView):
    """Start a sync now (202); it runs in the background — GET the connections for its outcome."""

    required_actions = {"post": Action.CRM_IMPORT}

    @extend_schema(request=None, responses={202: None})
    def post(self, request, kind: str, *args, **kwargs):
        connection = CrmConnection.objects.filter(company=self.company, kind=_kind(kind)).first()
        if connection is None:
            raise Http404
        crm_connection_sync_request(connection=connection, actor=request.user)
        return Response(status=status.HTTP_202_ACCEPTED)
