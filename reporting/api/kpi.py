"""KPI API: latest snapshots, history per KPI, "refresh now" (202) and attribution. Thin: selectors and services."""

from __future__ import annotations

import datetime as dt

from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from companies.api import CompanyScopedMixin
from companies.permissions import Action
from core.safety import BoundedDateSerializerField

from .. import attribution, kpis, periods, targets
from ..models_snapshots import KpiRefresh, KpiSnapshot, KpiTarget, PeriodKind
from ..selectors import kpi as selectors_kpi
from ..services import kpi as services_kpi
from ..services import targets as services_targets

PERIOD_PARAMETER = OpenApiParameter(
    "period", OpenApiTypes.STR, enum=PeriodKind.values, description="Period type (default: month)."
)


def _period_kind(request, *, default: str | None = PeriodKind.MONTH) -> str | None:
    kind = request.query_params.get("period")
    if kind is None or kind == "":
        return default
    if kind not in PeriodKind.values:
        raise serializers.ValidationError(
            {"period": [_("Unknown period type %(kind)s: use month, quarter or cycle.") % {"kind": kind}]}
        )
    return kind


class KpiSnapshotSerializer(serializers.ModelSerializer):
    # Plain strings in the schema: "unit" and "status" enums of other endpoints share these field names.
    unit = serializers.CharField(help_text="currency, percent, number, days or hours")

    class Meta:
        model = KpiSnapshot
        fields = [
            "kpi",
            "period_kind",
            "period_key",
            "period_label",
            "period_start",
            "period_end",
            "value",
            "target",
            "unit",
            "breakdown",
            "computed_at",
        ]


class KpiTileSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    unit = serializers.CharField(help_text="currency, percent, number, days or hours")
    higher_is_better = serializers.BooleanField()
    value = serializers.DecimalField(max_digits=20, decimal_places=4, allow_null=True)
    target = serializers.DecimalField(max_digits=20, decimal_places=4, allow_null=True)
    previous_value = serializers.DecimalField(max_digits=20, decimal_places=4, allow_null=True)
    status = serializers.CharField(help_text="on_track, behind, at_risk or no_target")
    status_label = serializers.CharField()
    period_kind = serializers.CharField()
    period_key = serializers.CharField()
    period_label = serializers.CharField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    computed_at = serializers.DateTimeField()
    breakdown = serializers.JSONField()
    period_target = serializers.DecimalField(
        max_digits=20, decimal_places=4, allow_null=True, help_text="the whole period's target"
    )
    target_source = serializers.CharField(
        allow_blank=True, help_text="period, cycle, key_result, derived, snapshot or '' (no target)"
    )
    data_through = serializers.DateField(
        allow_null=True, help_text="a running period: the last day its value covers (null: complete)"
    )
    comparison_days = serializers.IntegerField(
        allow_null=True, help_text="a running period: previous_value covers this many first days of the previous one"
    )


class KpiRefreshSerializer(serializers.ModelSerializer):
    refresh_id = serializers.IntegerField(source="pk")
    status = serializers.CharField(help_text="queued, running, done or failed")
    scope = serializers.CharField(help_text="current or open")
    progress = serializers.SerializerMethodField()
    replaces = serializers.IntegerField(
        source="replaces_id", allow_null=True, help_text="the lost refresh this one was started in place of"
    )
    notice = serializers.SerializerMethodField(help_text="why this refresh was started in place of another one")

    class Meta:
        model = KpiRefresh
        fields = [
            "refresh_id",
            "task_id",
            "scope",
            "status",
            "created_at",
            "started_at",
            "heartbeat_at",
            "finished_at",
            "snapshots_written",
            "error",
            "progress",
            "replaces",
            "notice",
        ]

    def get_progress(self, refresh) -> dict | None:
        return services_kpi.refresh_progress(refresh.pk) if refresh.is_active else None

    def get_notice(self, refresh) -> str:
        lost = refresh.lost_predecessor
        return services_kpi.lost_message(lost.last_sign_of_life) if lost is not None else ""


class KpiListAPI(CompanyScopedMixin, APIView):
    """Every KPI for one period (default: the last complete one of the type), with target (the period's, from the
    targets), traffic light and the previous value (a running period: the same days of the previous one)."""

    required_actions = {"get": Action.BOARD_VIEW}

    @extend_schema(
        parameters=[
            PERIOD_PARAMETER,
            OpenApiParameter(
                "period_key",
                OpenApiTypes.STR,
                description="A period (2026-03, 2026-Q1, cycle-12); default: the "
                "last complete period of the type, else the running one.",
            ),
        ],
        responses=KpiTileSerializer(many=True),
    )
    def get(self, request, company_slug: str):
        tiles = selectors_kpi.board_tiles(
            company=self.company,
            period_kind=_period_kind(request),
            period_key=(request.query_params.get("period_key") or "")[:40] or None,
        )
        data = [
            {**tile.__dict__, "label": str(tile.label), "status_label": tile.status_label, "history": None}
            for tile in tiles
        ]
        return Response(KpiTileSerializer(data, many=True).data)


