"""Incremental KPI refresh after CRM data changed (a file import, an API sync): only the periods that the changed
rows touch are recomputed, not the company's whole history.

Which months changed is found from the data itself, so every path into it counts (import, bulk API, admin): per
month, a digest sums a hash of every lead, opportunity and touchpoint that has a date in that month (creation,
stage dates, close date, touch time). A row that changes changes the digest of every month it had a date in before
and has one in now; a new row changes the months of its dates. The digests of the last incremental refresh are
kept (CrmDataDigest); the first month whose digest differs is where recomputing starts: every period that ends on
or after its first day (later periods as well, since a KPI may compare with or accumulate from earlier months).
Without a stored digest (the first time) every period is recomputed.

The digest reads the rows once, streamed (constant memory); on the 2-core machines this is about a second per
200,000 rows, against minutes for recomputing every period of a long history.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from companies.models import Company
from core.locks import advisory_xact_lock

from ..models import CrmDataDigest, Lead, Opportunity, Touchpoint
from . import kpi as services_kpi

MASK = (1 << 63) - 1
CHUNK = 5000
DATE_FIELDS = {
    Lead: ["created", "mql_at", "sal_at", "sql_at", "opportunity_at", "customer_at", "disqualified_at"],
    Opportunity: ["created", "closed"],
    Touchpoint: ["occurred"],
}


def _month(value: dt.datetime, zone) -> str:
    return timezone.localtime(value, zone).strftime("%Y-%m")


def crm_month_digests(company: Company) -> dict[str, int]:
    """{"YYYY-MM": digest} over the company's leads, opportunities and touchpoints (see the module docstring)."""
    zone = timezone.get_default_timezone()
    sums: dict[str, int] = defaultdict(int)
    for model, dates in DATE_FIELDS.items():
        fields = [f.attname for f in model._meta.concrete_fields]
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


def kpi_snapshots_refresh_changed(*, company: Company, actor=None, on: dt.date | None = None) -> dict:
    """Recompute the KPI snapshots of the periods changed CRM data touches (scope "open", from the first changed
    month on) and keep the new digests. Returns {"since": date or None, "snapshots": number written}."""
    with transaction.atomic():
        # The refresh lock first: a concurrent refresh of this company must not see digests that are not yet stored.
        advisory_xact_lock(services_kpi.LOCK_NAME, company.pk)
        now = crm_month_digests(company)
        state = CrmDataDigest.objects.select_for_update().filter(company=company).first()
        since = first_changed_month(state.months if state else None, now)
        written = 0
        if since is not None:
            written = services_kpi.kpi_snapshots_refresh(company=company, scope="open", actor=actor, on=on,
                                                         since=since)  # fmt: skip
        CrmDataDigest.objects.update_or_create(company=company, defaults={"months": now})
    return {"since": since, "snapshots": written}
