"""Request parsing the cascade's API views share: validation, the cycle and objective a body or query names."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from core.safety import parse_id

from ...models import Cycle, Objective
from ...selectors import cascade as selectors

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
