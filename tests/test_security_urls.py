"""Generated from the URL configuration, so every route added later is covered without touching this file:

- anonymous GET and POST of every route are sent to the sign-in page (pages, admin) or refused (API), except an
  explicit allow-list;
- for every route with a ``company_slug``, each role of company A asking for company B's URL gets a 404 — the same
  answer as for a company that does not exist — and never B's data;
- for routes with object ids (``objective_id``, ``key_result_pk``, ``pk`` of a DRF/generic view ...), company A's URL
  with company B's object answers exactly like a non-existent object, never 2xx, whenever a factory for that model
  exists in tests/factories*.py.

A route whose path this generator cannot fill fails ``test_every_route_can_be_generated``: add a sample below.
"""

from __future__ import annotations

import importlib
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import factory
import pytest
from django.apps import apps
from django.conf import settings
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern, RoutePattern

from companies.permissions import OUTSIDER_ROLES, Action, Role, can
from tests.factories import CompanyFactory

# Routes an anonymous visitor may use (by view name, namespaced like "admin:login").
ANONYMOUS_ALLOWED = {
    "login",
    "logout",
    "language_set",
    "healthz",
    "admin:login",
    "admin:logout",
    # A forgotten password is reset without signing in (tests/accounts/test_passwords.py).
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    # The link in an invitation e-mail: its signed token is the key (tests/companies/test_members.py).
    "invitation_accept",
    # Single sign-on: the sign-in page's button and the provider's way back (tests/accounts/test_single_sign_on.py).
    "sso_start",
    "sso_callback",
}
# Sample values for URL parameters that are not object ids (by parameter name, then by converter).
SAMPLE_BY_NAME = {"url": "no-such-page/", "content_type_id": "1", "object_id": "1"}
SAMPLE_BY_CONVERTER = {
    "int": "999999",
    "slug": "sample",
    "str": "sample",
    "path": "sample/1",
    "uuid": str(uuid.UUID(int=7)),
}
MISSING_ID = "987654321"
PROJECT_APPS = ("companies", "history", "objectives", "initiatives", "budgets", "crm", "sla", "reporting", "review")
COMPANY_SLUG = "company_slug"

ROUTE_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>\w+)>")
REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?P<body>(?:[^()]|\([^()]*\))*)\)")
# Regex groups that match an object id (DRF routers write "[^/.]+" for a pk, hand-written routes "[0-9]+" or "\d+").
ID_GROUP_BODIES = {"[^/.]+", "[^/]+", "[0-9]+", r"\d+"}


@dataclass
class Route:
    parts: list  # the RoutePattern/RegexPattern of each level, outermost first
    view_name: str
    callback: object
    params: dict[str, str] = field(default_factory=dict)  # parameter name -> converter ("regex" for regex groups)

    @property
    def label(self) -> str:
        return "".join(str(part) for part in self.parts) or "/"

    @property
    def is_api(self) -> bool:
        return self.label.startswith("api/")

    @property
    def is_admin(self) -> bool:
        return self.view_name.startswith("admin:")

    def path(self, values: dict[str, str]) -> str:
        out = ""
        for part in self.parts:
            if isinstance(part, RoutePattern):
                out += ROUTE_PARAM.sub(lambda m: values[m["name"]], str(part))
            else:
                text = REGEX_GROUP.sub(lambda m: values[m["name"]], str(part)).lstrip("^").rstrip("$")
                out += re.sub(r"\\(.)", r"\1", text)
        return "/" + out