class KpiHistoryAPI(CompanyScopedMixin, generics.ListAPIView):
    """Every snapshot of one KPI, oldest first (filter with ?period=month|quarter|cycle)."""

    required_actions = {"get": Action.BOARD_VIEW}
    serializer_class = KpiSnapshotSerializer
    queryset = KpiSnapshot.objects.none()  # for the schema; get_queryset() scopes to the company

    @extend_schema(parameters=[PERIOD_PARAMETER])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return KpiSnapshot.objects.none()
        key = self.kwargs["key"]
        if key not in kpis.KPIS:
            raise Http404(_("Unknown KPI."))
        return selectors_kpi.kpi_history(
            company=self.company, key=key, period_kind=_period_kind(self.request, default=None)
        )


class KpiRefreshAPI(CompanyScopedMixin, APIView):
    """Enqueue a refresh: 202 with the refresh id and the Celery task id; 503 when the queue is unreachable."""

    required_actions = {"post": Action.KPI_REFRESH}

    @extend_schema(
        request=inline_serializer(
            "KpiRefreshRequest", {"scope": serializers.ChoiceField(choices=services_kpi.SCOPES, required=False)}
        ),
        responses={202: KpiRefreshSerializer},
    )
    def post(self, request, company_slug: str):
        scope = request.data.get("scope", "current") if hasattr(request.data, "get") else "current"
        refresh = services_kpi.kpi_refresh_request(company=self.company, actor=request.user, scope=scope)
        data = KpiRefreshSerializer(refresh).data
        data["status_url"] = reverse(
            "api-kpi-refresh-status", kwargs={"company_slug": self.company.slug, "refresh_id": refresh.pk}
        )
        return Response(data, status=status.HTTP_202_ACCEPTED)


class KpiRefreshStatusAPI(CompanyScopedMixin, generics.RetrieveAPIView):
    required_actions = {"get": Action.BOARD_VIEW}
    serializer_class = KpiRefreshSerializer
    queryset = KpiRefresh.objects.none()  # for the schema; get_object() scopes to the company

    def get_object(self):
        return selectors_kpi.refresh_for(company=self.company, refresh_id=self.kwargs["refresh_id"])


class AttributionRowSerializer(serializers.Serializer):
    channel = serializers.CharField()
    campaign = serializers.CharField(allow_blank=True)
    pipeline = serializers.DecimalField(max_digits=18, decimal_places=2)
    won = serializers.DecimalField(max_digits=18, decimal_places=2)
    opportunities = serializers.IntegerField()
    credit = serializers.DecimalField(max_digits=18, decimal_places=4, required=False)


class AttributionQuerySerializer(serializers.Serializer):
    model = serializers.ChoiceField(choices=attribution.MODELS, default="u_shaped")
    start = BoundedDateSerializerField(required=False)
    end = BoundedDateSerializerField(required=False)
    half_life_days = serializers.IntegerField(required=False, min_value=1, max_value=365)

    def validate(self, attrs):
        if attrs.get("start") and attrs.get("end") and attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": [_("The end must not be before the start.")]})
        return attrs


class AttributionAPI(CompanyScopedMixin, APIView):
    """Pipeline and won revenue attributed to channels and campaigns. Without start/end: the current quarter.

    When start/end are exactly a period the KPI refresh has stored (a month, quarter or cycle) and no other
    half_life_days is asked for, the stored rows are served (``"stored": true``, with ``computed_at``); any other
    range is computed live from the opportunities and touchpoints (an explicit, possibly slow query)."""

    required_actions = {"get": Action.BOARD_VIEW}

    @extend_schema(
        parameters=[AttributionQuerySerializer],
        responses=inline_serializer(
            "AttributionResult",
            {
                "model": serializers.CharField(),
                "start": serializers.DateField(),
                "end": serializers.DateField(),
                "stored": serializers.BooleanField(),
                "computed_at": serializers.DateTimeField(allow_null=True),
                "rows": AttributionRowSerializer(many=True),
            },
        ),
    )
    def get(self, request, company_slug: str):
        query = AttributionQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        start: dt.date | None = params.get("start")
        end: dt.date | None = params.get("end")
        if start is None or end is None:
            quarter = periods.period_for(company=self.company, kind=PeriodKind.QUARTER, on=timezone.localdate())
            start, end = start or quarter.start, end or quarter.end
            if end < start:
                raise serializers.ValidationError({"end": [_("The end must not be before the start.")]})
        stored = selectors_kpi.stored_attribution(company=self.company, model=params["model"], start=start, end=end)
        half_life_days = params.get("half_life_days")
        if stored is not None and half_life_days in (None, stored.half_life_days):
            rows = attribution.rows_from_json(stored.rows)
        else:
            stored = None
            rows = attribution.attribute(
                company=self.company, model=params["model"], start=start, end=end, half_life_days=half_life_days
            )
        return Response(
            {
                "model": params["model"],
                "start": start,
                "end": end,
                "stored": stored is not None,
                "computed_at": stored.computed_at if stored is not None else None,
                "rows": AttributionRowSerializer(rows, many=True).data,
            }
        )


