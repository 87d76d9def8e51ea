"""Key results (list, create, change, delete, move) and their check-ins."""

from __future__ import annotations

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from companies.api import CompanyScopedMixin
from companies.permissions import Action
from core.api import IdFilter
from core.tenancy import for_company

from ...models import CheckIn, KeyResult
from ...selectors import cascade as selectors
from ...services import cascade as services
from .common import _objective_from_body, _validated
from .serializers import (
    CheckInCreateSerializer,
    CheckInSerializer,
    KeyResultCreateSerializer,
    KeyResultMoveSerializer,
    KeyResultSerializer,
    KeyResultUpdateSerializer,
    VersionSerializer,
)

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


class KeyResultCheckInsAPI(CompanyScopedMixin, generics.ListCreateAPIView):
    """The append-only check-in history of one key result (oldest first) and POST to add one, for every surface
    that offers it (the cascade API here, the partner API in budgets): a subclass only says which key results the
    caller may reach (``get_key_result``, a 404 otherwise) and with which permission. Check-ins are never edited or
    deleted: PUT, PATCH and DELETE answer 405."""

    serializer_class = CheckInSerializer

    def get_key_result(self) -> KeyResult:
        raise NotImplementedError

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return CheckIn.objects.none()
        return (
            for_company(CheckIn, self.company)
            .filter(key_result=self.get_key_result())
            .select_related("author")
            .order_by("created_at", "id")
        )

    @extend_schema(request=CheckInCreateSerializer, responses={201: CheckInSerializer})
    def post(self, request, *args, **kwargs):
        key_result = self.get_key_result()
        data = _validated(CheckInCreateSerializer, request.data)
        check_in = services.check_in_create(key_result=key_result, actor=request.user, **data)
        return Response(CheckInSerializer(check_in).data, status=status.HTTP_201_CREATED)


class CheckInListAPI(KeyResultCheckInsAPI):
    """The check-ins of any key result of the company (paginated)."""

    # The service narrows CHECKIN_OWN to the key result's owner.
    required_actions = {"get": Action.CASCADE_VIEW, "post": Action.CHECKIN_OWN}

    def get_key_result(self) -> KeyResult:
        if not hasattr(self, "_key_result"):
            self._key_result = selectors.key_result_get(company=self.company, key_result_id=self.kwargs["pk"])
        return self._key_result
