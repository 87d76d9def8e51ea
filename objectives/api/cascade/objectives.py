"""Objectives: list (filtered), create, change, delete, move, indent and outdent."""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from companies.api import CompanyScopedMixin
from companies.permissions import Action
from core.api import IdFilter
from core.errors import StaleVersion

from ...models import Objective, ObjectiveLink
from ...selectors import cascade as selectors
from ...services import cascade as services
from .common import _cycle_from_body, _objective_from_body, _validated
from .serializers import (
    ObjectiveCreateSerializer,
    ObjectiveMoveSerializer,
    ObjectiveSerializer,
    ObjectiveUpdateSerializer,
    VersionSerializer,
)

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