# --- targets -------------------------------------------------------------------------------------------------------


class KpiTargetSerializer(serializers.ModelSerializer):
    class Meta:
        model = KpiTarget
        fields = ["kpi", "period_kind", "period_key", "period_start", "period_end", "value", "updated_at"]
        read_only_fields = ["period_kind", "period_start", "period_end", "updated_at"]


class KpiTargetWriteSerializer(serializers.Serializer):
    kpi = serializers.ChoiceField(choices=[], help_text="a KPI key of GET kpis/")
    period_key = serializers.CharField(
        max_length=40, help_text='a month ("2026-03"), a fiscal quarter ("2026-Q1") or a cycle ("cycle-12")'
    )
    value = serializers.DecimalField(max_digits=20, decimal_places=4)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kpi"].choices = list(kpis.KPIS)


class ResolvedTargetSerializer(serializers.Serializer):
    kpi = serializers.CharField()
    period_key = serializers.CharField()
    value = serializers.DecimalField(max_digits=20, decimal_places=4, allow_null=True)
    source = serializers.CharField(
        allow_blank=True,
        help_text="period (set for the period), cycle (cycle target), key_result (target of a bound key result), "
        "derived (from the cycle target: pro-rated by days for sums and counts, unchanged for rates), '' (none)",
    )


class KpiTargetListAPI(CompanyScopedMixin, APIView):
    """KPI targets. GET: the targets set (``?period_key=`` filters to one period) and, with ``?resolve=<period
    key>``, the target in effect of every KPI for that period. POST: set one target (create or change; 200)."""

    required_actions = {"get": Action.BOARD_VIEW, "post": Action.KPI_TARGETS_MANAGE}

    @extend_schema(
        parameters=[
            OpenApiParameter("period_key", OpenApiTypes.STR, description="Only the targets set for this period."),
            OpenApiParameter("resolve", OpenApiTypes.STR, description="Period key: the targets in effect for it."),
        ],
        responses=inline_serializer(
            "KpiTargets",
            {
                "targets": KpiTargetSerializer(many=True),
                "resolved": ResolvedTargetSerializer(many=True, allow_null=True),
            },
        ),
    )
    def get(self, request, company_slug: str):
        rows = KpiTarget.objects.filter(company=self.company).order_by("kpi", "period_start", "period_key")
        if request.query_params.get("period_key"):
            rows = rows.filter(period_key=request.query_params["period_key"])
        resolved = None
        if request.query_params.get("resolve"):
            try:
                period = periods.parse_period_key(company=self.company, key=request.query_params["resolve"])
            except ValueError:
                raise serializers.ValidationError(
                    {"resolve": [_("Unknown period: use a month (2026-03), a quarter (2026-Q1) or a cycle.")]}
                ) from None
            book = targets.TargetBook(self.company)
            resolved = []
            for key in kpis.KPIS:
                found = book.for_period(key, period)
                resolved.append(
                    {
                        "kpi": key,
                        "period_key": period.key,
                        "value": found.value if found else None,
                        "source": found.source if found else "",
                    }
                )
        return Response(
            {
                "targets": KpiTargetSerializer(rows, many=True).data,
                "resolved": ResolvedTargetSerializer(resolved, many=True).data if resolved is not None else None,
            }
        )

    @extend_schema(request=KpiTargetWriteSerializer, responses={200: KpiTargetSerializer})
    def post(self, request, company_slug: str):
        body = KpiTargetWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        target = services_targets.kpi_target_set(company=self.company, actor=request.user, **body.validated_data)
        return Response(KpiTargetSerializer(target).data)


class KpiTargetDetailAPI(CompanyScopedMixin, APIView):
    """DELETE: remove the target set for one KPI and period (the period falls back to the derived target)."""

    required_actions = {"delete": Action.KPI_TARGETS_MANAGE}

    @extend_schema(responses={204: None})
    def delete(self, request, company_slug: str, kpi: str, period_key: str):
        if not services_targets.kpi_target_delete(
            company=self.company, actor=request.user, kpi=kpi, period_key=period_key
        ):
            raise Http404(_("No target set for this KPI and period."))
        return Response(status=status.HTTP_204_NO_CONTENT)
