"""Incremental KPI refresh after CRM data changed (a file import, an API sync): only the periods that the changed
rows touch are recomputed, not the company's whole history.

Which months changed comes from the CRM's month digests (crm.selectors.crm_month_digests). The digests of the last
incremental refresh are kept (CrmDataDigest, written only here); the first month whose digest differs is where
recomputing starts: every period that ends on or after its first day (later periods as well, since a KPI may
compare with or accumulate from earlier months). Without a stored digest (the first time) every period is
recomputed. Reading the digests takes about a second per 200,000 rows, against minutes for recomputing every
period of a long history.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from companies.models import Company
from core.locks import advisory_xact_lock
from crm.selectors import crm_month_digests, first_changed_month

from . import services_kpi
from .models import CrmDataDigest


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
