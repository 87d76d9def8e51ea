"""HubSpot through hubspot-api-client with a private-app token (scopes crm.objects.contacts.read,
crm.objects.deals.read).

Streams, in this order: ``contacts`` (→ leads, and their first and latest traffic source as touchpoints) and
``deals`` (→ opportunities, with the first associated contact as the lead). Each is read with the CRM search API,
filtered by its last-modified property ≥ the cursor and sorted by it, 100 records a page, paging by ``after``; the
search stops at 10,000 results, so past that the query starts again from the greatest modification time seen.

Deletions: ``deleted:contacts`` and ``deleted:deals`` list the archived records (``GET /crm/v3/objects/<type>?archived=
true``, which HubSpot keeps for 90 days, paged by ``after``); those archived after the cursor are deleted here too.
A merge of contacts is no archive: HubSpot keeps the primary contact (its modification time moves) and lists the ids
merged into it in ``hs_merged_object_ids`` ("103;104"), while the others vanish from search and from the archived
list. The contacts stream reads that property and deletes the merged ids here, so a person merged in HubSpot is one
lead here too, not two.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import urllib3
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from hubspot import HubSpot
from hubspot.crm.associations.v4.models import BatchInputPublicFetchAssociationsBatchRequest
from hubspot.crm.contacts import Filter, FilterGroup, PublicObjectSearchRequest

from . import retry
from .base import AuthExpired, ConnectorError, Page, RateLimited, Transient, iso, parse_iso
from .mapping import hubspot_properties, to_row

PAGE_SIZE = 100
SEARCH_LIMIT = 10_000
MODIFIED = {"contacts": "lastmodifieddate", "deals": "hs_lastmodifieddate"}
KINDS = {"contacts": "leads", "deals": "opportunities"}
MERGED = "hs_merged_object_ids"
TOUCH_PROPERTIES = [
    "hs_analytics_first_timestamp",
    "hs_latest_source",
    "hs_latest_source_data_1",
    "hs_latest_source_timestamp",
]
STREAMS = ("contacts", "deals")
DELETION_STREAMS = ("deleted:contacts", "deleted:deals")


def _translate(exc: Exception) -> Exception:
    """A hubspot-api-client / urllib3 error as a connector error."""
    status = getattr(exc, "status", None)
    if isinstance(exc, urllib3.exceptions.HTTPError) or status in (None, 0):
        return Transient(_("HubSpot could not be reached: %(error)s") % {"error": str(exc).splitlines()[0][:200]})
    try:
        body = json.loads(exc.body or "{}")
    except (TypeError, ValueError):
        body = {}
    message = str(body.get("message") or exc.reason or "")[:300]
    headers = exc.headers or {}
    if status == 401:
        return AuthExpired(
            _("HubSpot no longer accepts the private-app token (%(message)s): connect again with a valid token.")
            % {"message": message}
        )
    if status == 429:
        retry_after = headers.get("Retry-After")
        daily = body.get("policyName") == "DAILY"
        return RateLimited(retry_after=float(retry_after) if retry_after else None, daily=daily)
    if status >= 500:
        return Transient(
            _("HubSpot answered %(status)s: %(message)s") % {"status": status, "message": message}, status=status
        )
    if status == 403:
        return ConnectorError(
            _(
                "The private app lacks a scope HubSpot asks for (%(message)s): give it read access to "
                "contacts and deals."
            )
            % {"message": message},
            status=status,
        )
    return ConnectorError(
        _("HubSpot refused the request (%(status)s): %(message)s") % {"status": status, "message": message},
        status=status,
    )


def _is_client_error(exc: Exception) -> bool:
    return isinstance(exc, urllib3.exceptions.HTTPError) or type(exc).__module__.startswith("hubspot.")


class HubSpotSource:
    name = "hubspot"
    streams = STREAMS
    deletion_streams = DELETION_STREAMS

    def __init__(self, credentials: dict, *, base_url: str | None = None):
        options = {"access_token": credentials["token"], "host": base_url or settings.HUBSPOT_API_URL}
        if settings.CRM_CONNECTOR_CA_BUNDLE:
            options["ssl_ca_cert"] = settings.CRM_CONNECTOR_CA_BUNDLE
        self.client = HubSpot(**options)
        self.token_tail = credentials["token"][-4:]
        self.timeout = settings.CRM_CONNECTOR_TIMEOUT

    def _call(self, fn, *args, **kwargs):
        def once():
            try:
                return fn(*args, _request_timeout=self.timeout, **kwargs)
            except Exception as exc:
                if _is_client_error(exc):
                    raise _translate(exc) from exc
                raise

        return retry.call(once)

    def check(self) -> str:
        """Read one contact and one deal (proves the token and its scopes); returns what the UI shows as "connected
        as": the token's last characters."""
        for stream in self.streams:
            self._search(stream, since=None, after=None, limit=1)
        return _("private-app token …%(tail)s") % {"tail": self.token_tail}

    def _search(self, stream: str, *, since: str | None, after: str | None, limit: int = PAGE_SIZE, strict=False):
        modified = MODIFIED[stream]
        filters = []
        if since:
            millis = str(int(parse_iso(since).timestamp() * 1000))
            filters = [
                FilterGroup(filters=[Filter(property_name=modified, operator="GT" if strict else "GTE", value=millis)])
            ]
        properties = [*hubspot_properties(KINDS[stream]), modified]
        if stream == "contacts":
            properties += [*TOUCH_PROPERTIES, MERGED]
        request = PublicObjectSearchRequest(
            filter_groups=filters,
            sorts=[{"propertyName": modified, "direction": "ASCENDING"}],
            properties=properties,
            limit=limit,
            after=after,
        )
        api = self.client.crm.contacts.search_api if stream == "contacts" else self.client.crm.deals.search_api
        return self._call(api.do_search, public_object_search_request=request)

    def pages(self, stream: str, cursor: str | None) -> Iterator[Page]:
        """The pages of ``stream`` changed since ``cursor`` (None: everything), oldest change first."""
        since, after, strict = cursor, None, False
        while True:
            response = self._search(stream, since=since, after=after, strict=strict)
            records = response.results or []
            if not records:
                return
            page = self._page(stream, records)
            yield page
            following = response.paging.next.after if response.paging and response.paging.next else None
            if following is None:
                return
            if int(following) + PAGE_SIZE > SEARCH_LIMIT:
                # Past the search's window: query again from the last change seen (strictly after it when the whole
                # window had one modification time, so the query moves on).
                strict = page.cursor == since
                since, after = page.cursor, None
            else:
                after = following

    def deleted_pages(self, stream: str, cursor: str | None) -> Iterator[Page]:
        """The records of ``deleted:<type>`` archived after ``cursor`` (None: every archived record HubSpot still
        lists), a page per page of HubSpot's list."""
        kind = stream.split(":", 1)[1]
        api = self.client.crm.contacts.basic_api if kind == "contacts" else self.client.crm.deals.basic_api
        since = parse_iso(cursor) if cursor else None
        after = None
        while True:
            response = self._call(api.get_page, limit=PAGE_SIZE, after=after, archived=True, properties=[])
            records = [
                r
                for r in response.results or []
                if r.archived_at is not None and (since is None or r.archived_at > since)
            ]
            if records:
                page = Page(stream)
                page.deleted = {KINDS[kind]: [str(r.id) for r in records]}
                page.cursor = iso(max(r.archived_at for r in records))
                yield page
            after = response.paging.next.after if response.paging and response.paging.next else None
            if after is None:
                return

    def _page(self, stream: str, records: list) -> Page:
        modified = MODIFIED[stream]
        page = Page(stream)
        rows = []
        touches = []
        for record in records:
            properties = dict(record.properties or {})
            properties.setdefault("hs_object_id", record.id)
            rows.append(to_row("hubspot", KINDS[stream], properties))
            if stream == "contacts":
                touches.extend(_touches(record.id, properties))
        stamps = [parse_iso(r.properties[modified]) for r in records if (r.properties or {}).get(modified)]
        page.cursor = iso(max(stamps)) if stamps else None
        if stream == "deals":
            contacts = self._deal_contacts([r.id for r in records])
            for row in rows:
                if row.get("external_id") in contacts:
                    row["lead_external_id"] = contacts[row["external_id"]]
            page.rows = {"opportunities": rows}
        else:
            page.rows = {"leads": rows, "touchpoints": touches}
            merged = _merged_ids(records)
            if merged:
                page.deleted = {"leads": merged}
        return page

    def _deal_contacts(self, deal_ids: list[str]) -> dict[str, str]:
        """{deal id: its first associated contact id} (associations API v4, one call a page)."""
        request = BatchInputPublicFetchAssociationsBatchRequest(inputs=[{"id": deal_id} for deal_id in deal_ids])
        response = self._call(
            self.client.crm.associations.v4.batch_api.get_page,
            "deals",
            "contacts",
            batch_input_public_fetch_associations_batch_request=request,
        )
        found: dict[str, str] = {}
        for result in response.results or []:
            targets = sorted(int(target.to_object_id) for target in result.to or [])
            if targets:
                found[str(result._from.id)] = str(targets[0])
        return found