def _routes(resolver: URLResolver | None = None, parts=(), namespace="") -> list[Route]:
    resolver = resolver or get_resolver()
    found = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found += _routes(entry, (*parts, entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            all_parts = [*parts, entry.pattern]
            params: dict[str, str] = {}
            for part in all_parts:
                if isinstance(part, RoutePattern):
                    params.update({m["name"]: m["converter"] or "str" for m in ROUTE_PARAM.finditer(str(part))})
                elif isinstance(part, RegexPattern):
                    params.update(
                        {
                            m["name"]: "int" if m["body"] in ID_GROUP_BODIES else "regex"
                            for m in REGEX_GROUP.finditer(str(part))
                        }
                    )
            name = f"{namespace}{entry.name}" if entry.name else f"{namespace}<{''.join(map(str, all_parts))}>"
            found.append(Route(all_parts, name, entry.callback, params))
    return found


ROUTES = _routes()
COMPANY_ROUTES = [route for route in ROUTES if COMPANY_SLUG in route.params]


def _regex_sample(route: Route, name: str) -> str:
    if name in SAMPLE_BY_NAME:
        return SAMPLE_BY_NAME[name]
    for part in route.parts:
        for match in REGEX_GROUP.finditer(str(part)):
            if match["name"] == name:
                body = match["body"]
                if re.fullmatch(r"[\w|-]+", body):
                    return body.split("|")[0]
                if body in {".*", ".+"}:
                    return "sample"
    raise LookupError(f"no sample for regex parameter {name!r} in {route.label}")


def _samples(route: Route) -> dict[str, str]:
    values = {}
    for name, converter in route.params.items():
        if name in SAMPLE_BY_NAME and converter != "int":
            values[name] = SAMPLE_BY_NAME[name]
        elif converter == "regex":
            values[name] = _regex_sample(route, name)
        else:
            values[name] = SAMPLE_BY_CONVERTER.get(converter, "sample")
    return values


# --- object ids: which model a URL parameter names, and a factory that makes one for a given company -------------


def _view_model(route: Route):
    view = getattr(route.callback, "view_class", None) or getattr(route.callback, "cls", None)
    for source in (getattr(view, "queryset", None), getattr(view, "model", None)):
        model = getattr(source, "model", source)
        if isinstance(model, type) and hasattr(model, "_meta"):
            return model
    serializer = getattr(view, "serializer_class", None)
    return getattr(getattr(serializer, "Meta", None), "model", None)


def model_for_param(route: Route, name: str):
    """``objective_id``/``objective_pk``/``objective`` -> Objective, ``key_result_id`` -> KeyResult; ``pk``/``id``
    -> the model of the (DRF or generic) view. None when unknown."""
    if name in {"pk", "id"}:
        return _view_model(route)
    base = re.sub(r"_(id|pk)$", "", name).replace("_", "")
    for model in apps.get_models():
        if model._meta.app_label in PROJECT_APPS and model._meta.model_name == base:
            return model
    return None


def _factories() -> dict[type, type]:
    found: dict[type, type] = {}
    # The shared factories (tests/factories*.py) and each app's own (tests/<app>/factories.py).
    root = Path(__file__).parent
    for path in sorted(root.glob("factories*.py")) + sorted(root.glob("*/factories.py")):
        module = importlib.import_module(".".join(("tests", *path.relative_to(root).with_suffix("").parts)))
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, factory.django.DjangoModelFactory):
                model = value._meta.model
                if model is not None and value._meta.model is not None:
                    found.setdefault(model, value)
    return found


def _has_company(model) -> bool:
    return any(f.name == "company" for f in model._meta.get_fields())


def _company_kwargs(factory_class, company, prefix="") -> dict:
    """company=... for the object and every sub-object a factory creates, so the whole tree is in one company."""
    kwargs = {f"{prefix}company": company} if _has_company(factory_class._meta.model) else {}
    for name, declaration in factory_class._meta.declarations.items():
        if isinstance(declaration, factory.SubFactory):
            sub = declaration.get_factory()
            if sub._meta.model is not None and _has_company(sub._meta.model):
                kwargs.update(_company_kwargs(sub, company, f"{prefix}{name}__"))
    return kwargs


def make_object(model, company):
    factory_class = _factories().get(model)
    if factory_class is None or not _has_company(model):
        return None
    obj = factory_class(**_company_kwargs(factory_class, company))
    assert obj.company_id == company.pk, f"{factory_class.__name__} did not put the object into {company}"
    return obj


def object_values(route: Route, company) -> tuple[dict[str, str], list]:
    """Parameter values naming real objects of ``company`` (where a model and factory are known)."""
    values, objects = {}, []
    for name, converter in route.params.items():
        if name == COMPANY_SLUG or converter not in {"int", "str", "path", "uuid", "slug"}:
            continue
        model = model_for_param(route, name)
        obj = make_object(model, company) if model is not None else None
        if obj is not None:
            values[name] = str(obj.pk)
            objects.append(obj)
    return values, objects


# --- the tests ---------------------------------------------------------------------------------------------------


def test_the_generator_sees_the_routes_it_must_cover():
    names = {route.view_name for route in ROUTES}
    assert {"home", "company_home", "api-company", "api-members", "api-docs", "healthz", "admin:index"} <= names
    assert {"company_home", "api-company", "api-members"} <= {route.view_name for route in COMPANY_ROUTES}
    assert names >= ANONYMOUS_ALLOWED, "an allow-listed route no longer exists: remove it from the list"


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.label)
def test_every_route_can_be_generated(route):
    path = route.path({**_samples(route), COMPANY_SLUG: "acme"})
    match = resolve(path.split("?")[0])
    assert match.func == route.callback, f"{path} resolves to {match.view_name}, not {route.view_name}"


