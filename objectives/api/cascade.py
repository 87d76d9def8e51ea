"""REST API of the cascade: cycles, objectives, key results, check-ins, the nested tree, import and export.

Thin: serializers parse and shape, services change, selectors read. Errors map in one place (core.api):
Django ValidationError → 400 with field errors, StaleVersion → 409 with changed_by/changed_at/current,
PermissionDenied → 403, another company's id → 404.
"""

from __future__ import annotations

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from companies.api import CompanyScopedMixin, TeamRefField
from companies.permissions import Action
from core import versions
from core.api import IdFilter
from core.conditional import conditional, etag_of
from core.errors import StaleVersion
from core.people import display_name
from core.safety import BoundedDateSerializerField, attachment_header, parse_id

from ..models import CascadeSettings, CheckIn, Cycle, KeyResult, Objective, ObjectiveLink
from ..selectors import cascade as selectors
from ..services import cascade as services
from ..services import cascade_io

# ------------------------------------------------------------------------------------------------- serializers


class CycleSerializer(serializers.ModelSerializer):
    expected_progress = serializers.SerializerMethodField(help_text=_("Share of the cycle elapsed today (0–1)."))

    class Meta:
        model = Cycle
        fields = ["id", "name", "kind", "start_date", "end_date", "parent", "state", "closed_at", "expected_progress"]
        read_only_fields = fields

    def get_expected_progress(self, cycle: Cycle) -> str:
        return str(selectors.expected_progress(cycle=cycle))


class CycleCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    kind = serializers.ChoiceField(choices=Cycle.Kind.choices, default=Cycle.Kind.QUARTER)
    start_date = BoundedDateSerializerField()
    end_date = BoundedDateSerializerField()
    parent = serializers.IntegerField(required=False, allow_null=True, help_text=_("Id of the enclosing cycle."))


class CycleUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False)
    start_date = BoundedDateSerializerField(required=False, help_text=_("Only while the cycle is in planning."))
    end_date = BoundedDateSerializerField(required=False, help_text=_("Only while the cycle is in planning."))


class CarryOverSerializer(serializers.Serializer):
    target = serializers.IntegerField(help_text=_("Id of the cycle (in planning) to copy into."))
    objective_ids = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        allow_null=True,
        help_text=_("Objectives to copy; default: every unfinished objective."),
    )


class ObjectiveSerializer(serializers.ModelSerializer):
    team = TeamRefField(read_only=True, help_text=_("The team owning the objective: id, name and kind, or null."))
    owner_name = serializers.SerializerMethodField()
    updated_by_name = serializers.SerializerMethodField()
    contributes_to = serializers.SerializerMethodField(help_text=_("Ids of the additionally aligned objectives."))

    class Meta:
        model = Objective
        fields = [
            "id",
            "cycle",
            "parent",
            "position",
            "title",
            "description",
            "team",
            "owner",
            "owner_name",
            "state",
            "rollup",
            "contributes_to",
            "version",
            "final_score",
            "carried_from",
            "updated_at",
            "updated_by_name",
        ]
        read_only_fields = fields

    def get_owner_name(self, objective: Objective) -> str | None:
        return display_name(objective.owner) or None

    def get_updated_by_name(self, objective: Objective) -> str | None:
        return display_name(objective.updated_by) or None

    def get_contributes_to(self, objective: Objective) -> list[int]:
        return [link.target_id for link in objective.links_out.all()]


class ObjectiveCreateSerializer(serializers.Serializer):
    cycle = serializers.IntegerField()
    title = serializers.CharField(max_length=240)
    parent = serializers.IntegerField(required=False, allow_null=True)
    team = serializers.IntegerField(
        required=False, allow_null=True, help_text=_("A team id of the company; default: the parent's team.")
    )
    owner = serializers.IntegerField(required=False, allow_null=True)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    after = serializers.IntegerField(
        required=False, allow_null=True, help_text=_("Insert right after this sibling; default: last.")
    )


