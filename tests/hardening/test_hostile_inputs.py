"""Issue 12, "make the class testable": hostile values sent to every query parameter and body field of every
OpenAPI operation and to every field of every form the pages render. No answer may be a 5xx, and an answer of 4xx
must leave every row count of the app tables unchanged.

- API: the operations come from drf-spectacular's SchemaGenerator (the schema /api/schema/ serves, as in
  test_schemathesis.py); path parameters are pinned to objects of a seeded company; body fields are those of the
  request schema (for operations that document none, the writable fields of their response).
- Pages: every route under /c/<company>/ is fetched as a CMO and as an executive (the roles that together see every
  form); every <form> in the HTML is submitted once per field and value, the other fields keeping what the page
  filled in, as a browser would send them.

Every request runs in a savepoint that is rolled back, so each one meets the same seeded company. Bounded in time:
one request per field and value, shared forms (the language switch on every page) once.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from html.parser import HTMLParser
from urllib.parse import quote_from_bytes, urlsplit

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from budgets import services as budget_services
from companies.models import Invitation, Membership, Team
from companies.permissions import Role
from crm.models import ColumnMapping, CrmImport
from initiatives.models import InitiativePartner
from reporting.models import KpiRefresh
from tests.factories import (
    CompanyFactory,
    CycleFactory,
    KeyResultFactory,
    MembershipFactory,
    ObjectiveFactory,
    UserFactory,
)
from tests.factories_budgets import BudgetLineFactory, ChannelFactory, SpendEntryFactory
from tests.factories_crm import LeadFactory, OpportunityFactory, TouchpointFactory
from tests.factories_reporting import KpiBindingFactory
from tests.factories_review import KpiAlertFactory, ReviewActionFactory
from tests.hardening.rowcounts import app_tables, row_counts
from tests.initiatives.factories import InitiativeFactory
from tests.test_security_urls import COMPANY_ROUTES

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quiet_client_errors")]

SLUG = "hostile"
DEPTH = 10_000
DEEP = object()  # stands for JSON nested DEPTH levels deep (written out by hand: json.dumps would recurse)
HOSTILE = {
    "NUL": "a\x00b",
    "lone surrogate": "\ud800",
    "superscript two": "²",
    "Arabic-Indic digits": "١٢",
    "JSON 10,000 deep": DEEP,
    "date 0001-01-01": "0001-01-01",
    "date 9999-12-31": "9999-12-31",
    "10 MB string": "x" * (10 * 1024 * 1024),
}


# ------------------------------------------------------------------------------------------------ the world


@pytest.fixture
def world(db):
    company = CompanyFactory(name="Hostile GmbH", slug=SLUG)
    users = {}
    for role in (Role.CMO, Role.EXECUTIVE, Role.FACILITATOR, Role.MEMBER, Role.PARTNER):
        users[role] = UserFactory(username=f"hostile-{role}")
        MembershipFactory(user=users[role], company=company, role=role, partner_sees_budget=role == Role.PARTNER)
    cycle = CycleFactory(company=company, name="FY 2026")
    objective = ObjectiveFactory(cycle=cycle, owner=users[Role.CMO])
    key_result = KeyResultFactory(objective=objective, owner=users[Role.CMO])
    initiative = InitiativeFactory(cycle=cycle, key_results=[key_result])
    InitiativePartner.objects.create(
        company=company, initiative=initiative, membership=Membership.objects.get(user=users[Role.PARTNER])
    )
    channel = ChannelFactory(company=company)
    line = BudgetLineFactory(company=company, cycle=cycle, channel=channel, key_result=key_result,
                             requester=users[Role.MEMBER], state="submitted")  # fmt: skip
    approved = BudgetLineFactory(company=company, cycle=cycle, channel=channel, key_result=key_result,
                                 requester=users[Role.MEMBER], state="submitted", title="Approved")  # fmt: skip
    approved = budget_services.budget_line_approve(line=approved, actor=users[Role.CMO])
    SpendEntryFactory(line=approved)
    lead = LeadFactory(company=company)
    TouchpointFactory(lead=lead)
    OpportunityFactory(company=company, lead=lead)
    mapping = ColumnMapping.objects.create(company=company, kind="leads", name="Hostile", columns={})
    crm_import = CrmImport.objects.create(
        company=company,
        kind="leads",
        source="hubspot",
        status="done",
        original_name="leads.csv",
        finished_at=timezone.now(),
    )
    binding = KpiBindingFactory(key_result=key_result)
    refresh = KpiRefresh.objects.create(company=company)
    alert = KpiAlertFactory(company=company)
    action = ReviewActionFactory(company=company, owner=users[Role.MEMBER], key_result=key_result)
    invitation = Invitation.objects.create(
        company=company,
        email="invited@hostile.example",
        nonce="n",
        sent_at=timezone.now(),
        expires_at=timezone.now() + dt.timedelta(days=7),
    )
    team = Team.objects.create(company=company, name="Hostile team")
    ids = {
        "team_id": team.pk,
        "membership_id": Membership.objects.get(user=users[Role.MEMBER]).pk,
        "invitation_id": invitation.pk,
        "objective_id": objective.pk,
        "key_result_id": key_result.pk,
        "cycle_id": cycle.pk,
        "initiative_id": initiative.pk,
        "refresh_id": refresh.pk,
        "kpi_alert_id": alert.pk,
        "review_action_id": action.pk,
        "budgets/lines/": line.pk,
        "priorities/": initiative.pk,
        "board/import/mappings/": mapping.pk,
        "board/import/": crm_import.pk,
        "board/settings/bindings/": binding.pk,
        "budget-lines": line.pk,
        "cycles": cycle.pk,
        "initiatives": initiative.pk,
        "key-results": key_result.pk,
        "objectives": objective.pk,
    }
    return {"company": company, "users": users, "ids": ids}


class Outcomes:
    """Every request's outcome; failures are collected so one run shows them all."""

    def __init__(self):
        self.tables = app_tables()
        self.failures: list[str] = []
        self.sent = 0

    def send(self, label: str, request, *args, **kwargs) -> None:
        self.sent += 1
        with transaction.atomic():
            before = row_counts(self.tables)
            response = request(*args, **kwargs)
            status = response.status_code
            if status >= 500:
                self.failures.append(f"{label}: {status}")
            elif 400 <= status < 500:
                after = row_counts(self.tables)
                changed = [t for t, b, a in zip(self.tables, before, after, strict=True) if a != b]
                if changed:
                    self.failures.append(f"{label}: {status} but wrote to {', '.join(changed)}")
            transaction.set_rollback(True)
        # urllib.parse.urlsplit keeps its last 128 answers (an lru_cache since Python 3.11): 128 URLs of 10 MB each,
        # and their parts, would stay in memory for the whole run.
        getattr(urlsplit, "cache_clear", lambda: None)()


