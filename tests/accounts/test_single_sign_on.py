"""Single sign-on: the matching rules (companies.signin.sso_sign_in), each company's sign-in policy, passwords turned
off, and the pages around the provider (companies.views_sso, companies.sso) when it is down, misconfigured or
answers with something okrplan must not trust. The whole flow against a real provider is in
tests/browser/test_single_sign_on.py."""

from __future__ import annotations

import datetime as dt
import time

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.utils import timezone

from companies.models import Invitation, Membership, Profile, SignInPolicy
from companies.permissions import Role
from companies.signin import Identity, SignInRefused, normalised_domains, sign_in_policy_update, sso_sign_in
from companies.sso import SingleSignOnBackend, forget_provider_configuration, provider_configuration
from core.errors import PermissionDenied
from history.models import ChangeRecord
from history.tracking import history_actor
from tests.factories import CompanyFactory, InvitationFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

ISSUER = "https://id.voltaria.example"
User = get_user_model()


@pytest.fixture(autouse=True)
def sso(settings):
    settings.OIDC_ISSUER = ISSUER
    settings.OIDC_RP_CLIENT_ID = "okrplan"
    settings.OIDC_RP_CLIENT_SECRET = "secret"
    settings.OIDC_PROVIDER_NAME = "Voltaria ID"
    forget_provider_configuration()  # only our key: the cache may be the shared Redis of the run


@pytest.fixture
def voltaria():
    return CompanyFactory(name="Voltaria Energie AG", slug="voltaria")


def _identity(email="nina@voltaria.example", verified=True, **claims) -> Identity:
    return Identity.from_claims({"email": email, "email_verified": verified, **claims})


# --- What counts as verified ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claim", "verified"),
    [
        (True, True),
        ("true", True),
        ("TRUE", True),
        (False, False),
        ("false", False),
        (None, False),
        (1, False),
        ("yes", False),
    ],
)
def test_only_a_true_email_verified_claim_counts(claim, verified):
    claims = {"email": "a@b.example"} | ({} if claim is None else {"email_verified": claim})
    assert Identity.from_claims(claims).email_verified is verified


def test_an_unverified_address_is_refused_even_for_an_existing_member(voltaria):
    member = UserFactory(username="nina", email="nina@voltaria.example")
    MembershipFactory(user=member, company=voltaria)
    SignInPolicy.objects.create(company=voltaria, email_domains="voltaria.example")
    with pytest.raises(SignInRefused) as refused:
        sso_sign_in(identity=_identity(verified=False))
    assert str(refused.value) == (
        "Voltaria ID has not verified your e-mail address nina@voltaria.example. okrplan only accepts verified "
        "addresses: confirm the address with Voltaria ID, then sign in again."
    )
    assert User.objects.count() == 1


def test_no_address_is_refused():
    with pytest.raises(SignInRefused, match="did not give okrplan your e-mail address"):
        sso_sign_in(identity=Identity.from_claims({"sub": "x", "email_verified": True}))


# --- Existing accounts ---------------------------------------------------------------------------------------------


def test_an_existing_member_is_matched_by_address_in_any_case_and_accepts_open_invitations(voltaria):
    member = UserFactory(username="nina", email="Nina@Voltaria.example")
    MembershipFactory(user=member, company=voltaria, role=Role.CMO)
    other = CompanyFactory(name="Kessler Logistik", slug="kessler")
    invitation = InvitationFactory(company=other, email="nina@voltaria.example", role=Role.FACILITATOR, team="Vertrieb")

    assert sso_sign_in(identity=_identity()) == member

    assert Membership.objects.get(user=member, company=voltaria).role == Role.CMO
    joined = Membership.objects.get(user=member, company=other)
    assert (joined.role, joined.team.name) == (Role.FACILITATOR, "Vertrieb")
    invitation.refresh_from_db()
    assert invitation.accepted_by == member
    assert User.objects.count() == 1


def test_two_accounts_with_the_address_are_refused(voltaria):
    for name in ("nina", "nina2"):
        MembershipFactory(user=UserFactory(username=name, email="nina@voltaria.example"), company=voltaria)
    with pytest.raises(SignInRefused, match=r"Several okrplan accounts use the address nina@voltaria\.example"):
        sso_sign_in(identity=_identity())


