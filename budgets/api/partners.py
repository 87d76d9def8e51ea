"""REST API of external partners. Thin: the partner selectors decide what a partner sees, the services what changes.

/api/v1/companies/<slug>/partner/initiatives/                         (partner: GET their initiatives, key results,
                                                                        shared budget lines)
/api/v1/companies/<slug>/partner/key-results/<id>/check-ins/          (partner: GET the history, POST a check-in)
/api/v1/companies/<slug>/partners/                                    (CMO, executives, facilitators: GET scorecard)
/api/v1/companies/<slug>/partners/<membership_id>/                    (PATCH ``sees_budget``)
/api/v1/companies/<slug>/partners/<membership_id>/initiatives/        (POST ``initiative``: assign)
/api/v1/companies/<slug>/partners/<membership_id>/initiatives/<id>/   (DELETE: unassign)
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from companies.api import CompanyScopedMixin
from companies.models import Membership
from companies.permissions import Action, Role
from companies.services import membership_partner_budget_set
from core.people import display_name
from core.safety import IdSerializerField
from core.tenancy import for_company, get_for_company_or_404
from initiatives.models import Initiative
from initiatives.selectors.partners import partner_initiatives, partner_key_result_get
from initiatives.services.partners import initiative_partner_assign, initiative_partner_unassign
from objectives.api.cascade import KeyResultCheckInsAPI

from ..selectors.partners import partner_budget_lines, partner_scorecard

MONEY = {"max_digits": 16, "decimal_places": 2}


class PartnerKeyResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    objective = serializers.CharField(source="objective.title")
    kind = serializers.CharField()
    unit = serializers.CharField()
    start_value = serializers.DecimalField(max_digits=18, decimal_places=4)
    target_value = serializers.DecimalField(max_digits=18, decimal_places=4)
    current_value = serializers.DecimalField(max_digits=18, decimal_places=4, allow_null=True)
    progress = serializers.DecimalField(max_digits=5, decimal_places=4)


class PartnerBudgetLineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    state = serializers.CharField()
    planned_amount = serializers.DecimalField(**MONEY)
    actual = serializers.DecimalField(**MONEY)


class PartnerInitiativeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    state = serializers.CharField()
    cycle = serializers.CharField(source="cycle.name")
    key_results = PartnerKeyResultSerializer(many=True, source="key_results.all")
    budget_lines = serializers.SerializerMethodField(
        help_text=_("The initiative's budget lines (read-only), or null when the company does not share them.")
    )

    def get_budget_lines(self, initiative) -> list[dict] | None:
        lines = self.context.get("lines")
        if lines is None:
            return None
        return PartnerBudgetLineSerializer([x for x in lines if x.initiative_id == initiative.pk], many=True).data


class PartnerInitiativesAPI(CompanyScopedMixin, generics.ListAPIView):
    """A partner's initiatives with the key results they feed (and their budget lines when shared)."""

    serializer_class = PartnerInitiativeSerializer
    required_actions = {"*": Action.PARTNER_WORK}
    pagination_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Initiative.objects.none()
        return partner_initiatives(membership=self.membership)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.membership is not None and self.membership.partner_sees_budget:
            context["lines"] = list(partner_budget_lines(membership=self.membership))
        return context


class PartnerCheckInsAPI(KeyResultCheckInsAPI):
    """The check-ins of one of the partner's key results (oldest first); POST adds one. Any other key result is a
    404."""

    required_actions = {"*": Action.PARTNER_WORK}
    pagination_class = None

    def get_key_result(self):
        if not hasattr(self, "_key_result"):
            self._key_result = partner_key_result_get(
                membership=self.membership, key_result_id=self.kwargs["key_result_id"]
            )
        return self._key_result


class ScoreKeyResultSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="key_result.pk")
    title = serializers.CharField(source="key_result.title")
    progress = serializers.DecimalField(max_digits=5, decimal_places=4)


class ScoreInitiativeSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="initiative.pk")
    title = serializers.CharField(source="initiative.title")
    state = serializers.CharField(source="initiative.state")
    cycle = serializers.CharField(source="initiative.cycle.name")
    key_results = ScoreKeyResultSerializer(many=True)
    planned = serializers.DecimalField(**MONEY)
    bound = serializers.DecimalField(**MONEY)
    actual = serializers.DecimalField(**MONEY)


class PartnerScoreSerializer(serializers.Serializer):
    membership = serializers.IntegerField(source="membership.pk")
    name = serializers.SerializerMethodField()
    email = serializers.EmailField(source="membership.user.email")
    team = serializers.CharField(source="membership.team.name", allow_null=True)
    sees_budget = serializers.BooleanField(source="membership.partner_sees_budget")
    initiatives = ScoreInitiativeSerializer(many=True)
    key_result_count = serializers.SerializerMethodField()
    progress = serializers.DecimalField(max_digits=5, decimal_places=4, allow_null=True)
    planned = serializers.DecimalField(**MONEY)
    bound = serializers.DecimalField(**MONEY)
    actual = serializers.DecimalField(**MONEY)
    output_only = serializers.SerializerMethodField(help_text=_("Ids of the initiatives that feed no key result."))

    def get_name(self, score) -> str:
        return display_name(score.membership.user)

    def get_key_result_count(self, score) -> int:
        return len(score.key_results)

    def get_output_only(self, score) -> list[int]:
        return [item.initiative.pk for item in score.output_only]


class PartnerScorecardAPI(CompanyScopedMixin, APIView):
    """The partner scorecard: per partner the initiatives, the key results they feed, progress, budget and spend."""

    required_actions = {"*": Action.PARTNERS_VIEW}

    @extend_schema(responses=PartnerScoreSerializer(many=True))
    def get(self, request, *args, **kwargs):
        return Response(PartnerScoreSerializer(partner_scorecard(company=self.company), many=True).data)


def _partner(view) -> Membership:
    return Membership.objects.select_related("user", "company").get_for_company_or_404(
        view.company, pk=view.kwargs["membership_id"], role=Role.PARTNER
    )


class PartnerBudgetShareSerializer(serializers.Serializer):
    sees_budget = serializers.BooleanField()


class PartnerDetailAPI(CompanyScopedMixin, APIView):
    """PATCH ``sees_budget``: whether the partner sees their initiatives' budget lines (CMOs and executives)."""

    required_actions = {"*": Action.PARTNER_BUDGET_SHARE}

    @extend_schema(request=PartnerBudgetShareSerializer, responses=PartnerBudgetShareSerializer)
    def patch(self, request, *args, **kwargs):
        data = PartnerBudgetShareSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = membership_partner_budget_set(
            membership=_partner(self), sees_budget=data.validated_data["sees_budget"], actor=request.user
        )
        return Response({"sees_budget": membership.partner_sees_budget})


class PartnerAssignSerializer(serializers.Serializer):
    initiative = IdSerializerField()


class PartnerAssignmentsAPI(CompanyScopedMixin, APIView):
    """POST ``initiative``: the partner works on it (and sees it and the key results it feeds)."""

    required_actions = {"*": Action.PARTNERS_MANAGE}

    @extend_schema(request=PartnerAssignSerializer, responses={201: PartnerAssignSerializer})
    def post(self, request, *args, **kwargs):
        membership = _partner(self)
        data = PartnerAssignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        initiative = for_company(Initiative, self.company).filter(pk=data.validated_data["initiative"]).first()
        if initiative is None:
            raise serializers.ValidationError({"initiative": [_("No such initiative in this company.")]})
        initiative_partner_assign(initiative=initiative, membership=membership, actor=request.user)
        return Response({"initiative": initiative.pk}, status=status.HTTP_201_CREATED)


class PartnerAssignmentAPI(CompanyScopedMixin, APIView):
    """DELETE: the partner no longer works on the initiative."""

    required_actions = {"*": Action.PARTNERS_MANAGE}

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, *args, **kwargs):
        membership = _partner(self)
        initiative = get_for_company_or_404(Initiative, self.company, pk=self.kwargs["initiative_id"])
        initiative_partner_unassign(initiative=initiative, membership=membership, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