def _encode(value: str) -> str:
    """Percent-encoded as a client would send it (a lone surrogate as its WTF-8 bytes)."""
    return quote_from_bytes(value.encode("utf-8", "surrogatepass"), safe="")


def _text(value) -> str:
    return "[" * DEPTH + "]" * DEPTH if value is DEEP else value


# Encoded once: the 10 MB value is sent a few hundred times.
ENCODED = {label: _encode(_text(value)) for label, value in HOSTILE.items()}
AS_JSON = {label: _text(value) if value is DEEP else json.dumps(value) for label, value in HOSTILE.items()}


def _urlencoded(data: dict[str, str], hostile: tuple[str, str]) -> str:
    """The form's own values, and the hostile one (name, label) in place of its field."""
    name, label = hostile
    pairs = [f"{_encode(k)}={_encode(v)}" for k, v in data.items() if k != name]
    return "&".join([*pairs, f"{_encode(name)}={ENCODED[label]}"])


def _json_body(name: str, label: str, *, many: bool) -> str:
    """``{name: value}`` (in a list for bulk endpoints); json.dumps writes NUL and surrogates as \\u escapes."""
    document = "{" + json.dumps(name) + ": " + AS_JSON[label] + "}"
    return f"[{document}]" if many else document


# --------------------------------------------------------------------------------------------------------- API

