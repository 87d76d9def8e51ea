"""REST API of companies and memberships. Thin: serializers shape data, services change it."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import generics, serializers
from rest_framework.permissions import IsAuthenticated

from okrplan.api import CompanyScopedMixin

from .models import Company, Membership
from .permissions import Action, allowed_actions


class CompanySerializer(serializers.ModelSerializer):
    role = serializers.SerializerMethodField(help_text=_("Your role in this company."))
    permissions = serializers.SerializerMethodField(help_text=_("What your role may do (the permission table)."))

    class Meta:
        model = Company
        fields = ["slug", "name", "currency", "fiscal_year_start_month", "role", "permissions"]

    def _role(self, company: Company) -> str | None:
        roles = self.context.get("roles", {})
        return roles.get(company.pk)

    def get_role(self, company: Company) -> str | None:
        return self._role(company)

    def get_permissions(self, company: Company) -> list[str]:
        return sorted(name for name, allowed in allowed_actions(self._role(company)).items() if allowed)


class CompanyListAPI(generics.ListAPIView):
    """The companies you are a member of, with your role in each."""

    serializer_class = CompanySerializer
    permission_classes = [IsAuthenticated]
    pagination_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no signed-in user
            return Company.objects.none()
        return Company.objects.filter(memberships__user=self.request.user, is_active=True).order_by("name")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["roles"] = dict(Membership.objects.filter(user=self.request.user).values_list("company_id", "role"))
        return context


class CompanyDetailAPI(CompanyScopedMixin, generics.RetrieveAPIView):
    """One company you are a member of; any other company answers 404."""

    serializer_class = CompanySerializer
    required_actions = {"*": Action.COMPANY_VIEW}

    def get_object(self):
        return self.company

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["roles"] = {self.company.pk: self.membership.role}
        return context


class MembershipSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    name = serializers.CharField(source="user.get_full_name", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "username", "name", "role", "team"]


class MembershipListAPI(CompanyScopedMixin, generics.ListAPIView):
    """The members of a company and their roles (not for the plain member role)."""

    serializer_class = MembershipSerializer
    required_actions = {"*": Action.MEMBERS_VIEW}
    filterset_fields = ["role", "team"]

    def get_queryset(self):
        return (
            Membership.objects.filter(company=self.company)
            .select_related("user")
            .order_by("user__last_name", "user__username")
        )