def test_a_member_is_not_added_to_another_company_by_its_domain(voltaria):
    member = UserFactory(username="nina", email="nina@voltaria.example")
    MembershipFactory(user=member, company=voltaria)
    other = CompanyFactory(slug="kessler")
    SignInPolicy.objects.create(company=other, email_domains="voltaria.example")
    assert sso_sign_in(identity=_identity()) == member
    assert not Membership.objects.filter(company=other).exists()


def test_a_deactivated_person_comes_back_by_invitation_only(voltaria):
    gone = UserFactory(username="nina", email="nina@voltaria.example", is_active=False)
    SignInPolicy.objects.create(company=voltaria, email_domains="voltaria.example")
    with pytest.raises(SignInRefused, match=r"Your okrplan account \(nina@voltaria.example\) has been deactivated"):
        sso_sign_in(identity=_identity())
    assert not Membership.objects.exists()

    InvitationFactory(company=voltaria, email="nina@voltaria.example", role=Role.MEMBER)
    assert sso_sign_in(identity=_identity()) == gone
    gone.refresh_from_db()
    assert gone.is_active
    assert Membership.objects.get(user=gone).company == voltaria


# --- New people ----------------------------------------------------------------------------------------------------


def test_a_new_person_with_an_invitation_gets_an_account_and_the_invited_membership(voltaria):
    invitation = InvitationFactory(
        company=voltaria, email="nina@voltaria.example", role=Role.CMO, team="Marketing", language="en"
    )
    user = sso_sign_in(identity=_identity(given_name="Nina", family_name="Brandt", locale="de-DE"))

    assert (user.username, user.email, user.get_full_name()) == ("nina", "nina@voltaria.example", "Nina Brandt")
    assert not user.has_usable_password()
    assert Profile.objects.get(user=user).language == "en"  # the invitation's language
    membership = Membership.objects.get(user=user)
    assert (membership.company, membership.role, membership.team.name) == (voltaria, Role.CMO, "Marketing")
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None and invitation.accepted_by == user


def test_a_new_person_of_an_admitted_domain_joins_with_the_domain_role(voltaria):
    SignInPolicy.objects.create(
        company=voltaria, email_domains="kessler.example voltaria.example", domain_role=Role.FACILITATOR
    )
    UserFactory(username="nina")  # the username is taken: the next free one is chosen
    user = sso_sign_in(identity=_identity(email="nina@VOLTARIA.example", locale="en-GB"))
    assert user.username == "nina-2"
    assert Profile.objects.get(user=user).language == "en"
    assert Membership.objects.get(user=user).role == Role.FACILITATOR


@pytest.mark.parametrize("email", ["nina@aria.example", "nina@sub.voltaria.example", "nina@voltaria.example.com"])
def test_a_domain_matches_whole_domains_only(voltaria, email):
    SignInPolicy.objects.create(company=voltaria, email_domains="voltaria.example")
    with pytest.raises(SignInRefused):
        sso_sign_in(identity=_identity(email=email))
    assert not User.objects.exists()


def test_nobody_invited_and_no_domain_is_refused_and_nothing_is_created(voltaria):
    InvitationFactory(company=voltaria, email="nina@voltaria.example", revoked_at=timezone.now())
    InvitationFactory(
        company=voltaria,
        email="nina@voltaria.example",
        sent_at=timezone.now() - dt.timedelta(days=10),
        expires_at=timezone.now() - dt.timedelta(days=3),
    )
    closed = CompanyFactory(slug="closed", is_active=False)
    SignInPolicy.objects.create(company=closed, email_domains="voltaria.example")
    with pytest.raises(SignInRefused) as refused:
        sso_sign_in(identity=_identity())
    assert str(refused.value) == (
        "nina@voltaria.example may not use okrplan yet: no company has invited this address, and none admits "
        "addresses at voltaria.example. Ask someone who manages the members of your company for an invitation."
    )
    assert not User.objects.exists() and not Membership.objects.exists()
    assert Invitation.objects.filter(accepted_at__isnull=False).count() == 0


# --- The policy ----------------------------------------------------------------------------------------------------


def test_domains_are_normalised():
    assert normalised_domains(" Voltaria.Example, @müller.de;\nvoltaria.example ") == [
        "voltaria.example",
        "xn--mller-kva.de",
    ]
    with pytest.raises(ValidationError, match=r"“voltaria” is not a domain name like example\.com\."):
        normalised_domains("voltaria.example voltaria")


def _member(company, role):
    user = UserFactory()
    MembershipFactory(user=user, company=company, role=role)
    return user


