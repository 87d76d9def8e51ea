"""The far end of the CRM connectors, local: a real HTTPS server in a thread that implements the documented endpoints
the connectors call, so the connectors' code (hubspot-api-client, simple-salesforce, requests) runs unchanged.

HubSpot CRM v3/v4 (https://developers.hubspot.com/docs/api/crm/search):
  POST /crm/v3/objects/{contacts|deals}/search   filterGroups (GTE/GT on the modified property), sorts, properties,
                                                 limit, after → results + paging.next.after; 400 past 10,000
  POST /crm/v4/associations/deals/contacts/batch/read   inputs [{id}] → results [{from, to: [{toObjectId}]}]
  GET  /crm/v3/objects/{contacts|deals}?archived=true&limit&after   archived records (archivedAt), paged by id
  Bearer token auth: 401 EXPIRED_AUTHENTICATION for an unknown or expired token.
Salesforce REST (https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/):
  POST /services/oauth2/token                     grant_type refresh_token | password | client_credentials
  GET  /services/data/vNN.N/query/?q=SOQL         a small SOQL subset: SELECT fields FROM obj [WHERE SystemModstamp
                                                  >= literal [AND Field != null]] ORDER BY SystemModstamp, Id
  GET  /services/data/vNN.N/query/<locator>       the next page (nextRecordsUrl)
  GET  /services/data/vNN.N/sobjects/<obj>/describe/   the fields the org has
  GET  /services/data/vNN.N/sobjects/<obj>/deleted/?start&end   deletedRecords [{id, deletedDate}] in the window,
                                                  latestDateCovered; 400 INVALID_REPLICATION_DATE before 30 days ago
  401 INVALID_SESSION_ID for an unknown session; 403 REQUEST_LIMIT_EXCEEDED when the daily limit is spent.

Faults are queued per route: ``farend.fail("hubspot-search", 429, retry_after=1)`` answers the next matching request
with that status (once), then the route behaves again. Every request is logged (``farend.requests``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import trustme

SEARCH_LIMIT = 10_000
HUBSPOT_MODIFIED = {"contacts": "lastmodifieddate", "deals": "hs_lastmodifieddate"}


@dataclass
class Fault:
    status: int
    retry_after: float | None = None
    body: object = None


@dataclass
class Logged:
    route: str
    method: str
    path: str
    at: float
    body: object = None
    status: int = 200


def hs_time(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def sf_time(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def _parse_time(text: str) -> dt.datetime:
    text = text.strip().strip("'")
    if text.isdigit():
        return dt.datetime.fromtimestamp(int(text) / 1000, dt.UTC)
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("+0000", "+00:00"))


@dataclass
class FarEnd:
    """State of both CRMs. Records are plain dicts as the CRM would store them; tests add and change them."""

    url: str = ""
    ca_path: str = ""
    hubspot_tokens: set[str] = field(default_factory=set)
    hubspot: dict[str, dict[str, dict]] = field(default_factory=lambda: {"contacts": {}, "deals": {}})
    hubspot_archived: dict[str, dict[str, dt.datetime]] = field(default_factory=lambda: {"contacts": {}, "deals": {}})
    deal_contacts: dict[str, list[str]] = field(default_factory=dict)
    sf_refresh_tokens: set[str] = field(default_factory=set)
    sf_clients: dict[str, str] = field(default_factory=dict)  # consumer key → secret (client-credentials grant)
    sf_sessions: set[str] = field(default_factory=set)
    salesforce: dict[str, dict[str, dict]] = field(
        default_factory=lambda: {"Lead": {}, "Opportunity": {}, "CampaignMember": {}}
    )
    sf_fields: dict[str, set[str]] = field(default_factory=dict)
    salesforce_deleted: dict[str, dict[str, dt.datetime]] = field(
        default_factory=lambda: {"Lead": {}, "Opportunity": {}, "CampaignMember": {}}
    )
    page_size: int = 100
    sf_daily_remaining: int | None = None
    sf_api_used: int | None = None  # what Sforce-Limit-Info reports as used today (default: the requests so far)
    sf_api_limit: int = 15000
    faults: dict[str, list[Fault]] = field(default_factory=dict)
    requests: list[Logged] = field(default_factory=list)
    _locators: dict[str, list[dict]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -------------------------------------------------------------------------------------------- test helpers

    def fail(self, route: str, status: int, *, retry_after: float | None = None, body=None, times: int = 1) -> None:
        """Answer the next ``times`` requests of ``route`` with ``status``."""
        self.faults.setdefault(route, []).extend(Fault(status, retry_after, body) for _ in range(times))

    def hits(self, route: str) -> list[Logged]:
        return [logged for logged in self.requests if logged.route == route]

    def hubspot_put(self, kind: str, record_id: str, modified: dt.datetime, **properties) -> None:
        record = self.hubspot[kind].setdefault(record_id, {"id": record_id, "properties": {}})
        record["properties"].update({key: None if value is None else str(value) for key, value in properties.items()})
        record["properties"]["hs_object_id"] = record_id
        record["properties"][HUBSPOT_MODIFIED[kind]] = hs_time(modified)
        record["modified"] = modified

    def hubspot_archive(self, kind: str, record_id: str, at: dt.datetime) -> None:
        """Archive (HubSpot's delete) a record: gone from search, listed with ``archived=true``."""
        self.hubspot[kind].pop(record_id, None)
        self.hubspot_archived[kind][record_id] = at

    def hubspot_merge(self, primary: str, merged: list[str], at: dt.datetime) -> None:
        """Merge contacts into ``primary`` as HubSpot does: the others vanish from search (and are not archived), the
        primary lists their ids in ``hs_merged_object_ids`` and its modification time moves."""
        for record_id in merged:
            self.hubspot["contacts"].pop(record_id, None)
        record = self.hubspot["contacts"][primary]
        known = [i for i in (record["properties"].get("hs_merged_object_ids") or "").split(";") if i]
        self.hubspot_put("contacts", primary, at, hs_merged_object_ids=";".join([*known, *merged]))

    def salesforce_delete(self, sobject: str, record_id: str, at: dt.datetime) -> None:
        """Delete a record: gone from queries, listed by ``sobjects/<obj>/deleted/``."""
        self.salesforce[sobject].pop(record_id, None)
        self.salesforce_deleted[sobject][record_id] = at

    def salesforce_put(self, sobject: str, record_id: str, modified: dt.datetime, **values) -> None:
        record = self.salesforce[sobject].setdefault(record_id, {"Id": record_id})
        record.update(values)
        record["SystemModstamp"] = sf_time(modified)
        record["modified"] = modified

    def salesforce_session(self) -> str:
        token = "00D" + secrets.token_hex(12)
        self.sf_sessions.add(token)
        return token

    # -------------------------------------------------------------------------------------------- serving

    def fault_for(self, route: str) -> Fault | None:
        with self._lock:
            queue = self.faults.get(route)
            return queue.pop(0) if queue else None

    def handle(self, method: str, path: str, query: dict, headers, body) -> tuple[int, dict, object, str]:
        """(status, headers, JSON body, route name)."""
        if path.startswith("/crm/"):
            return self._hubspot(method, path, query, headers, body)
        if path.startswith("/services/"):
            return self._salesforce(method, path, query, headers, body)
        return 404, {}, {"message": "not found"}, "unknown"

    def _hubspot(self, method, path, query, headers, body):
        match = re.fullmatch(r"/crm/v3/objects/(contacts|deals)/search", path)
        listing = re.fullmatch(r"/crm/v3/objects/(contacts|deals)", path)
        route = "hubspot-search" if match else "hubspot-archived" if listing else "hubspot-associations"
        if not match and not listing and path != "/crm/v4/associations/deals/contacts/batch/read":
            return 404, {}, {"status": "error", "message": "Not found"}, "unknown"
        auth = headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.hubspot_tokens:
            body_401 = {
                "status": "error",
                "message": "Authentication credentials not found. This API supports OAuth 2.0 authentication and "
                "you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
                "category": "EXPIRED_AUTHENTICATION",
            }
            return 401, {}, body_401, route
        if fault := self.fault_for(route):
            return self._fault(fault, route)
        if listing:
            return (*self._hubspot_archived(listing.group(1), query), route)
        if not match:
            results = [
                {
                    "from": {"id": item["id"]},
                    "to": [
                        {"toObjectId": int(c), "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": 3}]}
                        for c in self.deal_contacts.get(item["id"], [])
                    ],
                }
                for item in body.get("inputs", [])
            ]
            return 200, {}, {"status": "COMPLETE", "results": results}, route
        kind = match.group(1)
        modified_name = HUBSPOT_MODIFIED[kind]
        rows = list(self.hubspot[kind].values())
        for group in body.get("filterGroups") or []:
            for condition in group.get("filters") or []:
                if condition["propertyName"] != modified_name:
                    return 400, {}, {"status": "error", "message": f"unsupported filter {condition}"}, route
                since = _parse_time(condition["value"])
                if condition["operator"] == "GTE":
                    rows = [r for r in rows if r["modified"] >= since]
                elif condition["operator"] == "GT":
                    rows = [r for r in rows if r["modified"] > since]
                else:
                    return 400, {}, {"status": "error", "message": "unsupported operator"}, route
        rows.sort(key=lambda r: (r["modified"], int(r["id"])))
        after = int(body.get("after") or 0)
        limit = min(int(body.get("limit") or 10), self.page_size, 200)
        if after + limit > SEARCH_LIMIT:
            return 400, {}, {"status": "error", "message": "VALIDATION_ERROR: 10000 results at most"}, route
        wanted = set(body.get("properties") or [])
        page = rows[after : after + limit]
        results = [
            {
                "id": r["id"],
                # Asked-for properties come back, null where the record has no value (as HubSpot answers).
                "properties": {k: r["properties"].get(k) for k in wanted | {"hs_object_id"}},
                "createdAt": r["properties"].get("createdate") or hs_time(r["modified"]),
                "updatedAt": hs_time(r["modified"]),
                "archived": False,
            }
            for r in page
        ]
        payload: dict = {"total": len(rows), "results": results}
        if after + limit < len(rows):
            payload["paging"] = {"next": {"after": str(after + limit)}}
        return 200, {}, payload, route

    def _hubspot_archived(self, kind: str, query: dict) -> tuple[int, dict, object]:
        if (query.get("archived") or ["false"])[0].lower() != "true":  # the client sends "True"
            return 400, {}, {"status": "error", "message": "only archived=true is served here"}
        rows = sorted(self.hubspot_archived[kind].items(), key=lambda item: int(item[0]))
        after = int((query.get("after") or ["0"])[0])
        limit = min(int((query.get("limit") or ["10"])[0]), self.page_size, 100)
        page = rows[after : after + limit]
        results = [
            {"id": record_id, "properties": {"hs_object_id": record_id}, "createdAt": hs_time(at),
             "updatedAt": hs_time(at), "archived": True, "archivedAt": hs_time(at)}
            for record_id, at in page
        ]  # fmt: skip
        payload: dict = {"results": results}
        if after + limit < len(rows):
            payload["paging"] = {"next": {"after": str(after + limit), "link": "?after=" + str(after + limit)}}
        return 200, {}, payload

    def _salesforce_deleted(self, sobject: str, query: dict) -> tuple[int, dict, object]:
        now = dt.datetime.now(dt.UTC)
        try:
            start = _parse_time((query.get("start") or [""])[0])
            end = _parse_time((query.get("end") or [""])[0])
        except ValueError:
            return 400, {}, [{"message": "start and end are required", "errorCode": "MALFORMED_QUERY"}]
        if start < now - dt.timedelta(days=30):
            invalid = [
                {"message": "startDate must be within the last 30 days", "errorCode": "INVALID_REPLICATION_DATE"}
            ]
            return 400, {}, invalid
        if end - start < dt.timedelta(minutes=1):
            short = [{"message": "the window must be a minute at least", "errorCode": "INVALID_REPLICATION_DATE"}]
            return 400, {}, short
        end = min(end, now)
        found = [
            {"id": record_id, "deletedDate": sf_time(at)}
            for record_id, at in sorted(self.salesforce_deleted[sobject].items(), key=lambda item: item[1])
            if start <= at < end
        ]
        payload = {
            "deletedRecords": found,
            "earliestDateAvailable": sf_time(now - dt.timedelta(days=30)),
            "latestDateCovered": sf_time(end),
        }
        return 200, {}, payload

    def _salesforce(self, method, path, query, headers, body):
        if path == "/services/oauth2/token":
            return self._sf_token(body)
        route = (
            "salesforce-query"
            if "/query" in path
            else "salesforce-deleted"
            if "/deleted" in path
            else "salesforce-describe"
        )
        auth = headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.sf_sessions:
            return 401, {}, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}], route
        if self.sf_daily_remaining is not None:
            if self.sf_daily_remaining <= 0:
                spent = [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
                return 403, {}, spent, route
            self.sf_daily_remaining -= 1
        if fault := self.fault_for(route):
            return self._fault(fault, route)
        used = len(self.requests) if self.sf_api_used is None else self.sf_api_used
        limit_info = {"Sforce-Limit-Info": f"api-usage={used}/{self.sf_api_limit}"}
        deleted = re.fullmatch(r"/services/data/v[\d.]+/sobjects/(\w+)/deleted/?", path)
        if deleted and deleted.group(1) in self.salesforce_deleted:
            return (*self._salesforce_deleted(deleted.group(1), query), route)
        describe = re.fullmatch(r"/services/data/v[\d.]+/sobjects/(\w+)/describe/?", path)
        if describe:
            names = self.sf_fields.get(describe.group(1)) or set()
            return 200, limit_info, {"name": describe.group(1), "fields": [{"name": n} for n in sorted(names)]}, route
        locator = re.fullmatch(r"/services/data/v[\d.]+/query/([\w-]+)", path)
        if locator:
            rows = self._locators.pop(locator.group(1), None)
            if rows is None:
                gone = [{"message": "invalid query locator", "errorCode": "INVALID_QUERY_LOCATOR"}]
                return 400, {}, gone, route
            return 200, limit_info, self._sf_page(rows, path.rsplit("/", 1)[0]), route
        soql = (query.get("q") or [""])[0]
        try:
            rows = self._soql(soql)
        except ValueError as exc:
            return 400, {}, [{"message": str(exc), "errorCode": "MALFORMED_QUERY"}], route
        base = re.match(r"/services/data/v[\d.]+/query", path).group(0)
        return 200, limit_info, self._sf_page(rows, base), route

    def _sf_token(self, form):
        grant = (form.get("grant_type") or [""])[0]
        first = {key: values[0] for key, values in form.items()}
        if grant == "refresh_token":
            known = first.get("refresh_token") in self.sf_refresh_tokens
        else:
            known = grant == "client_credentials" and self.sf_clients.get(first.get("client_id")) == first.get(
                "client_secret"
            )
        if not known:
            return 400, {}, {"error": "invalid_grant", "error_description": "expired access/refresh token"}, "token"
        session = self.salesforce_session()
        payload = {
            "access_token": session,
            "instance_url": self.url,
            "id": f"{self.url}/id/00D000000000001EAA/005000000000001AAA",
            "token_type": "Bearer",
            "issued_at": str(int(time.time() * 1000)),
            "signature": "local",
        }
        return 200, {}, payload, "token"

    def _soql(self, soql: str) -> list[dict]:
        match = re.fullmatch(
            r"SELECT (?P<fields>.+?) FROM (?P<object>\w+)(?: WHERE (?P<where>.+?))? ORDER BY SystemModstamp, Id",
            soql.strip(),
        )
        if not match or match.group("object") not in self.salesforce:
            raise ValueError(f"unsupported query: {soql}")
        sobject = match.group("object")
        fields = [f.strip() for f in match.group("fields").split(",")]
        known = (self.sf_fields.get(sobject) or set()) | {"Id", "SystemModstamp"}
        for name in fields:
            if name.split(".")[0] not in known and "." not in name:
                raise ValueError(f"No such column '{name}' on entity '{sobject}'")
        rows = list(self.salesforce[sobject].values())
        for condition in (match.group("where") or "").split(" AND "):
            condition = condition.strip()
            if not condition:
                continue
            if m := re.fullmatch(r"SystemModstamp (>=|>) (\S+)", condition):
                since = _parse_time(m.group(2))
                rows = [r for r in rows if (r["modified"] >= since if m.group(1) == ">=" else r["modified"] > since)]
            elif m := re.fullmatch(r"(\w+) != null", condition):
                rows = [r for r in rows if r.get(m.group(1))]
            else:
                raise ValueError(f"unsupported condition: {condition}")
        rows.sort(key=lambda r: (r["modified"], r["Id"]))
        out = []
        for r in rows:
            record: dict = {
                "attributes": {"type": sobject, "url": f"/services/data/v59.0/sobjects/{sobject}/{r['Id']}"}
            }
            for name in fields:
                if "." in name:
                    parent, child = name.split(".", 1)
                    nested = r.get(parent) or {}
                    if nested:
                        record.setdefault(parent, {"attributes": {"type": parent}})[child] = nested.get(child)
                    else:
                        record[parent] = None
                else:
                    record[name] = r.get(name)
            out.append(record)
        return out

    def _sf_page(self, rows: list[dict], base: str) -> dict:
        page, rest = rows[: self.page_size], rows[self.page_size :]
        payload: dict = {"totalSize": len(rows), "done": not rest, "records": page}
        if rest:
            locator = f"01g{secrets.token_hex(6)}-{self.page_size}"
            self._locators[locator] = rest
            payload["nextRecordsUrl"] = f"{base}/{locator}"
        return payload

    @staticmethod
    def _fault(fault: Fault, route: str):
        headers = {"Retry-After": str(int(fault.retry_after))} if fault.retry_after is not None else {}
        body = fault.body
        if body is None:
            if fault.status == 429:
                body = {
                    "status": "error",
                    "message": "You have reached your secondly limit.",
                    "errorType": "RATE_LIMIT",
                    "policyName": "SECONDLY",
                }
            else:
                body = {"status": "error", "message": "internal error"}
        return fault.status, headers, body, route


class _Handler(BaseHTTPRequestHandler):
    farend: FarEnd

    def log_message(self, format, *args):  # quiet
        pass

    def _serve(self, method: str):
        parsed = urlparse(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            body = parse_qs(raw.decode())
        else:
            body = json.loads(raw) if raw else {}
        status, headers, payload, route = self.farend.handle(
            method, parsed.path, parse_qs(parsed.query), self.headers, body
        )
        self.farend.requests.append(Logged(route, method, self.path, time.monotonic(), body, status))
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self._serve("GET")

    def do_POST(self):
        self._serve("POST")


class Server:
    """``with Server(tmp_path) as farend:`` serves HTTPS on 127.0.0.1 with a certificate of a throwaway CA; the CA
    file is ``farend.ca_path`` (the connectors trust it through settings.CRM_CONNECTOR_CA_BUNDLE)."""

    def __init__(self, directory):
        self.directory = directory

    def __enter__(self) -> FarEnd:
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        ca_path = self.directory / "farend-ca.pem"
        ca.cert_pem.write_to_path(str(ca_path))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        farend = FarEnd()
        handler = type("Handler", (_Handler,), {"farend": farend})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        farend.url = f"https://127.0.0.1:{self.httpd.server_address[1]}"
        farend.ca_path = str(ca_path)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return farend

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