def _merged_ids(records: list) -> list[str]:
    """The contact ids merged into the page's contacts (``hs_merged_object_ids``, separated by semicolons), except
    any contact of the page itself."""
    present = {str(record.id) for record in records}
    merged = set()
    for record in records:
        for part in str((record.properties or {}).get(MERGED) or "").split(";"):
            if part.strip() and part.strip() not in present:
                merged.add(part.strip())
    return sorted(merged, key=lambda value: (len(value), value))


def _touches(contact_id: str, properties: dict) -> list[dict]:
    """The contact's first and latest traffic source as touchpoints (ids made from the contact id and the time, so a
    re-sync updates them and a new latest source adds one)."""
    touches = []
    for source, campaign, at, tag in (
        ("hs_analytics_source", "hs_analytics_source_data_1", "hs_analytics_first_timestamp", "first"),
        ("hs_latest_source", "hs_latest_source_data_1", "hs_latest_source_timestamp", "latest"),
    ):
        channel, occurred = properties.get(source), properties.get(at)
        if not channel or not occurred:
            continue
        stamp = str(int(parse_iso(occurred).timestamp()))
        touch = {
            "external_id": f"hs-{contact_id}-{tag}-{stamp}",
            "lead_external_id": contact_id,
            "occurred": occurred,
            "channel": channel,
            "campaign": properties.get(campaign) or "",
        }
        if not any(t["occurred"] == occurred and t["channel"] == channel for t in touches):
            touches.append(touch)
    return touches
