"""Salesforce through simple-salesforce, authorised by OAuth 2.0 with a connected app: the refresh-token grant (a
refresh token from the web-server flow) or, without one, the client-credentials grant (a connected app with "Enable
Client Credentials Flow" and a run-as user). The token request goes to ``<login_url>/services/oauth2/token``
(login.salesforce.com, test.salesforce.com or the org's My Domain); its answer gives the instance URL and the access
token simple-salesforce then queries with. An expired access token is renewed once; a refused grant means the
connection needs connecting again.

Streams, in this order: ``Lead`` (→ leads), ``Opportunity`` (→ opportunities; linked to their lead through the
lead's ConvertedOpportunityId, as in the file import) and ``CampaignMember`` of leads (→ touchpoints: the campaign's
type is the channel, its name the campaign). Each is a SOQL query on ``SystemModstamp >= cursor`` ordered by it,
paged by the query's ``nextRecordsUrl``; the fields asked for are the preset's API names that the org's describe
lists (custom fields like MQL_Date__c only where they exist).

Deletions: ``deleted:Lead``, ``deleted:Opportunity`` and ``deleted:CampaignMember`` read the object's deleted
records (``GET sobjects/<object>/deleted/?start=…&end=…``) from the cursor (at most the 30 days Salesforce keeps
them) to now; the cursor moves to the answer's ``latestDateCovered``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import requests
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from requests.adapters import HTTPAdapter
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceError, SalesforceExpiredSession

from core.numbers import format_decimal, format_percent

from . import retry
from .base import AuthExpired, ConnectorError, Page, RateLimited, Transient, iso, parse_iso
from .mapping import salesforce_fields, to_row

API_VERSION = "59.0"
STREAMS = ("Lead", "Opportunity", "CampaignMember")
DELETION_STREAMS = ("deleted:Lead", "deleted:Opportunity", "deleted:CampaignMember")
DELETED_WINDOW = dt.timedelta(days=29)  # Salesforce answers for the last 30 days only
KINDS = {"Lead": "leads", "Opportunity": "opportunities", "CampaignMember": "touchpoints"}
TOUCH_FIELDS = ["Id", "LeadId", "CreatedDate", "Campaign.Name", "Campaign.Type", "SystemModstamp"]


def soql_time(cursor: str) -> str:
    """A SOQL datetime literal (whole seconds, UTC) at or before ``cursor``."""
    return parse_iso(cursor).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _error_text(content) -> tuple[str, str]:
    """(errorCode, message) of a Salesforce error body."""
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return str(content[0].get("errorCode", "")), str(content[0].get("message", ""))[:300]
    if isinstance(content, dict):
        return str(content.get("error", "")), str(content.get("error_description", ""))[:300]
    return "", str(content)[:300]


class _TrustAdapter(HTTPAdapter):
    """Verifies with the configured CA bundle. (A session's own ``verify`` loses to REQUESTS_CA_BUNDLE in the
    environment, since simple-salesforce's calls pass none.)"""

    def __init__(self, ca_bundle: str):
        self.ca_bundle = ca_bundle
        super().__init__()

    def send(self, request, **kwargs):
        kwargs["verify"] = self.ca_bundle
        return super().send(request, **kwargs)


class SalesforceSource:
    name = "salesforce"
    streams = STREAMS
    deletion_streams = DELETION_STREAMS

    def __init__(self, credentials: dict):
        self.credentials = credentials
        self.session = requests.Session()
        if settings.CRM_CONNECTOR_CA_BUNDLE:
            self.session.mount("https://", _TrustAdapter(settings.CRM_CONNECTOR_CA_BUNDLE))
        self.last_response: requests.Response | None = None
        self.session.hooks["response"].append(self._remember)
        self.sf: Salesforce | None = None
        self.identity = ""
        self._fields: dict[str, list[str]] = {}

    def _remember(self, response, *args, **kwargs):
        self.last_response = response

    # ---------------------------------------------------------------------------------------------- OAuth

    def _authorise(self) -> None:
        login_url = self.credentials["login_url"].rstrip("/")
        form = {"client_id": self.credentials["consumer_key"], "client_secret": self.credentials["consumer_secret"]}
        if self.credentials.get("refresh_token"):
            form |= {"grant_type": "refresh_token", "refresh_token": self.credentials["refresh_token"]}
        else:
            form |= {"grant_type": "client_credentials"}
        try:
            response = self.session.post(
                f"{login_url}/services/oauth2/token", data=form, timeout=settings.CRM_CONNECTOR_TIMEOUT
            )
        except requests.RequestException as exc:
            raise Transient(_("Salesforce could not be reached: %(error)s") % {"error": str(exc)[:200]}) from exc
        if response.status_code >= 500:
            raise Transient(
                _("Salesforce answered %(status)s.") % {"status": response.status_code}, status=response.status_code
            )
        try:
            payload = response.json()
        except ValueError:
            payload = {}
        if response.status_code != 200 or "access_token" not in payload:
            code, message = _error_text(payload)
            raise AuthExpired(
                _("Salesforce refused the OAuth credentials (%(code)s: %(message)s): connect again.")
                % {"code": code or response.status_code, "message": message}
            )
        self.identity = payload.get("instance_url", "")
        self.sf = Salesforce(
            instance_url=payload["instance_url"],
            session_id=payload["access_token"],
            session=self.session,
            version=API_VERSION,
        )

    def _allowance_left(self) -> None:
        """Salesforce reports the org's daily API usage on every answer (``Sforce-Limit-Info: api-usage=N/M``). The
        allowance is the whole org's: past ``CRM_SALESFORCE_API_SHARE`` of it the sync stops before its next call,
        so the org's other integrations keep theirs, and goes on after the allowance renews."""
        header = self.last_response.headers.get("Sforce-Limit-Info", "") if self.last_response is not None else ""
        match = re.search(r"api-usage=(\d+)/(\d+)", header)
        if not match:
            return
        used, limit = int(match.group(1)), int(match.group(2))
        if limit and used >= settings.CRM_SALESFORCE_API_SHARE * limit:
            raise RateLimited(
                _(
                    "The org has used %(used)s of its %(limit)s daily API calls; the sync stops at %(share)s of them "
                    "so that the org's other integrations keep theirs."
                )
                % {
                    "used": format_decimal(used, decimals=0),
                    "limit": format_decimal(limit, decimals=0),
                    "share": format_percent(settings.CRM_SALESFORCE_API_SHARE),
                },
                daily=True,
            )

    def _call(self, method: str, *args, **kwargs):
        def once():
            self._allowance_left()
            if self.sf is None:
                self._authorise()
            for renewed in (False, True):
                try:
                    return getattr(self.sf, method)(*args, **kwargs)
                except SalesforceExpiredSession as exc:
                    if renewed:
                        raise AuthExpired() from exc
                    self._authorise()  # the access token expired: one new one from the grant
                except SalesforceError as exc:
                    raise self._translate(exc) from exc
                except requests.RequestException as exc:
                    raise Transient(
                        _("Salesforce could not be reached: %(error)s") % {"error": str(exc)[:200]}
                    ) from exc
            raise AssertionError("unreachable")

        return retry.call(once)

    def _translate(self, exc: SalesforceError) -> ConnectorError:
        code, message = _error_text(exc.content)
        if exc.status == 403 and code == "REQUEST_LIMIT_EXCEEDED":
            return RateLimited(daily=True, status=403)
        if exc.status == 429:
            header = self.last_response.headers.get("Retry-After") if self.last_response is not None else None
            return RateLimited(retry_after=float(header) if header else None)
        if exc.status >= 500:
            return Transient(
                _("Salesforce answered %(status)s: %(message)s") % {"status": exc.status, "message": message},
                status=exc.status,
            )
        return ConnectorError(
            _("Salesforce refused the request (%(code)s): %(message)s")
            % {"code": code or exc.status, "message": message},
            status=exc.status,
        )

    # ---------------------------------------------------------------------------------------------- reading

    def check(self) -> str:
        """Authorise and describe the objects (proves the grant and read access); returns the org's instance URL,
        which the page shows as "connected as"."""
        for stream in self.streams:
            self._stream_fields(stream)
        return self.identity

    def _stream_fields(self, stream: str) -> list[str]:
        if stream not in self._fields:
            if stream == "CampaignMember":
                self._fields[stream] = TOUCH_FIELDS
            else:
                described = self._call("restful", f"sobjects/{stream}/describe/")
                available = {f["name"] for f in described.get("fields", [])}
                self._fields[stream] = [*salesforce_fields(KINDS[stream], available), "SystemModstamp"]
        return self._fields[stream]

    def pages(self, stream: str, cursor: str | None) -> Iterator[Page]:
        fields = self._stream_fields(stream)
        conditions = []
        if cursor:
            conditions.append(f"SystemModstamp >= {soql_time(cursor)}")
        if stream == "CampaignMember":
            conditions.append("LeadId != null")
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        # Field names are the preset's and the describe's, the time is formatted by soql_time: no user text.
        result = self._call("query", f"SELECT {', '.join(fields)} FROM {stream}{where} ORDER BY SystemModstamp, Id")  # noqa: S608
        while True:
            records = result.get("records") or []
            if records:
                yield self._page(stream, records)
            if result.get("done", True) or not result.get("nextRecordsUrl"):
                return
            result = self._call("query_more", result["nextRecordsUrl"], identifier_is_url=True)

    def deleted_pages(self, stream: str, cursor: str | None) -> Iterator[Page]:
        """One page: the records of ``deleted:<object>`` deleted since ``cursor`` (at most Salesforce's window)."""
        sobject = stream.split(":", 1)[1]
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        start = max(parse_iso(cursor), now - DELETED_WINDOW) if cursor else now - DELETED_WINDOW
        if now - start < dt.timedelta(minutes=1):
            return  # Salesforce reads deletions by the minute: ask again at the next sync
        answer = self._call(
            "restful",
            f"sobjects/{sobject}/deleted/",
            params={"start": iso(start.replace(microsecond=0)), "end": iso(now)},
        )
        ids = [str(r["id"]) for r in answer.get("deletedRecords") or [] if r.get("id")]
        page = Page(stream)
        if ids:
            page.deleted = {KINDS[sobject]: [f"sf-{i}" if sobject == "CampaignMember" else i for i in ids]}
        covered = answer.get("latestDateCovered")
        page.cursor = iso(parse_iso(covered)) if covered else iso(now)
        yield page

    def _page(self, stream: str, records: list[dict]) -> Page:
        page = Page(stream)
        if stream == "CampaignMember":
            rows = []
            for record in records:
                campaign = record.get("Campaign") or {}
                rows.append(
                    {
                        "external_id": f"sf-{record['Id']}",
                        "lead_external_id": record["LeadId"],
                        "occurred": record.get("CreatedDate") or "",
                        "channel": campaign.get("Type") or "Campaign",
                        "campaign": campaign.get("Name") or "",
                    }
                )
        else:
            rows = [
                to_row("salesforce", KINDS[stream], {k: v for k, v in r.items() if k != "attributes"}) for r in records
            ]
        page.rows = {KINDS[stream]: rows}
        stamps = [parse_iso(r["SystemModstamp"]) for r in records if r.get("SystemModstamp")]
        page.cursor = iso(max(stamps)) if stamps else None
        return page
