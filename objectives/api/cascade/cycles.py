"""Cycles: list, create, change, state transitions and carry-over."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from companies.api import CompanyScopedMixin
from companies.permissions import Action

from ...selectors import cascade as selectors
from ...services import cascade as services
from .common import _cycle_from_body, _validated
from .serializers import (
    CarryOverSerializer,
    CycleCreateSerializer,
    CycleSerializer,
    CycleUpdateSerializer,
    ObjectiveSerializer,
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
