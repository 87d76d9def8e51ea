"""The whole cascade of a cycle, nested, and the signature pages poll."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from companies.api import CompanyScopedMixin
from companies.permissions import Action
from core import versions
from core.conditional import conditional, etag_of
from core.people import display_name
from core.safety import parse_id

from ...selectors import cascade as selectors
from .common import CYCLE_PARAM, _cycle_from_query
from .serializers import CascadeSerializer, CycleSerializer

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