def test_facilitators_and_executives_set_the_policy_and_history_records_it(voltaria):
    facilitator = _member(voltaria, Role.FACILITATOR)
    with history_actor(facilitator):  # what the members page's request does (history.tracking)
        policy = sign_in_policy_update(
            company=voltaria,
            actor=facilitator,
            email_domains="voltaria.example",
            domain_role=Role.MEMBER,
            password_sign_in=False,
        )
    assert (policy.email_domains, policy.domain_role, policy.password_sign_in) == ("voltaria.example", "member", False)
    executive = _member(voltaria, Role.EXECUTIVE)
    with history_actor(executive):
        sign_in_policy_update(
            company=voltaria, actor=executive, email_domains="", domain_role=Role.EXECUTIVE, password_sign_in=True
        )
    records = ChangeRecord.objects.filter(company=voltaria, content_type__model="signinpolicy").order_by("at", "id")
    assert [(r.action, r.actor_id) for r in records] == [("created", facilitator.pk), ("updated", executive.pk)]
    assert records[0].changes["email_domains"] == [None, "voltaria.example"]
    assert records[1].changes == {
        "email_domains": ["voltaria.example", ""],
        "domain_role": ["member", "executive"],
        "password_sign_in": [False, True],
    }


@pytest.mark.parametrize("role", [Role.CMO, Role.MEMBER])
def test_other_roles_may_not_change_the_policy(voltaria, role):
    with pytest.raises(PermissionDenied):
        sign_in_policy_update(
            company=voltaria,
            actor=_member(voltaria, role),
            email_domains="voltaria.example",
            domain_role=Role.MEMBER,
            password_sign_in=True,
        )
    assert not SignInPolicy.objects.exists()


def test_a_facilitator_may_not_let_a_domain_join_as_executive(voltaria):
    with pytest.raises(PermissionDenied):
        sign_in_policy_update(
            company=voltaria,
            actor=_member(voltaria, Role.FACILITATOR),
            email_domains="voltaria.example",
            domain_role=Role.EXECUTIVE,
            password_sign_in=True,
        )


def test_without_single_sign_on_passwords_stay_and_no_domain_joins(voltaria, settings):
    settings.OIDC_ISSUER = ""
    executive = _member(voltaria, Role.EXECUTIVE)
    with pytest.raises(ValidationError) as error:
        sign_in_policy_update(
            company=voltaria, actor=executive, email_domains="", domain_role=Role.MEMBER, password_sign_in=False
        )
    assert "without passwords nobody could sign in" in str(error.value)
    with pytest.raises(ValidationError, match="nobody can join by e-mail domain"):
        sign_in_policy_update(
            company=voltaria,
            actor=executive,
            email_domains="voltaria.example",
            domain_role=Role.MEMBER,
            password_sign_in=True,
        )


# --- The members page ----------------------------------------------------------------------------------------------


