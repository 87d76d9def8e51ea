"""REST API of companies and memberships, and the company-scoped base (permission + mixin) of every endpoint."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, permissions, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core.idempotency import IdempotentPostMixin
from core.people import display_name

from . import selectors, services, signin
from .models import Company, Invitation, Membership, Team
from .permissions import Action, Role, allowed_actions, require
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
        # The same attributes as company_view sets on pages, so core.tenancy.company_from_request serves both.
        request.membership = membership
        request.company = membership.company
        key = getattr(view, "action", None) or request.method.lower()
        actions = getattr(view, "required_actions", {})
        action = actions.get(key, actions.get("*", Action.COMPANY_VIEW))
        if action is not None:
            require(membership.role, action)
        return True


class CompanyScopedMixin(IdempotentPostMixin):
    """Base for company endpoints: ``self.company`` and ``self.membership`` are set before the handler runs. A POST
    with an ``Idempotency-Key`` header is carried out at most once (core.idempotency)."""

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


class TeamRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=Team.Kind.choices)


@extend_schema_field(TeamRefSerializer(allow_null=True))
class TeamRefField(serializers.Field):
    """A team in answers: ``{"id", "name", "kind"}``, or null for none."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, team):
        return {"id": team.pk, "name": team.name, "kind": team.kind}