def _login_redirect(response, login_url: str) -> bool:
    return response.status_code == 302 and response["Location"].startswith(login_url)


@pytest.mark.django_db
@pytest.mark.parametrize("route", [r for r in ROUTES if r.view_name not in ANONYMOUS_ALLOWED], ids=lambda r: r.label)
def test_anonymous_visitors_must_sign_in(route, company):
    values = {**_samples(route), COMPANY_SLUG: company.slug, **object_values(route, company)[0]}
    path = route.path(values)
    login_url = "/admin/login/" if route.is_admin else resolve_url(settings.LOGIN_URL)
    refused = []
    for method in ("get", "post"):
        response = getattr(Client(), method)(path)
        if (route.is_api and response.status_code in {401, 403}) or _login_redirect(response, login_url):
            refused.append(method)
        else:
            assert response.status_code == 405, f"anonymous {method.upper()} {path}: {response.status_code}"
            assert company.name not in response.content.decode()
    assert refused, f"{path} neither asks for a sign-in nor refuses anonymous visitors"


def _client_for_role(company, role):
    from tests.factories import MembershipFactory, UserFactory

    user = UserFactory()
    MembershipFactory(user=user, company=company, role=role)
    client = Client()
    client.force_login(user)
    return client


def _methods(route: Route) -> tuple[str, ...]:
    return ("get", "post", "put", "patch", "delete") if route.is_api else ("get", "post")


def _request(client, method, path, route):
    if route.is_api and method != "get":
        return getattr(client, method)(path, data="{}", content_type="application/json")
    return getattr(client, method)(path)


@pytest.mark.django_db
@pytest.mark.parametrize("route", COMPANY_ROUTES, ids=lambda r: r.label)
def test_another_companys_url_is_404_for_every_role(route):
    company_a = CompanyFactory(name="Alpha Planung GmbH", slug="alpha")
    company_b = CompanyFactory(name="Zeta Geheim AG", slug="zeta")
    b_values, b_objects = object_values(route, company_b)
    samples = _samples(route)
    for role in Role:
        client = _client_for_role(company_a, role)
        seen_404 = False
        for method in _methods(route):
            foreign = _request(client, method, route.path({**samples, **b_values, COMPANY_SLUG: "zeta"}), route)
            missing = _request(client, method, route.path({**samples, **b_values, COMPANY_SLUG: "no-such"}), route)
            where = f"{role} {method.upper()} {route.label}"
            assert foreign.status_code in {404, 405}, f"{where}: {foreign.status_code}"
            assert foreign.status_code == missing.status_code, f"{where}: differs from a non-existent company"
            body = foreign.content.decode(errors="replace")
            assert "Zeta Geheim" not in body, where
            for obj in b_objects:
                assert str(obj) not in body, where
            seen_404 |= foreign.status_code == 404
        assert seen_404, f"{route.label}: no method answered 404"


OBJECT_ROUTES = [
    route
    for route in COMPANY_ROUTES
    if any(name != COMPANY_SLUG and model_for_param(route, name) is not None for name in route.params)
]


