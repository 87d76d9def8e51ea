"""REST API of budgets. Thin: serializers shape and parse, services change, selectors read.

/api/v1/companies/<slug>/budget-lines/                (GET list with filters + pagination, POST create)
/api/v1/companies/<slug>/budget-lines/<id>/           (GET, PUT/PATCH with ``version`` → 409 when stale)
/api/v1/companies/<slug>/budget-lines/<id>/submit/    (POST)
/api/v1/companies/<slug>/budget-lines/<id>/approve/   (POST; unbound → 400 on ``key_result``)
/api/v1/companies/<slug>/budget-lines/<id>/reject/    (POST ``reason``)
/api/v1/companies/<slug>/budget-lines/<id>/spend/     (GET list, POST create)
/api/v1/companies/<slug>/budget-lines/<id>/audit/     (GET, read-only)
/api/v1/companies/<slug>/budget-settings/             (GET; PATCH/PUT the CMO approval limit: executives only)
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from companies.api import CompanyScopedMixin
from companies.permissions import Action, can
from core.api import PersonField
from core.people import display_name
from core.safety import BoundedDateSerializerField, IdSerializerField
from core.tenancy import for_company
from initiatives.models import Initiative
from objectives.models import Cycle, KeyResult

from .. import selectors, services
from ..models import BudgetAuditEntry, BudgetLine, BudgetSettings, Channel, SpendEntry


class CompanyRelatedField(serializers.PrimaryKeyRelatedField):
    """A primary key of a row of the request's company; other companies' rows do not exist."""

    def get_queryset(self):
        view = self.context["view"]
        return for_company(self.queryset, view.company)


class BudgetLineSerializer(serializers.ModelSerializer):
    cycle = CompanyRelatedField(queryset=Cycle.objects.all())
    channel = CompanyRelatedField(queryset=Channel.objects.all())
    initiative = CompanyRelatedField(queryset=Initiative.objects.all(), required=False, allow_null=True)
    key_result = CompanyRelatedField(queryset=KeyResult.objects.all(), required=False, allow_null=True)
    channel_name = serializers.CharField(source="channel.name", read_only=True)
    key_result_title = serializers.CharField(source="key_result.title", read_only=True, default=None, allow_null=True)
    objective_title = serializers.CharField(
        source="key_result.objective.title", read_only=True, default=None, allow_null=True
    )
    requester = PersonField()
    last_changed_by = PersonField(
        help_text=_("Who last changed the amount or the key result; that person may not approve this version."),
    )
    approver = PersonField()
    cmo_approved_by = PersonField()
    actual = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True, default=None)
    awaiting_executive = serializers.SerializerMethodField()
    submit = serializers.BooleanField(write_only=True, required=False, default=False)
    version = serializers.IntegerField(required=False, help_text=_("Required on update: the version you read."))

    class Meta:
        model = BudgetLine
        fields = [
            "id",
            "title",
            "cycle",
            "channel",
            "channel_name",
            "initiative",
            "key_result",
            "key_result_title",
            "objective_title",
            "planned_amount",
            "actual",
            "state",
            "requester",
            "last_changed_by",
            "cmo_approved_by",
            "cmo_approved_at",
            "approver",
            "approved_at",
            "awaiting_executive",
            "version",
            "submit",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["state", "cmo_approved_at", "approved_at", "created_at", "updated_at"]

    def get_awaiting_executive(self, line: BudgetLine) -> bool:
        return line.state == BudgetLine.State.SUBMITTED and line.cmo_approved_by_id is not None

    def validate(self, attrs):
        if self.instance is not None and "version" not in attrs:
            raise serializers.ValidationError(
                {"version": [_("Send the version you read; it guards against overwriting.")]}
            )
        return attrs


class BudgetLineQuerySerializer(serializers.Serializer):
    """The list's filters; a malformed one is a 400 naming it (``?channel=²`` was a 500)."""

    cycle = IdSerializerField(required=False)
    state = serializers.ChoiceField(choices=BudgetLine.State.choices, required=False)
    channel = IdSerializerField(required=False)
    requester = IdSerializerField(required=False, help_text=_("user id"))
    bound = serializers.BooleanField(required=False, allow_null=True, default=None)
    search = serializers.CharField(required=False, allow_blank=True, max_length=200, help_text=_("in the title"))


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, required=False, default="")
    version = serializers.IntegerField(required=False)


class DecisionSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False)


class SpendEntrySerializer(serializers.ModelSerializer):
    created_by = PersonField()
    date = BoundedDateSerializerField()

    class Meta:
        model = SpendEntry
        fields = ["id", "date", "amount", "reference", "note", "created_by", "created_at"]
        read_only_fields = ["created_at"]


class AuditEntrySerializer(serializers.ModelSerializer):
    actor = PersonField()

    class Meta:
        model = BudgetAuditEntry
        fields = [
            "id",
            "event",
            "actor",
            "at",
            "amount",
            "key_result",
            "key_result_title",
            "state_before",
            "state_after",
            "reason",
        ]
        read_only_fields = fields


class BudgetLineViewSet(
    CompanyScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Budget lines of the company. Filters: ``state``, ``channel``, ``requester`` (user id), ``cycle``,
    ``bound`` (true/false), ``search`` (title)."""

    lookup_value_regex = "[0-9]+"  # "/budget-lines/abc/" is a 404, not a 500 from the database
    UNPAGINATED_ACTIONS = frozenset({"spend", "audit"})

    @property
    def pagination_class(self):
        # spend and audit return plain lists; the schema (drf-spectacular reads this too) must say so.
        if getattr(self, "action", None) in self.UNPAGINATED_ACTIONS:
            return None
        return api_settings.DEFAULT_PAGINATION_CLASS

    serializer_class = BudgetLineSerializer
    required_actions = {
        "*": Action.BUDGET_VIEW,
        "create": Action.BUDGET_REQUEST,
        "approve": Action.BUDGET_APPROVE,
        "reject": Action.BUDGET_APPROVE,
    }

    @extend_schema(parameters=[BudgetLineQuerySerializer])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no company
            return BudgetLine.objects.none()
        if self.action != "list":
            return selectors.budget_lines(company=self.company)
        query = BudgetLineQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        cycle = None
        if params.get("cycle") is not None:
            cycle = for_company(Cycle, self.company).filter(pk=params["cycle"]).first()
            if cycle is None:
                return BudgetLine.objects.none()
        return selectors.filtered_lines(
            company=self.company,
            cycle=cycle,
            state=params.get("state") or None,
            channel=params.get("channel"),
            requester=params.get("requester"),
            bound=params.get("bound"),
            search=params.get("search") or None,
        )

    def _fresh(self, line: BudgetLine, status_code=status.HTTP_200_OK) -> Response:
        line = selectors.budget_line_for(company=self.company, pk=line.pk)
        return Response(self.get_serializer(line).data, status=status_code)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        line = services.budget_line_create(
            company=self.company,
            cycle=data["cycle"],
            title=data["title"],
            channel=data["channel"],
            planned_amount=data["planned_amount"],
            initiative=data.get("initiative"),
            key_result=data.get("key_result"),
            actor=request.user,
            submit=data.get("submit", False),
        )
        return self._fresh(line, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        line = self.get_object()
        serializer = self.get_serializer(line, data=request.data, partial=kwargs.pop("partial", False))
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        version = data.pop("version")
        submit = data.pop("submit", False)
        line = services.budget_line_update(line=line, actor=request.user, version=version, **data)
        if submit:
            line = services.budget_line_submit(line=line, actor=request.user)
        return self._fresh(line)

    @extend_schema(request=DecisionSerializer, responses=BudgetLineSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, *args, **kwargs):
        line = self.get_object()
        params = DecisionSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        line = services.budget_line_submit(line=line, actor=request.user, version=params.validated_data.get("version"))
        return self._fresh(line)

    @extend_schema(request=DecisionSerializer, responses=BudgetLineSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, *args, **kwargs):
        line = self.get_object()
        params = DecisionSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        line = services.budget_line_approve(line=line, actor=request.user, version=params.validated_data.get("version"))
        return self._fresh(line)

    @extend_schema(request=RejectSerializer, responses=BudgetLineSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, *args, **kwargs):
        line = self.get_object()
        params = RejectSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        line = services.budget_line_reject(
            line=line,
            actor=request.user,
            reason=params.validated_data["reason"],
            version=params.validated_data.get("version"),
        )
        return self._fresh(line)

    @extend_schema(request=SpendEntrySerializer, responses=SpendEntrySerializer(many=True))
    @action(detail=True, methods=["get", "post"], serializer_class=SpendEntrySerializer)
    def spend(self, request, *args, **kwargs):
        line = selectors.budget_line_for(company=self.company, pk=kwargs["pk"])
        if request.method == "GET":
            return Response(SpendEntrySerializer(selectors.spend_entries(line=line), many=True).data)
        serializer = SpendEntrySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = services.spend_entry_create(
            line=line, actor=request.user, company=self.company, **serializer.validated_data
        )
        return Response(SpendEntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=AuditEntrySerializer(many=True))
    @action(detail=True, methods=["get"], serializer_class=AuditEntrySerializer)
    def audit(self, request, *args, **kwargs):
        line = selectors.budget_line_for(company=self.company, pk=kwargs["pk"])
        return Response(AuditEntrySerializer(selectors.audit_trail(line=line), many=True).data)


class BudgetSettingsSerializer(serializers.ModelSerializer):
    currency = serializers.CharField(source="company.currency", read_only=True)
    may_change = serializers.SerializerMethodField(help_text=_("Whether you may change the limit (executives)."))
    last_changed_by = serializers.SerializerMethodField()
    last_changed_at = serializers.SerializerMethodField()

    class Meta:
        model = BudgetSettings
        fields = ["cmo_approval_limit", "currency", "may_change", "last_changed_by", "last_changed_at"]

    def _last(self):
        if "last_change" not in self.context:
            self.context["last_change"] = selectors.budget_settings_last_change(company=self.instance.company)
        return self.context["last_change"]

    def get_may_change(self, settings: BudgetSettings) -> bool:
        return can(self.context["role"], Action.BUDGET_LIMITS_MANAGE)

    def get_last_changed_by(self, settings: BudgetSettings) -> str | None:
        last = self._last()
        return display_name(last.actor) or None if last is not None else None

    def get_last_changed_at(self, settings: BudgetSettings) -> str | None:
        last = self._last()
        return last.at.isoformat() if last is not None else None


class BudgetSettingsUpdateSerializer(serializers.Serializer):
    cmo_approval_limit = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)


class BudgetSettingsAPI(CompanyScopedMixin, APIView):
    """The company's CMO approval limit: everyone who sees budgets reads it; only executives change it (the change
    is in the change history: who, when, before and after)."""

    required_actions = {
        "get": Action.BUDGET_VIEW,
        "patch": Action.BUDGET_LIMITS_MANAGE,
        "put": Action.BUDGET_LIMITS_MANAGE,
    }

    def _answer(self, settings: BudgetSettings) -> Response:
        settings = BudgetSettings.objects.select_related("company").get(pk=settings.pk)
        return Response(BudgetSettingsSerializer(settings, context={"role": self.membership.role}).data)

    @extend_schema(responses=BudgetSettingsSerializer)
    def get(self, request, *args, **kwargs):
        return self._answer(services.budget_settings_for(self.company))

    @extend_schema(request=BudgetSettingsUpdateSerializer, responses=BudgetSettingsSerializer)
    def patch(self, request, *args, **kwargs):
        params = BudgetSettingsUpdateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        settings = services.budget_settings_update(
            company=self.company, cmo_approval_limit=params.validated_data["cmo_approval_limit"], actor=request.user
        )
        return self._answer(settings)

    @extend_schema(request=BudgetSettingsUpdateSerializer, responses=BudgetSettingsSerializer)
    def put(self, request, *args, **kwargs):
        return self.patch(request, *args, **kwargs)