class ObjectiveUpdateSerializer(serializers.Serializer):
    version = serializers.IntegerField(help_text=_("The version you edited; a stale one answers 409."))
    title = serializers.CharField(max_length=240, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    team = serializers.IntegerField(required=False, allow_null=True, help_text=_("A team id of the company, or null."))
    owner = serializers.IntegerField(required=False, allow_null=True)
    state = serializers.ChoiceField(choices=Objective.State.choices, required=False)
    rollup = serializers.ChoiceField(choices=Objective.Rollup.choices, required=False)
    contributes_to = serializers.ListField(
        child=serializers.IntegerField(), required=False, help_text=_("Replaces the additional alignments.")
    )


class ObjectiveMoveSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    parent = serializers.IntegerField(allow_null=True, help_text=_("New parent objective; null = top level."))
    position = serializers.IntegerField(min_value=0, help_text=_("Index among the new siblings."))


class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField()


class KeyResultSerializer(serializers.ModelSerializer):
    owner_name = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField(help_text=_("0–1, by the key result's type."))

    class Meta:
        model = KeyResult
        fields = [
            "id",
            "objective",
            "position",
            "title",
            "kind",
            "unit",
            "start_value",
            "target_value",
            "current_value",
            "weight",
            "owner",
            "owner_name",
            "confidence",
            "progress",
            "final_score",
            "last_check_in_at",
            "version",
            "updated_at",
        ]
        read_only_fields = fields

    def get_owner_name(self, key_result: KeyResult) -> str | None:
        return display_name(key_result.owner) or None

    def get_progress(self, key_result: KeyResult) -> str:
        return str(key_result.progress.quantize(selectors.QUANTUM))


class KeyResultCreateSerializer(serializers.Serializer):
    objective = serializers.IntegerField()
    title = serializers.CharField(max_length=240)
    kind = serializers.ChoiceField(choices=KeyResult.Kind.choices)
    unit = serializers.ChoiceField(choices=KeyResult.Unit.choices, default=KeyResult.Unit.NUMBER)
    start_value = serializers.DecimalField(max_digits=18, decimal_places=4, default=0)
    target_value = serializers.DecimalField(max_digits=18, decimal_places=4, required=False, default=1)
    weight = serializers.DecimalField(max_digits=6, decimal_places=2, default=1)
    owner = serializers.IntegerField(required=False, allow_null=True)
    confidence = serializers.DecimalField(max_digits=3, decimal_places=2, default="0.5")


class KeyResultUpdateSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    title = serializers.CharField(max_length=240, required=False)
    kind = serializers.ChoiceField(choices=KeyResult.Kind.choices, required=False)
    unit = serializers.ChoiceField(choices=KeyResult.Unit.choices, required=False)
    start_value = serializers.DecimalField(max_digits=18, decimal_places=4, required=False)
    target_value = serializers.DecimalField(max_digits=18, decimal_places=4, required=False)
    weight = serializers.DecimalField(max_digits=6, decimal_places=2, required=False)
    owner = serializers.IntegerField(required=False, allow_null=True)
    confidence = serializers.DecimalField(max_digits=3, decimal_places=2, required=False)


class KeyResultMoveSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    objective = serializers.IntegerField()
    position = serializers.IntegerField(min_value=0)


class CheckInSerializer(serializers.ModelSerializer):
    author_name = serializers.SerializerMethodField()

    class Meta:
        model = CheckIn
        fields = ["id", "key_result", "value", "confidence", "comment", "author", "author_name", "is_automatic"]
        fields += ["created_at"]
        read_only_fields = fields

    def get_author_name(self, check_in: CheckIn) -> str | None:
        return display_name(check_in.author) or None


class CheckInCreateSerializer(serializers.Serializer):
    value = serializers.DecimalField(max_digits=18, decimal_places=4, help_text=_("Milestones: 1 done, 0 not done."))
    confidence = serializers.DecimalField(max_digits=3, decimal_places=2, min_value=0, max_value=1)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class KeyResultNodeSerializer(serializers.Serializer):
    """Documentation of a key result inside the nested cascade (the view builds plain dicts)."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    kind = serializers.CharField()
    unit = serializers.CharField()
    start_value = serializers.DecimalField(max_digits=18, decimal_places=4)
    target_value = serializers.DecimalField(max_digits=18, decimal_places=4)
    current_value = serializers.DecimalField(max_digits=18, decimal_places=4, allow_null=True)
    weight = serializers.DecimalField(max_digits=6, decimal_places=2)
    confidence = serializers.DecimalField(max_digits=3, decimal_places=2)
    owner = serializers.IntegerField(allow_null=True)
    owner_name = serializers.CharField(allow_null=True)
    version = serializers.IntegerField()
    last_check_in_at = serializers.DateTimeField(allow_null=True)
    progress = serializers.DecimalField(max_digits=5, decimal_places=4)
    expected = serializers.DecimalField(max_digits=5, decimal_places=4)
    delta_vs_expected = serializers.DecimalField(max_digits=5, decimal_places=4)
    status = serializers.ChoiceField(choices=["red", "amber", "green"])
    status_label = serializers.CharField()
    is_stale = serializers.BooleanField()


class CascadeNodeSerializer(serializers.Serializer):
    """Documentation of one objective of the nested cascade."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    team = TeamRefField(read_only=True)
    owner = serializers.IntegerField(allow_null=True)
    owner_name = serializers.CharField(allow_null=True)
    state = serializers.CharField()
    rollup = serializers.CharField()
    version = serializers.IntegerField()
    depth = serializers.IntegerField(help_text=_("0 = top level."))
    parent = serializers.IntegerField(allow_null=True)
    position = serializers.IntegerField()
    own_progress = serializers.DecimalField(max_digits=5, decimal_places=4)
    subtree_progress = serializers.DecimalField(max_digits=5, decimal_places=4)
    progress = serializers.DecimalField(max_digits=5, decimal_places=4)
    expected = serializers.DecimalField(max_digits=5, decimal_places=4)
    status = serializers.ChoiceField(choices=["red", "amber", "green"])
    status_label = serializers.CharField()
    ahead = serializers.BooleanField()
    is_measured = serializers.BooleanField()
    progress_note = serializers.CharField()
    contributes_to = serializers.ListField(child=serializers.DictField())
    key_results = KeyResultNodeSerializer(many=True)


CascadeNodeSerializer._declared_fields["children"] = CascadeNodeSerializer(many=True)


class CascadeSerializer(serializers.Serializer):
    cycle = CycleSerializer()
    signature = serializers.CharField(help_text=_("Changes whenever anything in the cascade changes."))
    objectives = CascadeNodeSerializer(many=True)


# ------------------------------------------------------------------------------------------------ shaping


def _decimal(value) -> str | None:
    return None if value is None else str(value)


def key_result_node_dict(node: selectors.KeyResultNode) -> dict:
    kr = node.key_result
    return {
        "id": kr.pk,
        "title": kr.title,
        "kind": kr.kind,
        "unit": kr.unit,
        "start_value": _decimal(kr.start_value),
        "target_value": _decimal(kr.target_value),
        "current_value": _decimal(kr.current_value),
        "weight": _decimal(kr.weight),
        "confidence": _decimal(kr.confidence),
        "owner": kr.owner_id,
        "owner_name": (display_name(kr.owner) or None),
        "version": kr.version,
        "last_check_in_at": kr.last_check_in_at.isoformat() if kr.last_check_in_at else None,
        "progress": _decimal(node.progress),
        "expected": _decimal(node.expected),
        "delta_vs_expected": _decimal(node.delta_vs_expected),
        "status": node.status,
        "status_label": node.status_label,
        "is_stale": node.is_stale,
    }


def cascade_node_dict(node: selectors.CascadeNode) -> dict:
    return {
        "id": node.id,
        "title": node.title,
        "description": node.objective.description,
        "team": {"id": node.team, "name": node.team_name, "kind": node.team_kind} if node.team else None,
        "owner": node.objective.owner_id,
        "owner_name": (display_name(node.owner) or None),
        "state": node.state,
        "rollup": node.rollup,
        "version": node.version,
        "depth": node.depth,
        "parent": node.parent_id,
        "position": node.position,
        "own_progress": _decimal(node.own_progress),
        "subtree_progress": _decimal(node.subtree_progress),
        "progress": _decimal(node.progress),
        "expected": _decimal(node.expected),
        "status": node.status,
        "status_label": node.status_label,
        "ahead": node.ahead,
        "is_measured": node.is_measured,
        "progress_note": node.progress_note,
        "contributes_to": [{"id": pk, "title": title} for pk, title in node.contributes_to],
        "key_results": [key_result_node_dict(kr) for kr in node.key_results],
        "children": [cascade_node_dict(child) for child in node.children],
    }


# -------------------------------------------------------------------------------------------------- helpers


def _validated(serializer_class, data, **kwargs) -> dict:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _cycle_from_body(company, cycle_id, field: str = "cycle") -> Cycle:
    cycle = Cycle.objects.select_related("company").filter(company=company, pk=cycle_id).first()
    if cycle is None:
        raise ValidationError({field: _("No such cycle in this company.")})
    return cycle


def _objective_from_body(company, objective_id, field: str) -> Objective | None:
    if objective_id is None:
        return None
    objective = Objective.objects.select_related("company", "cycle").filter(company=company, pk=objective_id).first()
    if objective is None:
        raise ValidationError({field: _("No such objective in this company.")})
    return objective


def _cycle_from_query(request, company) -> Cycle:
    cycle_id = request.query_params.get("cycle")
    if cycle_id in (None, ""):
        cycle = selectors.cycle_default(company=company)
        if cycle is None:
            raise ValidationError({"cycle": _("This company has no cycle yet.")})
        return cycle
    if parse_id(cycle_id) is None:
        raise ValidationError({"cycle": _("Enter the id of a cycle.")})
    return selectors.cycle_get(company=company, cycle_id=parse_id(cycle_id))


CYCLE_PARAM = OpenApiParameter(
    "cycle", OpenApiTypes.INT, description="Cycle id (default: the current cycle).", required=False
)

# ------------------------------------------------------------------------------------------------------ cycles


class CycleListAPI(CompanyScopedMixin, generics.ListCreateAPIView):
    """The company's cycles (newest first); facilitators and CMOs create new ones."""

    serializer_class = CycleSerializer
    required_actions = {"get": Action.CASCADE_VIEW, "post": Action.CYCLE_MANAGE}
    filterset_fields = ["state", "kind"]

    def get_queryset(self):
        return selectors.cycle_list(company=self.company)

    @extend_schema(request=CycleCreateSerializer, responses={201: CycleSerializer})
    def post(self, request, *args, **kwargs):
        data = _validated(CycleCreateSerializer, request.data)
        parent = data.pop("parent", None)
        cycle = services.cycle_create(
            company=self.company,
            parent=_cycle_from_body(self.company, parent, "parent") if parent is not None else None,
            actor=request.user,
            **data,
        )
        return Response(CycleSerializer(cycle).data, status=status.HTTP_201_CREATED)


class CycleDetailAPI(CompanyScopedMixin, generics.RetrieveAPIView):
    """A cycle; PATCH renames it or (in planning) changes its dates, refused while that would uncover what hangs
    off the cycle (child cycles, alignments, approved budget)."""

    serializer_class = CycleSerializer
    required_actions = {"get": Action.CASCADE_VIEW, "patch": Action.CYCLE_MANAGE}

    def get_object(self):
        return selectors.cycle_get(company=self.company, cycle_id=self.kwargs["pk"])

    @extend_schema(request=CycleUpdateSerializer, responses={200: CycleSerializer})
    def patch(self, request, *args, **kwargs):
        data = _validated(CycleUpdateSerializer, request.data)
        cycle = services.cycle_update(cycle=self.get_object(), actor=request.user, **data)
        return Response(CycleSerializer(cycle).data)


class _CycleTransitionAPI(CompanyScopedMixin, APIView):
    required_actions = {"post": Action.CYCLE_MANAGE}
    transition = None

    @extend_schema(request=None, responses={200: CycleSerializer})
    def post(self, request, company_slug: str, pk: int):
        cycle = selectors.cycle_get(company=self.company, cycle_id=pk)
        cycle = type(self).transition(cycle=cycle, actor=request.user)
        return Response(CycleSerializer(cycle).data)


class CycleActivateAPI(_CycleTransitionAPI):
    """planning → active: the structure and the targets are locked; check-ins go on."""

    transition = staticmethod(services.cycle_activate)


class CycleReopenAPI(_CycleTransitionAPI):
    """active → planning."""

    transition = staticmethod(services.cycle_reopen)


class CycleCloseAPI(_CycleTransitionAPI):
    """active → closed: read-only, final scores frozen."""

    transition = staticmethod(services.cycle_close)


class CycleCarryOverAPI(CompanyScopedMixin, APIView):
    """Copy objectives (default: the unfinished ones) with their key results into a cycle in planning."""

    required_actions = {"post": Action.CYCLE_MANAGE}

    @extend_schema(request=CarryOverSerializer, responses={201: ObjectiveSerializer(many=True)})
    def post(self, request, company_slug: str, pk: int):
        source = selectors.cycle_get(company=self.company, cycle_id=pk)
        data = _validated(CarryOverSerializer, request.data)
        target = _cycle_from_body(self.company, data["target"], "target")
        created = services.cycle_carry_over(
            source=source, target=target, objective_ids=data.get("objective_ids"), actor=request.user
        )
        return Response(ObjectiveSerializer(created, many=True).data, status=status.HTTP_201_CREATED)


# -------------------------------------------------------------------------------------------------- objectives


class ObjectiveFilter(django_filters.FilterSet):
    cycle = IdFilter(field_name="cycle_id")
    team = IdFilter(field_name="team_id")
    owner = IdFilter(field_name="owner_id")
    state = django_filters.ChoiceFilter(choices=Objective.State.choices)
    parent = IdFilter(field_name="parent_id")

    class Meta:
        model = Objective
        fields = ["cycle", "team", "owner", "state", "parent"]


def _objective_queryset(company):
    return (
        Objective.objects.filter(company=company)
        .select_related("owner", "updated_by", "team")
        .prefetch_related(Prefetch("links_out", queryset=ObjectiveLink.objects.only("id", "source_id", "target_id")))
        .order_by("cycle_id", "parent_id", "position", "id")
    )


class ObjectiveListAPI(CompanyScopedMixin, generics.ListCreateAPIView):
    """Objectives (paginated; filter by cycle, team, owner, state, parent). Create: facilitators and CMOs."""

    serializer_class = ObjectiveSerializer
    filterset_class = ObjectiveFilter
    required_actions = {"get": Action.CASCADE_VIEW, "post": Action.CASCADE_EDIT}

    def get_queryset(self):
        return _objective_queryset(self.company)

    @extend_schema(request=ObjectiveCreateSerializer, responses={201: ObjectiveSerializer})
    def post(self, request, *args, **kwargs):
        data = _validated(ObjectiveCreateSerializer, request.data)
        objective = services.objective_create(
            cycle=_cycle_from_body(self.company, data.pop("cycle")),
            parent=_objective_from_body(self.company, data.pop("parent", None), "parent"),
            after=_objective_from_body(self.company, data.pop("after", None), "after"),
            actor=request.user,
            **data,
        )
        return Response(
            ObjectiveSerializer(_objective_queryset(self.company).get(pk=objective.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class ObjectiveDetailAPI(CompanyScopedMixin, generics.RetrieveAPIView):
    """One objective. PATCH with the ``version`` you edited (409 if someone else saved first); DELETE with
    ``?version=``."""

    serializer_class = ObjectiveSerializer
    required_actions = {"get": Action.CASCADE_VIEW, "patch": Action.CASCADE_EDIT, "delete": Action.CASCADE_EDIT}
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_object(self):
        return selectors.objective_get(company=self.company, objective_id=self.kwargs["pk"])

    @extend_schema(request=ObjectiveUpdateSerializer, responses={200: ObjectiveSerializer})
    def patch(self, request, *args, **kwargs):
        objective = self.get_object()
        data = dict(_validated(ObjectiveUpdateSerializer, request.data, partial=False))
        version = data.pop("version")
        targets = data.pop("contributes_to", None)
        if data:
            objective = services.objective_update(objective=objective, version=version, actor=request.user, **data)
            version = objective.version
        elif targets is not None and objective.version != version:
            raise StaleVersion(
                changed_by=services.display_name(objective.updated_by),
                changed_at=objective.updated_at,
                current=services.objective_snapshot(objective),
            )
        if targets is not None:
            services.objective_links_set(
                objective=objective,
                targets=[_objective_from_body(self.company, pk, "contributes_to") for pk in targets],
                actor=request.user,
            )
        return Response(ObjectiveSerializer(_objective_queryset(self.company).get(pk=objective.pk)).data)

    @extend_schema(
        parameters=[OpenApiParameter("version", OpenApiTypes.INT, required=True)],
        responses={204: None},
    )
    def delete(self, request, *args, **kwargs):
        objective = self.get_object()
        data = _validated(VersionSerializer, request.query_params)
        services.objective_delete(objective=objective, version=data["version"], actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ObjectiveMoveAPI(CompanyScopedMixin, APIView):
    """Re-parent and/or reorder an objective (the server checks loops, depth, cycle dates and locks)."""

    required_actions = {"post": Action.CASCADE_EDIT}

    @extend_schema(request=ObjectiveMoveSerializer, responses={200: ObjectiveSerializer})
    def post(self, request, company_slug: str, pk: int):
        objective = selectors.objective_get(company=self.company, objective_id=pk)
        data = _validated(ObjectiveMoveSerializer, request.data)
        moved = services.objective_move(
            objective=objective,
            version=data["version"],
            parent=_objective_from_body(self.company, data["parent"], "parent"),
            position=data["position"],
            actor=request.user,
        )
        return Response(ObjectiveSerializer(_objective_queryset(self.company).get(pk=moved.pk)).data)


class _ObjectiveShiftAPI(CompanyScopedMixin, APIView):
    required_actions = {"post": Action.CASCADE_EDIT}
    shift = None

    @extend_schema(request=VersionSerializer, responses={200: ObjectiveSerializer})
    def post(self, request, company_slug: str, pk: int):
        objective = selectors.objective_get(company=self.company, objective_id=pk)
        data = _validated(VersionSerializer, request.data)
        moved = type(self).shift(objective=objective, version=data["version"], actor=request.user)
        return Response(ObjectiveSerializer(_objective_queryset(self.company).get(pk=moved.pk)).data)


class ObjectiveIndentAPI(_ObjectiveShiftAPI):
    """Re-parent under the sibling above (as its last child)."""

    shift = staticmethod(services.objective_indent)


class ObjectiveOutdentAPI(_ObjectiveShiftAPI):
    """Re-parent to the grandparent, right after the old parent."""

    shift = staticmethod(services.objective_outdent)


# ------------------------------------------------------------------------------------------------- key results


class KeyResultFilter(django_filters.FilterSet):
    objective = IdFilter(field_name="objective_id")
    cycle = IdFilter(field_name="objective__cycle_id")
    owner = IdFilter(field_name="owner_id")
    kind = django_filters.ChoiceFilter(choices=KeyResult.Kind.choices)

    class Meta:
        model = KeyResult
        fields = ["objective", "cycle", "owner", "kind"]


def _key_result_queryset(company):
    return KeyResult.objects.filter(company=company).select_related("owner").order_by("objective_id", "position", "id")


class KeyResultListAPI(CompanyScopedMixin, generics.ListCreateAPIView):
    """Key results (paginated; filter by objective, cycle, owner, kind). Create: facilitators and CMOs."""

    serializer_class = KeyResultSerializer
    filterset_class = KeyResultFilter
    required_actions = {"get": Action.CASCADE_VIEW, "post": Action.CASCADE_EDIT}

    def get_queryset(self):
        return _key_result_queryset(self.company)

    @extend_schema(request=KeyResultCreateSerializer, responses={201: KeyResultSerializer})
    def post(self, request, *args, **kwargs):
        data = dict(_validated(KeyResultCreateSerializer, request.data))
        objective = _objective_from_body(self.company, data.pop("objective"), "objective")
        key_result = services.key_result_create(objective=objective, actor=request.user, **data)
        return Response(KeyResultSerializer(key_result).data, status=status.HTTP_201_CREATED)


class KeyResultDetailAPI(CompanyScopedMixin, generics.RetrieveAPIView):
    """One key result. PATCH with ``version`` (409 when stale); DELETE with ``?version=``."""

    serializer_class = KeyResultSerializer
    required_actions = {"get": Action.CASCADE_VIEW, "patch": Action.CASCADE_EDIT, "delete": Action.CASCADE_EDIT}
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_object(self):
        return selectors.key_result_get(company=self.company, key_result_id=self.kwargs["pk"])

    @extend_schema(request=KeyResultUpdateSerializer, responses={200: KeyResultSerializer})
    def patch(self, request, *args, **kwargs):
        key_result = self.get_object()
        data = dict(_validated(KeyResultUpdateSerializer, request.data))
        version = data.pop("version")
        key_result = services.key_result_update(key_result=key_result, version=version, actor=request.user, **data)
        return Response(KeyResultSerializer(key_result).data)

    @extend_schema(
        parameters=[OpenApiParameter("version", OpenApiTypes.INT, required=True)],
        responses={204: None},
    )
    def delete(self, request, *args, **kwargs):
        key_result = self.get_object()
        data = _validated(VersionSerializer, request.query_params)
        services.key_result_delete(key_result=key_result, version=data["version"], actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class KeyResultMoveAPI(CompanyScopedMixin, APIView):
    """Move a key result to an objective (may be the same) at a position."""

    required_actions = {"post": Action.CASCADE_EDIT}

    @extend_schema(request=KeyResultMoveSerializer, responses={200: KeyResultSerializer})
    def post(self, request, company_slug: str, pk: int):
        key_result = selectors.key_result_get(company=self.company, key_result_id=pk)
        data = _validated(KeyResultMoveSerializer, request.data)
        moved = services.key_result_move(
            key_result=key_result,
            version=data["version"],
            objective=_objective_from_body(self.company, data["objective"], "objective"),
            position=data["position"],
            actor=request.user,
        )
        return Response(KeyResultSerializer(moved).data)


class CheckInListAPI(CompanyScopedMixin, generics.ListCreateAPIView):
    """The append-only check-in history of a key result (oldest first). Check-ins are never edited or deleted:
    PUT, PATCH and DELETE answer 405."""

    serializer_class = CheckInSerializer
    # The service narrows CHECKIN_OWN to the key result's owner.
    required_actions = {"get": Action.CASCADE_VIEW, "post": Action.CHECKIN_OWN}

    def get_key_result(self) -> KeyResult:
        if not hasattr(self, "_key_result"):
            self._key_result = selectors.key_result_get(company=self.company, key_result_id=self.kwargs["pk"])
        return self._key_result

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return CheckIn.objects.none()
        return (
            CheckIn.objects.filter(company=self.company, key_result=self.get_key_result())
            .select_related("author")
            .order_by("created_at", "id")
        )

    @extend_schema(request=CheckInCreateSerializer, responses={201: CheckInSerializer})
    def post(self, request, *args, **kwargs):
        data = _validated(CheckInCreateSerializer, request.data)
        check_in = services.check_in_create(key_result=self.get_key_result(), actor=request.user, **data)
        return Response(CheckInSerializer(check_in).data, status=status.HTTP_201_CREATED)


# ------------------------------------------------------------------------------------------------------ cascade


class CascadeAPI(CompanyScopedMixin, APIView):
    """The whole cascade of a cycle, nested, in one response (a constant number of queries)."""

    required_actions = {"get": Action.CASCADE_VIEW}

    @extend_schema(
        parameters=[
            CYCLE_PARAM,
            OpenApiParameter("team", OpenApiTypes.INT, required=False, description=_("A team id")),
            OpenApiParameter("owner", OpenApiTypes.INT, required=False),
            OpenApiParameter("search", OpenApiTypes.STR, required=False),
        ],
        responses={200: CascadeSerializer},
    )
    def get(self, request, company_slug: str):
        cycle = _cycle_from_query(request, self.company)
        owner = request.query_params.get("owner") or None
        if owner is not None and parse_id(owner) is None:
            raise ValidationError({"owner": _("Enter the id of a user.")})
        team = request.query_params.get("team") or None
        if team is not None and parse_id(team) is None:
            raise ValidationError({"team": _("Enter the id of a team.")})
        signature = selectors.cascade_signature(company=self.company, cycle=cycle)
        key = versions.fragment_key(
            "cascade-api",
            self.company.pk,
            cycle.pk,
            signature,
            versions.versions(self.company.pk, ("okr", "company", "people")),
            translation.get_language(),
            timezone.localdate(),
            sorted(request.query_params.items()),
        )

        def render() -> dict:
            tree = selectors.cascade_tree(
                company=self.company,
                cycle=cycle,
                team=parse_id(team) if team else None,
                owner_id=parse_id(owner) if owner else None,
                search=request.query_params.get("search") or None,
            )
            data = {
                "cycle": CycleSerializer(cycle).data,
                "signature": signature,
                "objectives": [cascade_node_dict(node) for node in tree],
            }
            return {"data": data, "until": selectors.cascade_stale_from(company=self.company, cycle=cycle, nodes=tree)}

        # built once per data version (core.versions); 304 while the client has it
        stored = versions.fragment_until(key, render, timezone.now())
        return conditional(request, etag_of(key, stored["until"]), lambda: Response(stored["data"]))


class CascadeSignatureAPI(CompanyScopedMixin, APIView):
    """A token that changes whenever the cycle's cascade changes (poll it; reload the tree when it differs)."""

    required_actions = {"get": Action.CASCADE_VIEW}

    @extend_schema(
        parameters=[CYCLE_PARAM],
        responses={200: inline_serializer("CascadeSignature", {"signature": serializers.CharField()})},
    )
    def get(self, request, company_slug: str):
        cycle = _cycle_from_query(request, self.company)
        signature = selectors.cascade_signature(company=self.company, cycle=cycle)
        # polled every few seconds by every open cascade page: 304 while nothing changed
        return conditional(
            request, selectors.cascade_signature_etag(signature), lambda: Response({"signature": signature})
        )


class CascadeExportAPI(CompanyScopedMixin, APIView):
    """The cycle's cascade as a spreadsheet: a row per objective and key result with its path in the tree."""

    required_actions = {"get": Action.CASCADE_VIEW}
    file_format = "xlsx"

    @extend_schema(
        parameters=[CYCLE_PARAM],
        responses={(200, "application/octet-stream"): OpenApiResponse(response=OpenApiTypes.BINARY)},
    )
    def get(self, request, company_slug: str):
        cycle = _cycle_from_query(request, self.company)
        filename = cascade_io.export_filename(cycle=cycle, extension=self.file_format)
        if self.file_format == "csv":
            body = cascade_io.cascade_export_csv(company=self.company, cycle=cycle)
            response = HttpResponse(body.encode("utf-8"), content_type="text/csv; charset=utf-8")
        else:
            response = HttpResponse(
                cascade_io.cascade_export_xlsx(company=self.company, cycle=cycle), content_type=cascade_io.XLSX_TYPE
            )
        response["Content-Disposition"] = attachment_header(filename)
        return response


class CascadeExportCsvAPI(CascadeExportAPI):
    file_format = "csv"


class CascadeImportSerializer(serializers.Serializer):
    cycle = serializers.IntegerField()
    file = serializers.FileField(help_text=_("An .xlsx or .csv file in the export format."))


class CascadeImportAPI(CompanyScopedMixin, APIView):
    """Import objectives and key results (export format) into a cycle in planning. Every row is validated first;
    on any error nothing is created and the answer lists "row N, column X: reason"."""

    required_actions = {"post": Action.CASCADE_EDIT}
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": CascadeImportSerializer},
        responses={
            201: inline_serializer(
                "CascadeImportResult",
                {
                    "objectives": serializers.IntegerField(),
                    "key_results": serializers.IntegerField(),
                    "teams_created": serializers.ListField(child=serializers.CharField()),
                },
            )
        },
    )
    def post(self, request, company_slug: str):
        data = _validated(CascadeImportSerializer, request.data)
        cycle = _cycle_from_body(self.company, data["cycle"])
        upload = data["file"]
        result = cascade_io.cascade_import(
            company=self.company, cycle=cycle, file=upload, filename=upload.name, actor=request.user
        )
        return Response(
            {"objectives": result.objectives, "key_results": result.key_results, "teams_created": result.teams_created},
            status=status.HTTP_201_CREATED,
        )


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