@pytest.mark.django_db
@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=lambda r: r.label)
def test_another_companys_object_in_your_companys_url_is_like_a_missing_one(route):
    company_a = CompanyFactory(name="Alpha Planung GmbH", slug="alpha")
    company_b = CompanyFactory(name="Zeta Geheim AG", slug="zeta")
    b_values, b_objects = object_values(route, company_b)
    if not b_objects:
        pytest.skip(f"no factory in tests/factories*.py makes the objects of {route.label}")
    samples = _samples(route)
    missing_values = dict.fromkeys(b_values, MISSING_ID)
    for role in Role:
        client = _client_for_role(company_a, role)
        for method in _methods(route):
            where = f"{role} {method.upper()} {route.label}"
            foreign = _request(client, method, route.path({**samples, **b_values, COMPANY_SLUG: "alpha"}), route)
            missing = _request(client, method, route.path({**samples, **missing_values, COMPANY_SLUG: "alpha"}), route)
            assert foreign.status_code >= 400, f"{where}: {foreign.status_code} for company B's object"
            assert foreign.status_code == missing.status_code, f"{where}: differs from a non-existent object"
            body = foreign.content.decode(errors="replace")
            for obj in b_objects:
                assert str(obj) not in body, where
    for obj in b_objects:
        assert type(obj).objects.filter(pk=obj.pk).exists(), f"{obj!r} was deleted through company A's URL"


def test_object_parameters_are_recognised():
    """The model inference behind the object test (which has no routes to run on until features land)."""
    from objectives.models import KeyResult, Objective

    route = Route([RoutePattern("c/<slug:company_slug>/kr/<int:key_result_id>/o/<int:objective_pk>/")], "x", None)
    assert model_for_param(route, "key_result_id") is KeyResult
    assert model_for_param(route, "objective_pk") is Objective
    assert model_for_param(route, "nonsense_id") is None


@pytest.mark.django_db
def test_objects_are_made_entirely_inside_the_requested_company():
    from objectives.models import KeyResult

    company_b = CompanyFactory(slug="zeta")
    key_result = make_object(KeyResult, company_b)
    assert key_result.company == company_b
    assert key_result.objective.company == company_b
    assert key_result.objective.cycle.company == company_b


# --- the permission table holds for every API route ---------------------------------------------------------------

API_METHODS = ("get", "post", "put", "patch", "delete")


def _api_view(route: Route):
    view = getattr(route.callback, "cls", None)
    return view if getattr(view, "required_actions", None) is not None else None


def api_required_action(route: Route, method: str):
    """The action CompanyPermission checks for ``method`` on this route (companies/api.py), None when none."""
    view = _api_view(route)
    key = (getattr(route.callback, "actions", None) or {}).get(method) or method
    actions = view.required_actions
    return actions.get(key, actions.get("*", Action.COMPANY_VIEW))


def _api_methods(route: Route) -> list[str]:
    mapped = getattr(route.callback, "actions", None)
    if mapped:
        return [m for m in API_METHODS if m in mapped]
    view = _api_view(route)
    return [m for m in API_METHODS if hasattr(view, m)]


SCOPED_API_ROUTES = [route for route in COMPANY_ROUTES if route.is_api and _api_view(route) is not None]


def _row_counts() -> dict[str, int]:
    """Rows per model; History's records of memberships are left out (the test adds members of its own)."""
    counts = {}
    for model in apps.get_models():
        if model._meta.app_label in PROJECT_APPS:
            rows = model._default_manager.all()
            if model._meta.label == "history.ChangeRecord":
                rows = rows.exclude(content_type__model="membership")
            counts[model._meta.label] = rows.count()
    return counts