class TeamIdField(serializers.IntegerField):
    """A team in requests: its id, or null for none. Only teams of the company in the serializer's context
    (``company``); another company's team is unknown, as a missing one is."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        team_id = super().to_internal_value(data)
        team = Team.objects.filter(pk=team_id, company=self.context["company"]).first()
        if team is None:
            raise serializers.ValidationError(
                _("No team with id %(id)s in this company.") % {"id": team_id}, code="unknown"
            )
        return team


class TeamSerializer(serializers.ModelSerializer):
    members = serializers.IntegerField(
        source="member_count", read_only=True, help_text=_("How many members belong to the team.")
    )
    objectives = serializers.IntegerField(
        source="objective_count", read_only=True, help_text=_("How many objectives the team owns.")
    )

    class Meta:
        model = Team
        fields = ["id", "name", "kind", "members", "objectives"]
        read_only_fields = ["id"]


class TeamListAPI(CompanyScopedMixin, generics.ListCreateAPIView):
    """The company's teams (GET, everyone who sees the members) and a new team (POST: facilitators, CMOs and
    executives, as on the members page)."""

    serializer_class = TeamSerializer
    required_actions = {"get": Action.MEMBERS_VIEW, "*": Action.MEMBERS_MANAGE}
    pagination_class = None

    def get_queryset(self):
        return selectors.team_list(company=self.company) if self.company else Team.objects.none()

    def create(self, request, *args, **kwargs):
        data = TeamSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        team = services.team_create(
            company=self.company,
            name=data.validated_data["name"],
            kind=data.validated_data.get("kind", Team.Kind.OTHER),
            actor=request.user,
        )
        return Response(TeamSerializer(selectors.team_list(company=self.company).get(pk=team.pk)).data, status=201)


class TeamDetailAPI(CompanyScopedMixin, generics.GenericAPIView):
    """One team: GET; PATCH renames it or changes its kind; DELETE removes it (400 while objectives belong to it;
    its members and invitations are left without a team)."""

    serializer_class = TeamSerializer
    required_actions = {"get": Action.MEMBERS_VIEW, "*": Action.MEMBERS_MANAGE}

    def get_object(self):
        return selectors.team_list(company=self.company).get_for_company_or_404(self.company, pk=self.kwargs["team_id"])

    def get(self, request, *args, **kwargs):
        return Response(TeamSerializer(self.get_object()).data)

    @extend_schema(request=TeamSerializer, responses=TeamSerializer)
    def patch(self, request, *args, **kwargs):
        data = TeamSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.team_update(team=self.get_object(), actor=request.user, **data.validated_data)
        return Response(TeamSerializer(self.get_object()).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, *args, **kwargs):
        services.team_delete(team=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MembershipSerializer(serializers.ModelSerializer):
    team = TeamRefField()
    username = serializers.CharField(source="user.username", read_only=True)
    name = serializers.SerializerMethodField()
    last_login = serializers.DateTimeField(source="user.last_login", read_only=True, allow_null=True)

    class Meta:
        model = Membership
        fields = ["id", "username", "name", "role", "team", "last_login"]

    def get_name(self, membership) -> str:
        return display_name(membership.user)


class MembershipListAPI(CompanyScopedMixin, generics.ListAPIView):
    """The members of a company and their roles (not for the plain member role)."""

    serializer_class = MembershipSerializer
    required_actions = {"*": Action.MEMBERS_VIEW}
    filterset_fields = ["role", "team"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no company
            return Membership.objects.none()
        return (
            Membership.objects.for_company(self.company)
            .select_related("user", "team")
            .order_by("user__last_name", "user__username")
        )


class MembershipUpdateSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    team = TeamIdField(required=False, help_text=_("A team id of the company, or null for no team."))


class MembershipDetailAPI(CompanyScopedMixin, generics.GenericAPIView):
    """One member: GET; PATCH changes role and/or team; DELETE deactivates (access ends at once; objectives and
    history keep their name). The rules of the members page hold: roles you may grant, never your own, and the
    last facilitator and executive stay."""

    serializer_class = MembershipSerializer
    required_actions = {"get": Action.MEMBERS_VIEW, "*": Action.MEMBERS_MANAGE}

    def get_object(self):
        return Membership.objects.select_related("user", "team").get_for_company_or_404(
            self.company, pk=self.kwargs["membership_id"]
        )

    def get(self, request, *args, **kwargs):
        return Response(MembershipSerializer(self.get_object()).data)

    @extend_schema(request=MembershipUpdateSerializer, responses=MembershipSerializer)
    def patch(self, request, *args, **kwargs):
        data = MembershipUpdateSerializer(data=request.data, context={"company": self.company})
        data.is_valid(raise_exception=True)
        membership = services.membership_update(membership=self.get_object(), actor=request.user, **data.validated_data)
        return Response(MembershipSerializer(membership).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, *args, **kwargs):
        services.membership_deactivate(membership=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationCreateSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    team = TeamIdField(required=False, help_text=_("A team id of the company, or null."))
    language = serializers.ChoiceField(choices=settings.LANGUAGES, required=False)


class InvitationSerializer(serializers.ModelSerializer):
    team = TeamRefField()
    invited_by = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()

    class Meta:
        model = Invitation
        fields = ["id", "email", "role", "team", "language", "invited_by", "sent_at", "expires_at", "status"]
        read_only_fields = ["id", "invited_by", "sent_at", "expires_at", "status"]
        extra_kwargs = {"language": {"required": False}}

    def get_invited_by(self, invitation) -> str | None:
        return display_name(invitation.invited_by) if invitation.invited_by else None

    def get_status(self, invitation) -> str:
        if invitation.accepted_at:
            return "accepted"
        if invitation.revoked_at:
            return "revoked"
        return "open" if invitation.is_open else "expired"


class InvitationListAPI(CompanyScopedMixin, generics.ListCreateAPIView):
    """Open invitations (GET) and inviting someone by e-mail (POST: the e-mail goes out in ``language``)."""

    serializer_class = InvitationSerializer
    required_actions = {"*": Action.MEMBERS_MANAGE}
    pagination_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no company
            return Invitation.objects.none()
        return (
            Invitation.objects.for_company(self.company)
            .filter(accepted_at__isnull=True, revoked_at__isnull=True)
            .select_related("invited_by", "team")
            .order_by("email")
        )

    @extend_schema(request=InvitationCreateSerializer, responses={201: InvitationSerializer})
    def create(self, request, *args, **kwargs):
        data = InvitationCreateSerializer(data=request.data, context={"company": self.company})
        data.is_valid(raise_exception=True)
        invitation = services.invitation_create(
            company=self.company,
            email=data.validated_data["email"],
            role=data.validated_data.get("role", Role.MEMBER),
            team=data.validated_data.get("team"),
            language=data.validated_data.get("language", "de"),
            actor=request.user,
            base_url=request.build_absolute_uri("/"),
        )
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)


class InvitationDetailAPI(CompanyScopedMixin, generics.GenericAPIView):
    """DELETE revokes an open invitation (its link stops working)."""

    serializer_class = InvitationSerializer
    required_actions = {"*": Action.MEMBERS_MANAGE}

    def get_object(self):
        return Invitation.objects.get_for_company_or_404(self.company, pk=self.kwargs["invitation_id"])

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, *args, **kwargs):
        services.invitation_revoke(invitation=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationResendAPI(InvitationDetailAPI):
    """POST sends the invitation again with a new link and expiry (the earlier link stops working)."""

    @extend_schema(request=None, responses=InvitationSerializer)
    def post(self, request, *args, **kwargs):
        invitation = services.invitation_resend(
            invitation=self.get_object(), actor=request.user, base_url=request.build_absolute_uri("/")
        )
        return Response(InvitationSerializer(invitation).data)

    def delete(self, request, *args, **kwargs):
        return Response(status=status.HTTP_405_METHOD_NOT_ALLOWED)


class SignInPolicySerializer(serializers.Serializer):
    email_domains = serializers.ListField(
        child=serializers.CharField(max_length=253),
        max_length=50,
        help_text=_("People whose verified e-mail address is at one of these domains join by single sign-on."),
    )
    domain_role = serializers.ChoiceField(choices=Role.choices, help_text=_("The role such people get."))
    password_sign_in = serializers.BooleanField(help_text=_("Whether members may also sign in with a password."))
    single_sign_on = serializers.BooleanField(
        read_only=True, help_text=_("Whether this installation has single sign-on configured.")
    )


class SignInPolicyAPI(CompanyScopedMixin, generics.GenericAPIView):
    """How people sign in to the company: GET; PUT sets the admitted e-mail domains, their role and whether
    passwords still work (facilitators and executives, like the members page; every change is in History)."""

    serializer_class = SignInPolicySerializer
    required_actions = {"*": Action.SIGN_IN_MANAGE}

    def _answer(self, policy) -> Response:
        data = {
            "email_domains": policy.domain_list,
            "domain_role": policy.domain_role,
            "password_sign_in": policy.password_sign_in,
            "single_sign_on": signin.sso_enabled(),
        }
        return Response(SignInPolicySerializer(data).data)

    def get_object(self):  # also for OPTIONS (DRF's metadata asks for it)
        return signin.sign_in_policy(self.company)

    def get(self, request, *args, **kwargs):
        return self._answer(self.get_object())

    def put(self, request, *args, **kwargs):
        data = SignInPolicySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        policy = signin.sign_in_policy_update(
            company=self.company,
            actor=request.user,
            email_domains=" ".join(data.validated_data["email_domains"]),
            domain_role=data.validated_data["domain_role"],
            password_sign_in=data.validated_data["password_sign_in"],
        )
        return self._answer(policy)
