"""Single sign-on with OpenID Connect: the authorization code flow with PKCE and nonce, by mozilla-django-oidc.

mozilla-django-oidc was chosen over django-allauth because okrplan keeps its own sign-in page, rate limit and
password reset (companies/accounts.py, ratelimit.py, passwords.py): mozilla-django-oidc adds one authentication
backend and two views and nothing else, where allauth brings its own account pages, e-mail address model and
middleware. What it lacks is added here:

- the provider's endpoints come from its discovery document (``{OIDC_ISSUER}/.well-known/openid-configuration``),
  fetched when someone signs in and cached for an hour, so an installation configures the issuer, client id and
  secret only; an unreachable or wrong document is :class:`ProviderUnavailable` (a page saying so, never a 500);
- the ID token's issuer and audience are checked (the library checks signature and nonce only);
- who the person is and which companies they join is decided by companies.signin (verified e-mail only).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from redis.exceptions import RedisError

from .signin import Identity, SignInRefused, sso_enabled, sso_sign_in

logger = logging.getLogger(__name__)

DISCOVERY_CACHE_SECONDS = 3600
_REQUIRED_ENDPOINTS = ("authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint")


class ProviderUnavailable(Exception):
    """The OpenID provider cannot be reached, or its discovery document is not what this installation expects."""


def _cache_key() -> str:
    return "oidc-discovery:" + hashlib.sha256(settings.OIDC_ISSUER.encode()).hexdigest()


def provider_configuration() -> dict:
    """The provider's discovery document (cached); :class:`ProviderUnavailable` when it cannot be had."""
    try:
        cached = cache.get(_cache_key())
    except RedisError:  # without the shared cache, ask the provider each time
        cached = None
    if cached:
        return cached
    url = settings.OIDC_ISSUER + "/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        logger.warning("OpenID provider discovery failed: %s", exc)
        raise ProviderUnavailable(str(exc)) from exc
    issuer = document.get("issuer") if isinstance(document, dict) else None
    if not isinstance(issuer, str) or issuer.rstrip("/") != settings.OIDC_ISSUER:
        logger.warning("OpenID provider discovery: its issuer %r is not OIDC_ISSUER", issuer)
        raise ProviderUnavailable("issuer mismatch")
    missing = [name for name in _REQUIRED_ENDPOINTS if not document.get(name)]
    if missing:
        logger.warning("OpenID provider discovery: missing %s", ", ".join(missing))
        raise ProviderUnavailable("missing " + ", ".join(missing))
    with contextlib.suppress(RedisError):
        cache.set(_cache_key(), document, DISCOVERY_CACHE_SECONDS)
    return document


def forget_provider_configuration() -> None:
    """After a failed sign-in the provider may have changed its keys or endpoints: read them again next time."""
    with contextlib.suppress(RedisError):
        cache.delete(_cache_key())


class SingleSignOnBackend(OIDCAuthenticationBackend):
    """Answers only the callback of a single sign-on (Django also asks it on password sign-ins: it declines)."""

    def __init__(self, *args, **kwargs):
        # Django builds backends on every authenticate() and session lookup: nothing here may reach the network.
        self.UserModel = get_user_model()

    def authenticate(self, request, nonce=None, code_verifier=None, **kwargs):
        if request is None or nonce is None or not sso_enabled():
            return None
        configuration = provider_configuration()
        self.OIDC_OP_TOKEN_ENDPOINT = configuration["token_endpoint"]
        self.OIDC_OP_USER_ENDPOINT = configuration["userinfo_endpoint"]
        self.OIDC_OP_JWKS_ENDPOINT = configuration["jwks_uri"]
        # Exactly as the provider writes it (some end it with a slash, which OIDC_ISSUER may leave out).
        self.issuer = configuration["issuer"]
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None
        return super().authenticate(request, nonce=nonce, code_verifier=code_verifier)

    def get_user(self, user_id):
        """The session's user, and only while active: Django's rule (the library's own get_user skips it), so that
        deactivating someone ends their single sign-on sessions at the next request too."""
        return ModelBackend.get_user(self, user_id)

    def _verify_jws(self, payload, key):
        """Signature, algorithm, expiry, and (beyond the library) that this provider issued it for this client."""
        try:
            algorithm = jwt.get_unverified_header(payload).get("alg")
            if algorithm != self.OIDC_RP_SIGN_ALGO:
                raise SuspiciousOperation(f"ID token algorithm {algorithm!r} is not OIDC_SIGN_ALGO")
            return jwt.decode(
                payload,
                key,
                algorithms=[algorithm],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=getattr(self, "issuer", settings.OIDC_ISSUER),
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
                leeway=60,
            )
        except jwt.PyJWTError as exc:
            raise SuspiciousOperation(f"ID token rejected: {exc}") from exc

    def get_or_create_user(self, access_token, id_token, payload):
        userinfo = self.get_userinfo(access_token, id_token, payload)
        if userinfo.get("sub") != payload.get("sub"):  # OpenID Connect Core 5.3.4
            raise SuspiciousOperation("user info is about another subject than the ID token")
        claims = {**payload, **userinfo}
        try:
            return sso_sign_in(identity=Identity.from_claims(claims))
        except SignInRefused as exc:
            logger.info("single sign-on refused: %s", exc.code)
            self.request.sso_refusal = exc.message
            return None
