"""REST API of initiatives, ratings, the rating round and the priority matrix. Thin: services change, selectors read."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from companies.api import CompanyScopedMixin
from companies.permissions import Action, can
from core.people import display_name
from objectives.models import Cycle, KeyResult

from ..models import CONTRIBUTION_ANCHORS, EFFORT_ANCHORS, Initiative, InitiativeRating, PrioritySettings
from ..selectors import initiatives as selectors
from ..services import initiatives as services


class InitiativeSerializer(serializers.ModelSerializer):
    owner_name = serializers.SerializerMethodField()
    final_set_by_name = serializers.SerializerMethodField()
    key_results = serializers.SerializerMethodField()

    class Meta:
        model = Initiative
        fields = [
            "id",
            "cycle",
            "title",
            "description",
            "owner",
            "owner_name",
            "state",
            "key_results",
            "estimated_cost",
            "effort_days",
            "final_contribution",
            "final_effort",
            "final_set_by_name",
            "final_set_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_owner_name(self, obj) -> str | None:
        return display_name(obj.owner) or None

    def get_final_set_by_name(self, obj) -> str | None:
        return display_name(obj.final_set_by) or None

    def get_key_results(self, obj) -> list[dict]:
        return [{"id": kr.pk, "title": kr.title} for kr in obj.key_results.all()]


class InitiativeWriteSerializer(serializers.Serializer):
    """Input only: ids are resolved inside the company (another company's id is a field error)."""

    cycle = serializers.IntegerField(required=True)
    title = serializers.CharField(max_length=240)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    owner = serializers.IntegerField(required=False, allow_null=True, default=None)
    key_results = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    estimated_cost = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True, default=None
    )
    effort_days = serializers.DecimalField(
        max_digits=8, decimal_places=1, required=False, allow_null=True, default=None
    )

    def __init__(self, *args, company=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.company = company
        if self.partial:
            self.fields.pop("cycle")

    def validate_cycle(self, value):
        cycle = Cycle.objects.filter(company=self.company, pk=value).first()
        if cycle is None:
            raise serializers.ValidationError(_("No such cycle in this company."))
        return cycle

    def validate_owner(self, value):
        if value is None:
            return None
        owner = selectors.member_choices(self.company).filter(pk=value).first()
        if owner is None:
            raise serializers.ValidationError(_("The owner must be a member of this company."))
        return owner

    def validate_key_results(self, value):
        found = {kr.pk: kr for kr in KeyResult.objects.filter(company=self.company, pk__in=value)}
        missing = [pk for pk in value if pk not in found]
        if missing:
            raise serializers.ValidationError(_("No such key result in this company: %(ids)s") % {"ids": missing})
        return [found[pk] for pk in dict.fromkeys(value)]


class InitiativeListAPI(CompanyScopedMixin, generics.ListCreateAPIView):
    """Initiatives of the company (filter: ?cycle=<id>&state=<state>); POST creates one (facilitator, CMO)."""

    serializer_class = InitiativeSerializer
    required_actions = {"get": Action.INITIATIVE_VIEW, "post": Action.INITIATIVE_MANAGE}

    def get_queryset(self):
        queryset = (
            Initiative.objects.filter(company=self.company)
            .select_related("owner", "final_set_by")
            .prefetch_related("key_results")
            .order_by("title", "id")
        )
        cycle = self.request.query_params.get("cycle")
        if cycle:
            queryset = queryset.filter(cycle=selectors.priority_cycle(self.company, cycle))
        state = self.request.query_params.get("state")
        if state:
            if state not in Initiative.State.values:
                raise serializers.ValidationError({"state": [_("Unknown state.")]})
            queryset = queryset.filter(state=state)
        return queryset

    def create(self, request, *args, **kwargs):
        data = InitiativeWriteSerializer(data=request.data, company=self.company)
        data.is_valid(raise_exception=True)
        initiative = services.initiative_create(company=self.company, actor=request.user, **data.validated_data)
        initiative = selectors.get_initiative(self.company, initiative.pk)
        return Response(InitiativeSerializer(initiative).data, status=status.HTTP_201_CREATED)


class InitiativeDetailAPI(CompanyScopedMixin, generics.RetrieveUpdateAPIView):
    """One initiative; PATCH/PUT changes its fields (not its state: use the state actions)."""

    serializer_class = InitiativeSerializer
    required_actions = {"get": Action.INITIATIVE_VIEW, "*": Action.INITIATIVE_MANAGE}

    def get_object(self):
        return selectors.get_initiative(self.company, self.kwargs["pk"])

    def update(self, request, *args, **kwargs):
        initiative = self.get_object()
        partial = kwargs.get("partial", False)
        data = InitiativeWriteSerializer(data=request.data, company=self.company, partial=True)
        data.is_valid(raise_exception=True)
        values = {k: v for k, v in data.validated_data.items() if k in request.data or not partial}
        values.pop("cycle", None)
        services.initiative_update(initiative=initiative, actor=request.user, **values)
        return Response(InitiativeSerializer(selectors.get_initiative(self.company, initiative.pk)).data)


class InitiativeStateAPI(CompanyScopedMixin, APIView):
    """POST /initiatives/<id>/<activate|pause|done|drop>/: the state toggles; activation respects the focus limit."""

    required_actions = {"*": Action.INITIATIVE_MANAGE}

    @extend_schema(request=None, responses=InitiativeSerializer)
    def post(self, request, company_slug, pk, action):
        initiative = selectors.get_initiative(self.company, pk)
        services.STATE_ACTIONS[action](initiative=initiative, actor=request.user)
        return Response(InitiativeSerializer(selectors.get_initiative(self.company, pk)).data)


class FinalValuesSerializer(serializers.Serializer):
    contribution = serializers.CharField(required=False, allow_null=True, allow_blank=True, default=None)
    effort = serializers.CharField(required=False, allow_null=True, allow_blank=True, default=None)


class InitiativeFinalValuesAPI(CompanyScopedMixin, APIView):
    """POST {contribution, effort}: the facilitator's final values (1–5, half steps; empty clears)."""

    required_actions = {"*": Action.RATING_MANAGE}

    @extend_schema(request=FinalValuesSerializer, responses=InitiativeSerializer)
    def post(self, request, company_slug, pk):
        initiative = selectors.get_initiative(self.company, pk)
        data = FinalValuesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.initiative_set_final_values(initiative=initiative, actor=request.user, **data.validated_data)
        return Response(InitiativeSerializer(selectors.get_initiative(self.company, pk)).data)


class RatingSerializer(serializers.ModelSerializer):
    rater = serializers.CharField(source="rater.username", read_only=True)
    rater_name = serializers.SerializerMethodField()

    class Meta:
        model = InitiativeRating
        fields = ["id", "rater", "rater_name", "contribution", "effort", "updated_at"]

    def get_rater_name(self, obj) -> str:
        return display_name(obj.rater)


class RatingInputSerializer(serializers.Serializer):
    contribution = serializers.IntegerField()
    effort = serializers.IntegerField()


class RatingListSerializer(serializers.Serializer):
    revealed = serializers.BooleanField()
    rating_state = serializers.CharField()
    ratings = RatingSerializer(many=True)


class InitiativeRatingsAPI(CompanyScopedMixin, APIView):
    """GET: the ratings you may see (yours until the facilitator reveals them). POST {contribution, effort}:
    record or change your own rating while rating is open (201 when new, 200 when changed)."""

    required_actions = {"get": Action.INITIATIVE_VIEW, "post": Action.INITIATIVE_RATE}

    @extend_schema(responses=RatingListSerializer)
    def get(self, request, company_slug, pk):
        initiative = selectors.get_initiative(self.company, pk)
        ratings = selectors.initiative_ratings(
            initiative=initiative, viewer=request.user, can_manage=can(self.membership.role, Action.RATING_MANAGE)
        )
        settings = selectors.settings_for(initiative.cycle)
        return Response(
            {
                "revealed": settings.revealed,
                "rating_state": settings.rating_state,
                "ratings": RatingSerializer(ratings, many=True).data,
            }
        )

    @extend_schema(request=RatingInputSerializer, responses={200: RatingSerializer, 201: RatingSerializer})
    def post(self, request, company_slug, pk):
        initiative = selectors.get_initiative(self.company, pk)
        data = RatingInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rating, created = services.initiative_rate(initiative=initiative, actor=request.user, **data.validated_data)
        return Response(
            RatingSerializer(rating).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class PrioritySettingsSerializer(serializers.Serializer):
    cycle = serializers.IntegerField()
    rating_state = serializers.ChoiceField(choices=PrioritySettings.RatingState.choices)
    revealed = serializers.BooleanField()
    focus_limit = serializers.IntegerField(allow_null=True)
    midpoint = serializers.DecimalField(max_digits=2, decimal_places=1)


CYCLE_PARAMETER = OpenApiParameter("cycle", OpenApiTypes.INT, OpenApiParameter.QUERY, description=_("The cycle id."))


def settings_data(settings: PrioritySettings) -> dict:
    return {
        "cycle": settings.cycle_id,
        "rating_state": settings.rating_state,
        "revealed": settings.revealed,
        "focus_limit": settings.focus_limit,
        "midpoint": str(settings.midpoint),
    }


def _decimal(value) -> str | None:
    return None if value is None else str(value)


def matrix_data(matrix: selectors.PriorityMatrix, *, company_slug: str) -> dict:
    """The API shape of the matrix: settings, counts, quadrants, anchors and ranked points in one response."""
    midpoint = matrix.settings.midpoint
    counts = matrix.quadrant_counts()
    return {
        "cycle": {"id": matrix.cycle.pk, "name": matrix.cycle.name},
        "settings": settings_data(matrix.settings),
        "scores_visible": matrix.scores_visible,
        "rater_count": matrix.rater_count,
        "active_count": matrix.active_count,
        "focus_limit": matrix.focus_limit,
        "previous_cycle": (
            {
                "id": matrix.previous_cycle.pk,
                "name": matrix.previous_cycle.name,
                "active_count": matrix.previous_active_count,
            }
            if matrix.previous_cycle
            else None
        ),
        "change_vs_previous_percent": matrix.change_vs_previous,
        "quadrants": [
            {
                "key": key,
                "label": str(info["label"]),
                "contribution": "high" if key in (selectors.QUICK_WINS, selectors.BIG_BETS) else "low",
                "effort": "high" if key in (selectors.BIG_BETS, selectors.TIME_SINKS) else "low",
                "midpoint": str(midpoint),
                "count": counts[key],
            }
            for key, info in selectors.QUADRANTS.items()
        ],
        "anchors": {
            "contribution": {str(k): str(v) for k, v in CONTRIBUTION_ANCHORS.items()},
            "effort": {str(k): str(v) for k, v in EFFORT_ANCHORS.items()},
        },
        "points": [
            {
                "id": p.id,
                "title": p.title,
                "state": p.state,
                "rank": p.rank,
                "quadrant": p.quadrant,
                "priority": _decimal(p.priority),
                "contribution": _decimal(p.contribution),
                "effort": _decimal(p.effort),
                "contribution_is_final": p.contribution_is_final,
                "effort_is_final": p.effort_is_final,
                "median_contribution": _decimal(p.median_contribution),
                "median_effort": _decimal(p.median_effort),
                "contribution_spread": (
                    [p.contribution_spread.minimum, p.contribution_spread.maximum]
                    if p.contribution_spread.minimum is not None
                    else None
                ),
                "effort_spread": (
                    [p.effort_spread.minimum, p.effort_spread.maximum] if p.effort_spread.minimum is not None else None
                ),
                "rating_count": p.rating_count,
                "my_rating": (
                    {"contribution": p.my_contribution, "effort": p.my_effort}
                    if p.my_contribution is not None
                    else None
                ),
                "estimated_cost": _decimal(p.initiative.estimated_cost),
                "effort_days": _decimal(p.initiative.effort_days),
                "key_results": [{"id": kr.pk, "title": kr.title} for kr in p.key_results],
                "url": reverse("initiatives:priorities-initiative", kwargs={"company_slug": company_slug, "pk": p.id}),
            }
            for p in matrix.points
        ],
    }


class PriorityMatrixAPI(CompanyScopedMixin, APIView):
    """GET ?cycle=<id>: points (median or final contribution/effort, spread), quadrants and ranks in one response.
    Before the reveal, only the facilitator and the CMO get medians and spread."""

    required_actions = {"*": Action.INITIATIVE_VIEW}

    @extend_schema(parameters=[CYCLE_PARAMETER], responses=OpenApiTypes.OBJECT)
    def get(self, request, company_slug):
        cycle = selectors.priority_cycle(self.company, request.query_params.get("cycle"))
        if cycle is None:
            return Response({"cycle": [_("This company has no cycle yet.")]}, status=status.HTTP_400_BAD_REQUEST)
        matrix = selectors.priority_matrix(
            company=self.company,
            cycle=cycle,
            viewer=request.user,
            can_manage=can(self.membership.role, Action.RATING_MANAGE),
        )
        data = matrix_data(matrix, company_slug=self.company.slug)
        data["signature"] = selectors.matrix_signature(company=self.company, cycle=cycle)
        return Response(data)


class PrioritySettingsInputSerializer(serializers.Serializer):
    focus_limit = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    midpoint = serializers.CharField(required=False)


def _cycle(view, request) -> Cycle:
    """The ?cycle=<id> of the request, inside the company (another company's or a missing one: 404)."""
    cycle_id = request.query_params.get("cycle")
    if not cycle_id:
        raise serializers.ValidationError({"cycle": [_("Name the cycle: ?cycle=<id>.")]})
    return selectors.priority_cycle(view.company, cycle_id)


class PriorityRoundAPI(CompanyScopedMixin, APIView):
    """GET ?cycle=<id>: the cycle's rating round and settings. PATCH {focus_limit, midpoint}: change the settings."""

    required_actions = {"get": Action.INITIATIVE_VIEW, "*": Action.INITIATIVE_MANAGE}

    @extend_schema(parameters=[CYCLE_PARAMETER], responses=PrioritySettingsSerializer)
    def get(self, request, company_slug):
        return Response(settings_data(selectors.settings_for(_cycle(self, request))))

    @extend_schema(
        parameters=[CYCLE_PARAMETER], request=PrioritySettingsInputSerializer, responses=PrioritySettingsSerializer
    )
    def patch(self, request, company_slug):
        cycle = _cycle(self, request)
        data = PrioritySettingsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        settings = services.priority_settings_update(cycle=cycle, actor=request.user, **data.validated_data)
        return Response(settings_data(settings))


class PriorityRoundActionAPI(CompanyScopedMixin, APIView):
    """POST /priority-round/<open|close|reveal|conceal>/?cycle=<id>: run the rating round (facilitator, CMO)."""

    required_actions = {"*": Action.RATING_MANAGE}

    @extend_schema(parameters=[CYCLE_PARAMETER], request=None, responses=PrioritySettingsSerializer)
    def post(self, request, company_slug, action):
        cycle = _cycle(self, request)
        settings = services.ROUND_ACTIONS[action](cycle=cycle, actor=request.user)
        return Response(settings_data(settings))
