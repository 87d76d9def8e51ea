"""Read queries of the CRM data that other apps share.

**Month digests** (``crm_month_digests``): which months changed CRM data touches is found from the data itself, so
every path into it counts (import, bulk API, connectors, admin): per month, a digest sums a hash of every lead,
opportunity and touchpoint that has a date in that month (creation, stage dates, close date, touch time). A row
that changes changes the digest of every month it had a date in before and has one in now; a new row changes the
months of its dates. Whoever keeps the digests of an earlier moment (reporting's incremental KPI refresh) compares
them with ``first_changed_month``.

The digest reads the rows once, streamed (constant memory); on the 2-core machines this is about a second per
200,000 rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict

from django.utils import timezone
from django.utils.translation import gettext as _

from .models import CrmConnection, CrmKind, CrmSyncRun, Lead, Opportunity, Touchpoint

MASK = (1 << 63) - 1
CHUNK = 5000
DATE_FIELDS = {
    Lead: ["created", "mql_at", "sal_at", "sql_at", "opportunity_at", "customer_at", "disqualified_at"],
    Opportunity: ["created", "closed"],
    Touchpoint: ["occurred"],
}


def _month(value: dt.datetime, zone) -> str:
    return timezone.localtime(value, zone).strftime("%Y-%m")


def crm_month_digests(company) -> dict[str, int]:
    """{"YYYY-MM": digest} over the company's leads, opportunities and touchpoints (see the module docstring)."""
    zone = timezone.get_default_timezone()
    sums: dict[str, int] = defaultdict(int)
    for model, dates in DATE_FIELDS.items():
        # import_digest is the SQL import's bookkeeping (which file row wrote the lead), not CRM data
        fields = [f.attname for f in model._meta.concrete_fields if f.attname != "import_digest"]
        positions = [fields.index(name) for name in dates]
        rows = model.objects.filter(company=company).order_by("pk").values_list(*fields)
        for row in rows.iterator(chunk_size=CHUNK):
            digest = hashlib.blake2b(repr((model.__name__, row)).encode(), digest_size=8).digest()
            value = int.from_bytes(digest, "big")
            for month in {_month(row[i], zone) for i in positions if row[i] is not None}:
                sums[month] = (sums[month] + value) & MASK
    return dict(sums)


def first_changed_month(before: dict[str, int] | None, now: dict[str, int]) -> dt.date | None:
    """The first day of the earliest month whose digest differs (a month only one side has differs too); with no
    earlier digest, the earliest month with data. None: nothing changed."""
    if before is None:
        changed = set(now)
    else:
        changed = {month for month in set(before) | set(now) if before.get(month) != now.get(month)}
    if not changed:
        return None
    year, month = map(int, min(changed).split("-"))
    return dt.date(year, month, 1)


# ------------------------------------------------------------------------------------------- live CRM connections


def crm_connection_items(company, forms: dict | None = None) -> list[dict]:
    """One entry per CRM for the import page: the connection (or None), its last finished and its running sync, the
    counts of the last sync per kind, and the connect form. At most five queries, whatever the history's length."""
    from .forms import CONNECT_FORMS  # forms import models only; kept local so selectors stay free of form code

    connections = {c.kind: c for c in CrmConnection.objects.filter(company=company).select_related("connected_by")}
    last: dict[int, CrmSyncRun | None] = {}
    running: dict[int, CrmSyncRun | None] = {}
    for connection in connections.values():  # at most one per CRM: a constant number of queries
        runs = connection.runs.order_by("-started_at", "-pk")
        running[connection.pk] = runs.filter(status=CrmSyncRun.Status.RUNNING).first()
        last[connection.pk] = runs.exclude(status=CrmSyncRun.Status.RUNNING).first()
    helps = {
        CrmConnection.Kind.HUBSPOT: _(
            "Syncs contacts as leads (with their first and latest traffic source as "
            "touchpoints) and deals as opportunities."
        ),
        CrmConnection.Kind.SALESFORCE: _(
            "Syncs leads, opportunities and the campaign memberships of leads as "
            "touchpoints, through a connected app (OAuth)."
        ),
    }
    items = []
    for kind, label in CrmConnection.Kind.choices:
        connection = connections.get(kind)
        run = last.get(connection.pk) if connection else None
        counts = [(k, lbl, (run.counts.get(k) if run else None) or {}) for k, lbl in CrmKind.choices]
        items.append(
            {
                "kind": kind,
                "label": label,
                "connection": connection,
                "last_run": run,
                "running": running.get(connection.pk) if connection else None,
                "counts": counts,
                "help": helps[kind],
                "form": (forms or {}).get(kind) or CONNECT_FORMS[kind](prefix=kind),
            }
        )
    return items