SCHEMA = SchemaGenerator().get_schema(request=None, public=True)
METHODS = ("get", "post", "put", "patch", "delete")


def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = SCHEMA["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _body_fields(operation: dict) -> tuple[list[str], bool]:
    """The writable body fields of an operation and whether the body is a list of records."""
    content = operation.get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema")
    if schema is None:  # undocumented body: the writable fields of the answer
        responses = operation.get("responses", {})
        answer = next((r for code, r in responses.items() if code.startswith("2")), {})
        schema = answer.get("content", {}).get("application/json", {}).get("schema")
        if schema is None:
            return [], False
    schema = _resolve(schema)
    many = schema.get("type") == "array"
    if many:
        schema = _resolve(schema["items"])
    if "results" in schema.get("properties", {}):  # a paginated answer
        schema = _resolve(schema["properties"]["results"]["items"])
    fields = [name for name, spec in schema.get("properties", {}).items() if not _resolve(spec).get("readOnly")]
    return fields, many


def api_operations() -> list[dict]:
    operations = []
    for path, methods in SCHEMA["paths"].items():
        if "{company_slug}" not in path:
            continue
        for method in METHODS:
            operation = methods.get(method)
            if operation is None:
                continue
            query = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
            body, many = _body_fields(operation) if method in ("post", "put", "patch") else ([], False)
            operations.append({"path": path, "method": method, "query": query, "body": body, "many": many})
    return operations


def _api_path(path: str, ids: dict) -> str:
    segment = path.split("{company_slug}/", 1)[-1].split("/", 1)[0]
    return (
        path.replace("{company_slug}", SLUG)
        .replace("{id}", str(ids.get(segment, 1)))
        .replace("{refresh_id}", str(ids["refresh_id"]))
        .replace("{membership_id}", str(ids["membership_id"]))
        .replace("{team_id}", str(ids["team_id"]))
        .replace("{invitation_id}", str(ids["invitation_id"]))
        .replace("{kpi_alert_id}", str(ids["kpi_alert_id"]))
        .replace("{review_action_id}", str(ids["review_action_id"]))
        .replace("{key}", "marketing_sourced_pipeline")
    )


def test_every_api_operation_answers_hostile_values_without_5xx_or_writes(world):
    outcomes = Outcomes()
    clients = {}
    for role in (Role.CMO, Role.EXECUTIVE):
        clients[role] = APIClient()
        clients[role].force_authenticate(world["users"][role])
        clients[role].raise_request_exception = False
    covered = 0
    for operation in api_operations():
        path = _api_path(operation["path"], world["ids"])
        client = clients[Role.EXECUTIVE if "/history/" in path else Role.CMO]
        send = getattr(client, operation["method"])
        for name in operation["query"]:
            covered += 1
            for label in HOSTILE:
                url = f"{path}?{_encode(name)}={ENCODED[label]}"
                outcomes.send(f"{operation['method'].upper()} {url[:120]} ({name}={label})", send, url)
        for name in operation["body"]:
            covered += 1
            for label in HOSTILE:
                body = _json_body(name, label, many=operation["many"])
                what = f"{operation['method'].upper()} {path} (body {name}={label})"
                outcomes.send(what, send, path, body, content_type="application/json")
        if operation["method"] in ("post", "put", "patch"):
            whole = "[" * DEPTH + "]" * DEPTH
            what = f"{operation['method'].upper()} {path} (body nested {DEPTH} deep)"
            outcomes.send(what, send, path, whole, content_type="application/json")
    print(f"\nAPI: {covered} parameters/fields of {len(api_operations())} operations × {len(HOSTILE)} values "
          f"(+ a body nested {DEPTH} deep per write), {outcomes.sent} requests")  # fmt: skip
    assert outcomes.sent > 1000
    assert not outcomes.failures, "\n".join(outcomes.failures)


# ------------------------------------------------------------------------------------------------------- pages


class FormParser(HTMLParser):
    """The forms of a page: method, target, htmx or not, and the fields with the values a browser would send."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            target = a.get("hx-post") or a.get("hx-get") or a.get("action", "")
            method = "post" if a.get("hx-post") else "get" if a.get("hx-get") else a.get("method", "get").lower()
            htmx = any(k.startswith("hx-") for k in a)
            self._form = {"method": method, "action": target, "htmx": htmx, "fields": {}}
            self.forms.append(self._form)
        elif self._form is None or not a.get("name"):
            return
        elif tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset"):
                self._form["fields"].setdefault(a["name"], a.get("value", ""))
            elif kind in ("checkbox", "radio"):
                if "checked" in a or a["name"] not in self._form["fields"]:
                    self._form["fields"][a["name"]] = a.get("value", "on")
            else:
                self._form["fields"][a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select = a["name"]
            self._form["fields"].setdefault(a["name"], "")
        elif tag == "option" and self._select and ("selected" in a or not self._form["fields"][self._select]):
            self._form["fields"][self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a["name"]
            self._form["fields"][a["name"]] = ""

    def handle_data(self, data):
        if self._form is not None and self._textarea:
            self._form["fields"][self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _page_path(route, ids: dict) -> str:
    values = {"company_slug": SLUG, "fmt": "csv", "transition": "activate", "kind": "hubspot"}
    for name in route.params:
        if name in ids:
            values[name] = str(ids[name])
    if "pk" in route.params:
        label = route.label.split("<slug:company_slug>/", 1)[-1]
        prefix = max((p for p in ids if "/" in p and label.startswith(p)), key=len)
        values["pk"] = str(ids[prefix])
    return route.path(values)


def discover_forms(world) -> tuple[dict, int]:
    """Every distinct form of every company page, with a client of a role that sees it."""
    forms: dict = {}
    pages = 0
    for role in (Role.CMO, Role.EXECUTIVE, Role.PARTNER):
        client = Client()
        client.force_login(world["users"][role])
        for route in COMPANY_ROUTES:
            if route.is_api or route.view_name == "company_switch":
                continue
            path = _page_path(route, world["ids"])
            response = client.get(path)
            if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
                continue
            pages += 1
            parser = FormParser()
            parser.feed(response.content.decode())
            for form in parser.forms:
                action = form["action"] or path
                fields = {k: v for k, v in form["fields"].items() if k != "csrfmiddlewaretoken"}
                key = (form["method"], urlsplit(action).path, tuple(sorted(fields)))
                forms.setdefault(key, {**form, "action": action, "fields": fields, "client": client, "page": path})
    return forms, pages


def test_every_form_answers_hostile_values_without_5xx_or_writes(world):
    forms, pages = discover_forms(world)
    assert len(forms) > 30, sorted(forms)
    outcomes = Outcomes()
    covered = defaultdict(int)
    for (method, action_path, _names), form in sorted(forms.items(), key=lambda item: item[0]):
        client = form["client"]
        client.raise_request_exception = False
        headers = {"HTTP_HX_REQUEST": "true"} if form["htmx"] else {}
        for name in form["fields"]:
            covered[(method, action_path)] += 1
            for label in HOSTILE:
                body = _urlencoded(form["fields"], (name, label))
                what = f"{method.upper()} {action_path} from {form['page']} ({name}={label})"
                if method == "get":
                    url = f"{action_path}?{body}"
                    outcomes.send(what, client.get, url, **headers)
                else:
                    kind = "application/x-www-form-urlencoded"
                    outcomes.send(what, client.post, form["action"], body, content_type=kind, **headers)
    print(f"\nPages: {pages} pages, {len(forms)} forms, {sum(covered.values())} fields × {len(HOSTILE)} values, "
          f"{outcomes.sent} requests")  # fmt: skip
    assert not outcomes.failures, "\n".join(outcomes.failures)
