"""Weekly review API: the decision and action log. GET lists the actions of a week (``?week=2026-W49``; default this
week) with those carried over; POST logs one; PATCH changes one (``status`` "done"/"open" completes or reopens it).
Thin: selectors and services."""

from __future__ import annotations

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from companies.api import CompanyScopedMixin
from companies.permissions import Action
from core.api import PersonField
from core.safety import BoundedDateSerializerField

from . import selectors, services
from .models import ReviewAction


class ReviewActionSerializer(serializers.ModelSerializer):
    owner = PersonField()
    owner_id = serializers.IntegerField(read_only=True)
    created_by = PersonField()
    carried_over = serializers.SerializerMethodField()

    class Meta:
        model = ReviewAction
        fields = [
            "id",
            "title",
            "decision",
            "owner",
            "owner_id",
            "due_date",
            "status",
            "week_start",
            "objective",
            "key_result",
            "initiative",
            "created_by",
            "created_at",
            "completed_at",
            "carried_over",
        ]

    def get_carried_over(self, action: ReviewAction) -> bool:
        return bool(getattr(action, "carried_over", False))


class ReviewActionWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=240, required=False)
    decision = serializers.CharField(required=False, allow_blank=True)
    owner = serializers.IntegerField(min_value=1, required=False, help_text="user id of a member")
    due_date = BoundedDateSerializerField(required=False)
    objective = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    key_result = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    initiative = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    status = serializers.ChoiceField(choices=ReviewAction.Status.choices, required=False)
    week = serializers.RegexField(r"^\d{4}-W\d{2}$", required=False, help_text='the review week, e.g. "2026-W49"')


WEEK_PARAMETER = OpenApiParameter(
    "week", OpenApiTypes.STR, description='ISO week, e.g. "2026-W49" (default: this week).'
)


class ReviewActionListAPI(CompanyScopedMixin, APIView):
    required_actions = {"get": Action.REVIEW_VIEW, "post": Action.REVIEW_ACTIONS_MANAGE}

    @extend_schema(parameters=[WEEK_PARAMETER], responses=ReviewActionSerializer(many=True))
    def get(self, request, company_slug: str):
        week = selectors.parse_week((request.query_params.get("week") or "")[:12], today=timezone.localdate())
        return Response(ReviewActionSerializer(selectors.week_actions(company=self.company, week=week), many=True).data)

    @extend_schema(request=ReviewActionWriteSerializer, responses={201: ReviewActionSerializer})
    def post(self, request, company_slug: str):
        body = ReviewActionWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        missing = [name for name in ("title", "owner", "due_date") if name not in data]
        if missing:
            raise serializers.ValidationError({name: [_("This field is required.")] for name in missing})
        data.pop("status", None)
        week = selectors.parse_week(data.pop("week", ""), today=timezone.localdate())
        action = services.review_action_create(company=self.company, actor=request.user, week_start=week.start, **data)
        return Response(ReviewActionSerializer(action).data, status=status.HTTP_201_CREATED)


class ReviewActionDetailAPI(CompanyScopedMixin, APIView):
    # PATCH of only ``status`` is open to owners (the service decides); other fields need REVIEW_ACTIONS_MANAGE.
    required_actions = {"get": Action.REVIEW_VIEW, "patch": Action.REVIEW_VIEW}

    def _action(self, review_action_id: int) -> ReviewAction:
        action = selectors.action_for(company=self.company, action_id=review_action_id)
        if action is None:
            raise Http404(_("No such action."))
        return action

    @extend_schema(responses=ReviewActionSerializer)
    def get(self, request, company_slug: str, review_action_id: int):
        return Response(ReviewActionSerializer(self._action(review_action_id)).data)

    @extend_schema(request=ReviewActionWriteSerializer, responses=ReviewActionSerializer)
    def patch(self, request, company_slug: str, review_action_id: int):
        self._action(review_action_id)
        body = ReviewActionWriteSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        data.pop("week", None)
        wanted = data.pop("status", None)
        if data:
            services.review_action_update(company=self.company, actor=request.user, action_id=review_action_id, **data)
        if wanted is not None:
            services.review_action_set_done(
                company=self.company,
                actor=request.user,
                action_id=review_action_id,
                done=wanted == ReviewAction.Status.DONE,
            )
        return Response(ReviewActionSerializer(self._action(review_action_id)).data)
