"""REST API of companies and memberships, and the company-scoped base (permission + mixin) of every endpoint."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import generics, permissions, serializers
from rest_framework.permissions import IsAuthenticated

from .models import Company, Membership
from .permissions import Action, allowed_actions, require
from .tenancy import membership_for


class CompanyPermission(permissions.BasePermission):
    """Resolves the company from the URL (404 for non-members) and checks the view's required action.

    A view declares ``required_actions = {"list": Action.X, "create": Action.Y, ...}`` keyed by DRF action (or
    HTTP method in lower case for plain APIViews); ``"*"`` is the fallback.
    """

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        slug = view.kwargs.get("company_slug")
        if slug is None:
            raise Http404
        membership = membership_for(request.user, slug)
        view.membership = membership
        view.company = membership.company
        key = getattr(view, "action", None) or request.method.lower()
        actions = getattr(view, "required_actions", {})
        action = actions.get(key, actions.get("*", Action.COMPANY_VIEW))
        if action is not None:
            require(membership.role, action)
        return True


class CompanyScopedMixin:
    """Base for company endpoints: ``self.company`` and ``self.membership`` are set before the handler runs."""

    permission_classes = [permissions.IsAuthenticated, CompanyPermission]
    company = None
    membership = None


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