@pytest.mark.django_db
@pytest.mark.parametrize("route", SCOPED_API_ROUTES, ids=lambda r: r.label)
def test_api_refuses_every_role_the_permission_table_does_not_allow(route):
    company = CompanyFactory(name="Alpha Planung GmbH", slug="alpha")
    values, _objects = object_values(route, company)
    path = route.path({**_samples(route), **values, COMPANY_SLUG: company.slug})
    before = _row_counts()
    checked = 0
    for role in Role:
        client = _client_for_role(company, role)
        for method in _api_methods(route):
            action = api_required_action(route, method)
            if action is None or can(role, action):
                continue
            response = _request(client, method, path, route)
            # An outsider (a partner) is not told that the page exists: 404, as for another company.
            expected = 404 if role in OUTSIDER_ROLES else 403
            assert response.status_code == expected, f"{role} {method.upper()} {route.label} needs {action}"
            checked += 1
    after = _row_counts()
    assert after == {**before, "companies.Membership": after["companies.Membership"]}, "a refused request wrote"
    if route.view_name == "api-members":
        assert checked == 1, "everyone but a partner sees who is who"
    if route.view_name == "api-invitations":
        assert checked == 4, "neither the plain member nor a partner may list or send invitations"


def test_the_api_permission_generator_reads_required_actions():
    members = next(route for route in SCOPED_API_ROUTES if route.view_name == "api-members")
    assert _api_methods(members) == ["get"]
    assert api_required_action(members, "get") == Action.MEMBERS_VIEW


# --- a partner sees nothing of their company beyond their initiatives ----------------------------------------------
#
# For every company route: a partner of company A, assigned to one initiative, asks for A's URL with A's own objects
# (made by the factories, not assigned to them). Only the partner's own area and the company overview answer; any
# page, endpoint or object beyond that is a 404 (405 for a method the route has not), exactly as for another
# company, and no answer carries the titles of what they are not assigned to.

PARTNER_OPEN_ROUTES = {
    "company_switch",  # redirects to the same section, which is checked on its own
    "company_home",
    "api-company",
    "budgets:partner_home",
    "api-partner-initiatives",
}
PARTNER_SECRETS = ("Geheimes Ziel", "Geheimes Schlüsselergebnis", "Geheime Initiative", "Geheime Zeile", "Greta")


def _partner_world(company):
    from tests.factories import KeyResultFactory, MembershipFactory, UserFactory
    from tests.factories_budgets import BudgetLineFactory
    from tests.initiatives.factories import InitiativeFactory, InitiativePartnerFactory

    own_kr = KeyResultFactory(company=company, objective__company=company, objective__cycle__company=company)
    own = InitiativeFactory(cycle=own_kr.objective.cycle, title="Partnerkampagne", key_results=[own_kr])
    secret_kr = KeyResultFactory(
        objective__company=company,
        objective__cycle=own.cycle,
        objective__title="Geheimes Ziel",
        company=company,
        title="Geheimes Schlüsselergebnis",
    )
    secret = InitiativeFactory(cycle=own.cycle, title="Geheime Initiative", key_results=[secret_kr])
    BudgetLineFactory(company=company, cycle=own.cycle, initiative=secret, title="Geheime Zeile")
    MembershipFactory(company=company, user=UserFactory(first_name="Greta", last_name="Vertraulich"))
    partner = UserFactory()
    membership = MembershipFactory(user=partner, company=company, role=Role.PARTNER, partner_sees_budget=True)
    InitiativePartnerFactory(initiative=own, membership=membership)
    client = Client()
    client.force_login(partner)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("route", COMPANY_ROUTES, ids=lambda r: r.label)
def test_a_partner_reaches_nothing_of_the_company_beyond_their_initiatives(route):
    company = CompanyFactory(name="Alpha Planung GmbH", slug="alpha")
    client = _partner_world(company)
    values, objects = object_values(route, company)
    path = route.path({**_samples(route), **values, COMPANY_SLUG: company.slug})
    answered = []
    for method in _methods(route):
        response = _request(client, method, path, route)
        where = f"partner {method.upper()} {route.label}"
        if route.view_name in PARTNER_OPEN_ROUTES and not objects:
            assert response.status_code < 500, where
        else:
            assert response.status_code in {404, 405}, f"{where}: {response.status_code}"
        body = response.content.decode(errors="replace")
        for secret in PARTNER_SECRETS:
            assert secret not in body, f"{where} shows {secret!r}"
        for obj in objects:
            assert str(obj) not in body, where
        answered.append(response.status_code)
    assert 404 in answered or route.view_name in PARTNER_OPEN_ROUTES, f"{route.label}: no method answered 404"