def test_the_members_page_shows_and_saves_the_policy_for_facilitators_only(client, voltaria):
    facilitator = _member(voltaria, Role.FACILITATOR)
    client.force_login(facilitator)
    page = client.get("/c/voltaria/members/", HTTP_ACCEPT_LANGUAGE="en")
    assert "E-mail domains that may join" in page.content.decode()
    response = client.post(
        "/c/voltaria/members/sign-in/",
        {"email_domains": "voltaria.example", "domain_role": "member", "password_sign_in": ""},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302
    policy = SignInPolicy.objects.get(company=voltaria)
    assert (policy.email_domains, policy.password_sign_in) == ("voltaria.example", False)

    bad = client.post(
        "/c/voltaria/members/sign-in/",
        {"email_domains": "voltaria", "domain_role": "member", "password_sign_in": "on"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert bad.status_code == 400
    assert "is not a domain name like example.com" in bad.content.decode()

    cmo = _member(voltaria, Role.CMO)
    client.force_login(cmo)
    assert "E-mail domains that may join" not in client.get("/c/voltaria/members/").content.decode()
    assert client.post("/c/voltaria/members/sign-in/", {"domain_role": "member"}).status_code == 403


# --- Passwords off -------------------------------------------------------------------------------------------------


@pytest.fixture
def passwordless(voltaria):
    SignInPolicy.objects.create(company=voltaria, password_sign_in=False)
    user = UserFactory(username="nina", email="nina@voltaria.example")
    MembershipFactory(user=user, company=voltaria)
    return user


def test_a_member_of_a_company_without_passwords_cannot_sign_in_with_one(client, passwordless):
    response = client.post("/login/", {"username": "nina", "password": "pw"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert (
        "Voltaria Energie AG signs in with single sign-on only: use “Sign in with Voltaria ID” instead of a password."
        in response.content.decode()
    )
    assert "_auth_user_id" not in client.session
    wrong = client.post("/login/", {"username": "nina", "password": "wrong"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "single sign-on only" not in wrong.content.decode()  # nothing told before the password matched


def test_the_refusal_does_not_count_as_a_failed_attempt(client, passwordless, settings):
    for _ in range(settings.LOGIN_RATE_LIMIT + 2):
        response = client.post("/login/", {"username": "nina", "password": "pw"}, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200
        assert "signs in with single sign-on only" in response.content.decode()


def test_german_too(client, passwordless):
    response = client.post("/login/", {"username": "nina", "password": "pw"}, HTTP_ACCEPT_LANGUAGE="de")
    assert (
        "Voltaria Energie AG meldet sich nur per Single Sign-on an: Nutzen Sie „Mit Voltaria ID anmelden“ statt eines "
        "Passworts." in response.content.decode()
    )


def test_without_single_sign_on_configured_passwords_work_again(client, passwordless, settings):
    settings.OIDC_ISSUER = ""
    response = client.post("/login/", {"username": "nina", "password": "pw"})
    assert response.status_code == 302


def test_password_reset_sends_no_link_and_change_is_refused(client, passwordless, mailoutbox):
    client.post("/password/reset/", {"email": "nina@voltaria.example"}, HTTP_ACCEPT_LANGUAGE="en")
    [message] = mailoutbox
    assert "/password/reset/" not in message.body
    assert "signs in with single sign-on only" in message.body

    client.force_login(passwordless)
    page = client.get("/account/password/", HTTP_ACCEPT_LANGUAGE="en")
    assert "signs in with single sign-on only" in page.content.decode()
    refused = client.post(
        "/account/password/",
        {"old_password": "pw", "new_password1": "Sommer-Wiese-42!", "new_password2": "Sommer-Wiese-42!"},
    )
    assert refused.status_code == 403
    passwordless.refresh_from_db()
    assert passwordless.check_password("pw")


def test_a_reset_link_from_before_the_switch_sets_no_password(client, passwordless):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    uid = urlsafe_base64_encode(force_bytes(passwordless.pk))
    token = default_token_generator.make_token(passwordless)
    landing = client.get(f"/password/reset/{uid}/{token}/", follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "signs in with single sign-on only" in landing.content.decode()
    response = client.post(
        landing.redirect_chain[-1][0], {"new_password1": "Sommer-Wiese-42!", "new_password2": "Sommer-Wiese-42!"}
    )
    assert response.status_code == 403
    passwordless.refresh_from_db()
    assert passwordless.check_password("pw")


# --- The provider: down, misconfigured, untrustworthy answers -------------------------------------------------------


def test_the_button_only_when_single_sign_on_is_configured(client, settings):
    assert "Sign in with Voltaria ID" in client.get("/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    settings.OIDC_ISSUER = ""
    assert "Sign in with" not in client.get("/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert client.post("/sso/start/").status_code == 404
    assert client.get("/sso/callback/?code=x&state=y").status_code == 404


def test_starting_needs_a_post(client):
    assert client.get("/sso/start/").status_code == 405


class _Answer:
    def __init__(self, document, status=200):
        self.document, self.status_code = document, status

    def raise_for_status(self):
        if self.status_code >= 400:
            raise requests.HTTPError(f"{self.status_code}")

    def json(self):
        if isinstance(self.document, Exception):
            raise self.document
        return self.document


GOOD = {
    "issuer": ISSUER,
    "authorization_endpoint": f"{ISSUER}/auth",
    "token_endpoint": f"{ISSUER}/token",
    "jwks_uri": f"{ISSUER}/jwks",
    "userinfo_endpoint": f"{ISSUER}/me",
}


@pytest.mark.parametrize(
    "answer",
    [
        requests.ConnectionError("refused"),
        requests.Timeout("slow"),
        _Answer({}, status=502),
        _Answer(ValueError("not JSON")),
        _Answer(GOOD | {"issuer": "https://elsewhere.example"}),
        _Answer({k: v for k, v in GOOD.items() if k != "token_endpoint"}),
    ],
    ids=["refused", "timeout", "502", "html", "other-issuer", "no-token-endpoint"],
)
def test_a_provider_down_or_misconfigured_gives_a_clear_page(client, monkeypatch, answer):
    def get(url, timeout):
        assert url == f"{ISSUER}/.well-known/openid-configuration"
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr("companies.sso.requests.get", get)
    response = client.post("/sso/start/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 503
    assert "Voltaria ID cannot be reached" in response.content.decode()
    german = client.post("/sso/start/", HTTP_ACCEPT_LANGUAGE="de")
    assert "Voltaria ID ist nicht erreichbar" in german.content.decode()


def test_start_redirects_to_the_provider_with_state_nonce_and_pkce(client, monkeypatch):
    monkeypatch.setattr("companies.sso.requests.get", lambda url, timeout: _Answer(GOOD))
    response = client.post("/sso/start/?next=/c/voltaria/")
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(f"{ISSUER}/auth?")
    for part in (
        "response_type=code",
        "client_id=okrplan",
        "code_challenge_method=S256",
        "nonce=",
        "state=",
        "scope=openid+email+profile",
        "redirect_uri=http%3A%2F%2Ftestserver%2Fsso%2Fcallback%2F",
    ):
        assert part in location
    assert client.session["oidc_login_next"] == "/c/voltaria/"
    provider_configuration()  # cached: no second request needed
    monkeypatch.setattr("companies.sso.requests.get", lambda url, timeout: pytest.fail("asked again"))
    assert client.post("/sso/start/").status_code == 302


def test_a_cancelled_sign_in_and_a_replayed_callback_get_pages(client, monkeypatch):
    monkeypatch.setattr("companies.sso.requests.get", lambda url, timeout: _Answer(GOOD))
    cancelled = client.get("/sso/callback/?error=access_denied&state=x", HTTP_ACCEPT_LANGUAGE="en")
    assert cancelled.status_code == 400
    assert "The sign-in with Voltaria ID was cancelled or refused there." in cancelled.content.decode()
    client.post("/sso/start/")
    replayed = client.get("/sso/callback/?code=abc&state=not-ours", HTTP_ACCEPT_LANGUAGE="en")
    assert replayed.status_code == 400
    assert "Please start again." in replayed.content.decode()


def test_a_token_endpoint_error_gives_the_unreachable_page(client, monkeypatch):
    monkeypatch.setattr("companies.sso.requests.get", lambda url, timeout: _Answer(GOOD))
    client.post("/sso/start/")
    state = next(iter(client.session["oidc_states"]))

    def post(*args, **kwargs):
        raise requests.ConnectionError("token endpoint down")

    monkeypatch.setattr("mozilla_django_oidc.auth.requests.post", post)
    response = client.get(f"/sso/callback/?code=abc&state={state}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 503
    assert "Voltaria ID cannot be reached" in response.content.decode()


# --- The ID token --------------------------------------------------------------------------------------------------


@pytest.fixture
def signing_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _backend() -> SingleSignOnBackend:
    backend = SingleSignOnBackend()
    backend.OIDC_RP_CLIENT_ID = "okrplan"
    backend.OIDC_RP_SIGN_ALGO = "RS256"
    return backend


def _token(key, **overrides) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": "okrplan", "sub": "nina", "iat": now, "exp": now + 300, "nonce": "n"} | overrides
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, key, algorithm="RS256")


def test_an_id_token_for_this_client_from_this_issuer_is_accepted(signing_key):
    claims = _backend()._verify_jws(_token(signing_key), signing_key.public_key())
    assert claims["sub"] == "nina"


@pytest.mark.parametrize(
    "overrides",
    [{"aud": "another-client"}, {"iss": "https://evil.example"}, {"exp": int(time.time()) - 3600}, {"aud": None}],
    ids=["audience", "issuer", "expired", "no-audience"],
)
def test_an_id_token_for_another_client_or_issuer_is_rejected(signing_key, overrides):
    with pytest.raises(SuspiciousOperation):
        _backend()._verify_jws(_token(signing_key, **overrides), signing_key.public_key())


def test_an_id_token_signed_by_another_key_is_rejected(signing_key):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(SuspiciousOperation):
        _backend()._verify_jws(_token(other), signing_key.public_key())


def test_password_sign_in_never_reaches_the_provider(client, monkeypatch, voltaria):
    monkeypatch.setattr("companies.sso.requests.get", lambda *a, **k: pytest.fail("the provider was asked"))
    MembershipFactory(user=UserFactory(username="nina"), company=voltaria)
    assert client.post("/login/", {"username": "nina", "password": "pw"}).status_code == 302
    assert client.get("/c/voltaria/").status_code == 200


def test_an_invitation_to_a_company_without_passwords_offers_single_sign_on_instead_of_a_password(client, voltaria):
    from companies.services import account_create_from_invitation, invitation_token

    SignInPolicy.objects.create(company=voltaria, password_sign_in=False)
    invitation = InvitationFactory(company=voltaria, email="nina@voltaria.example", role=Role.MEMBER)
    page = client.get(f"/invitations/{invitation_token(invitation)}/", HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert "Voltaria Energie AG signs in with single sign-on: sign in with Voltaria ID as nina@voltaria.example" in text
    assert 'action="/sso/start/?next=/c/voltaria/"' in text
    assert 'name="password1"' not in text
    with pytest.raises(ValidationError, match="signs in with single sign-on only"):
        account_create_from_invitation(
            invitation=invitation, username="nina", first_name="", last_name="", password="Sommer-Wiese-42!"
        )
    assert not User.objects.filter(username="nina").exists()


def test_deactivating_someone_ends_their_single_sign_on_session_at_once(client, voltaria):
    from companies.services import membership_deactivate

    nina = UserFactory(username="nina", email="nina@voltaria.example")
    membership = MembershipFactory(user=nina, company=voltaria)
    client.force_login(nina, backend="companies.sso.SingleSignOnBackend")  # as the callback's login() leaves it
    assert client.session["_auth_user_backend"] == "companies.sso.SingleSignOnBackend"
    assert client.get("/c/voltaria/").status_code == 200

    membership_deactivate(membership=membership, actor=None)

    response = client.get("/c/voltaria/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_api_reads_and_sets_the_policy_with_the_pages_rules(client, voltaria):
    executive = _member(voltaria, Role.EXECUTIVE)
    client.force_login(executive)
    url = "/api/v1/companies/voltaria/sign-in-policy/"
    assert client.get(url).json() == {
        "email_domains": [],
        "domain_role": "member",
        "password_sign_in": True,
        "single_sign_on": True,
    }
    body = {"email_domains": ["Voltaria.example", "müller.de"], "domain_role": "cmo", "password_sign_in": False}
    response = client.put(url, body, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["email_domains"] == ["voltaria.example", "xn--mller-kva.de"]
    policy = SignInPolicy.objects.get(company=voltaria)
    assert (policy.domain_role, policy.password_sign_in) == ("cmo", False)
    assert ChangeRecord.objects.filter(content_type__model="signinpolicy", actor=executive).count() == 1

    bad = client.put(url, body | {"email_domains": ["voltaria"]}, content_type="application/json")
    assert bad.status_code == 400
    assert bad.json()["field"] == "email_domains"

    client.force_login(_member(voltaria, Role.CMO))
    assert client.get(url).status_code == 403
    assert client.put(url, body, content_type="application/json").status_code == 403
    other = CompanyFactory(slug="kessler")
    client.force_login(_member(other, Role.EXECUTIVE))
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "token_answer",
    [{"access_token": "a"}, {"access_token": "a", "id_token": "not.a.jwt"}, {"access_token": "a", "id_token": 7}],
    ids=["no-id-token", "garbled-id-token", "id-token-not-a-string"],
)
def test_a_token_answer_that_is_not_a_proper_id_token_gives_a_page_not_an_error(client, monkeypatch, token_answer):
    def get(url, **kwargs):  # one requests module: discovery, then the key set
        return _Answer(GOOD if url.endswith("/.well-known/openid-configuration") else {"keys": []})

    monkeypatch.setattr("requests.get", get)
    client.post("/sso/start/")
    state = next(iter(client.session["oidc_states"]))

    class TokenAnswer(_Answer):
        url = f"{ISSUER}/token"
        text = ""

    monkeypatch.setattr("mozilla_django_oidc.auth.requests.post", lambda *a, **k: TokenAnswer(token_answer))
    response = client.get(f"/sso/callback/?code=abc&state={state}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "okrplan could not confirm this sign-in with Voltaria ID" in response.content.decode()
    assert "_auth_user_id" not in client.session
