"""Writing CRM records: the upsert by (company, external id) that the file import, the bulk API and the CRM
connectors share, and the bulk API's payload check.

A batch is upserted with ``bulk_create(update_conflicts=True)``, grouped by the fields its rows carry, so a field a
row does not provide is never overwritten. Opportunities and touchpoints find their lead by its external id (an
opportunity also by the lead converted into it, Salesforce).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils.translation import gettext as _

from companies.permissions import Action, require_actor
from core.errors import DomainError

from ..models import CrmKind, Lead, Opportunity, Touchpoint
from ..reader import BATCH_SIZE, MAX_STORED_ERRORS, ParseContext, parse_record
from ..signals import crm_data_changed_on_commit
from ..sources import company_sources

MAX_API_ITEMS = 5000
MODELS = {CrmKind.LEADS: Lead, CrmKind.OPPORTUNITIES: Opportunity, CrmKind.TOUCHPOINTS: Touchpoint}


class PayloadRejected(DomainError):
    """A bulk upsert payload with errors: nothing was written; ``errors`` lists them per item and field."""

    code = "invalid_items"

    def __init__(self, errors: list[dict], total: int):
        message = _("%(count)s error(s) in the items; nothing was saved.") % {"count": total}
        super().__init__(message, extra={"errors": errors, "error_count": total})


def _missing_leads(company, external_ids: Iterable[str]) -> set[str]:
    wanted = set(external_ids)
    found = set(Lead.objects.filter(company=company, external_id__in=wanted).values_list("external_id", flat=True))
    return wanted - found


def _upsert_batch(company, kind: str, batch: list[dict], ctx: ParseContext) -> int:
    """Upsert one batch; returns how many rows were new. Rows are grouped by the fields they carry, so a field a
    row does not provide is never overwritten."""
    model = MODELS[kind]
    if kind == CrmKind.OPPORTUNITIES:
        _resolve_opportunity_leads(company, batch, ctx)
    elif kind == CrmKind.TOUCHPOINTS:
        _resolve_touchpoint_leads(company, batch)
    ids = [values["external_id"] for values in batch]
    existing = model.objects.filter(company=company, external_id__in=ids).count()
    groups: dict[frozenset, list[dict]] = defaultdict(list)
    for values in batch:
        groups[frozenset(values)].append(values)
    for fields, rows in groups.items():
        update_fields = sorted(fields - {"external_id"})
        objects = [model(company=company, **values) for values in rows]
        model.objects.bulk_create(
            objects,
            batch_size=BATCH_SIZE,
            update_conflicts=True,
            unique_fields=["company", "external_id"],
            update_fields=update_fields,
        )
    return len(batch) - existing


def _resolve_opportunity_leads(company, batch: list[dict], ctx: ParseContext) -> None:
    """Each opportunity's lead: by the lead id it names, else the lead converted into it (Salesforce). The
    marketing-sourced flag follows the lead, else the lead source, unless given."""
    lead_ids = {v["lead_external_id"] for v in batch if v.get("lead_external_id")}
    opportunity_ids = [v["external_id"] for v in batch]
    by_external: dict[str, tuple[int, bool]] = {}
    by_converted: dict[str, tuple[int, bool]] = {}
    rows = Lead.objects.filter(company=company).filter(
        Q(external_id__in=lead_ids) | Q(crm_opportunity_id__in=opportunity_ids)
    )
    for pk, external_id, converted, marketing in rows.values_list(
        "pk", "external_id", "crm_opportunity_id", "is_marketing_sourced"
    ):
        by_external[external_id] = (pk, marketing)
        if converted:
            by_converted[converted] = (pk, marketing)
    for values in batch:
        lead_external_id = values.pop("lead_external_id", "")
        found = by_external.get(lead_external_id) if lead_external_id else None
        found = found or by_converted.get(values["external_id"])
        values["lead_id"] = found[0] if found else None
        if "is_marketing_sourced" not in values:
            if found:
                values["is_marketing_sourced"] = found[1]
            else:
                values["is_marketing_sourced"] = ctx.sources.is_marketing_source(values.get("lead_source", ""))


def _resolve_touchpoint_leads(company, batch: list[dict]) -> None:
    wanted = {v["lead_external_id"] for v in batch}
    found = dict(Lead.objects.filter(company=company, external_id__in=wanted).values_list("external_id", "pk"))
    for values in batch:
        values["lead_id"] = found[values.pop("lead_external_id")]


def _link_converted_opportunities(company) -> None:
    """Salesforce: link opportunities imported before their leads (one UPDATE)."""
    converted = Lead.objects.filter(company=company, crm_opportunity_id=OuterRef("external_id")).values("pk")[:1]
    Opportunity.objects.filter(
        company=company,
        lead__isnull=True,
        external_id__in=Lead.objects.filter(company=company)
        .exclude(crm_opportunity_id="")
        .values("crm_opportunity_id"),
    ).update(lead=Subquery(converted))


# ---------------------------------------------------------------------------------------------------- bulk API


def crm_records_upsert(*, company, kind: str, items: Any, actor) -> dict[str, int]:
    """Upsert a list of records (the CRM sync API). All or nothing: any error rejects the whole payload with the
    errors per item index and field (PayloadRejected, 400). Returns {"received", "created", "updated"}."""
    require_actor(actor, company, Action.CRM_IMPORT)
    if not isinstance(items, list):
        raise DomainError(_("Send a JSON list of records."), field="non_field_errors")
    if not items:
        raise DomainError(_("The list is empty."), field="non_field_errors")
    if len(items) > MAX_API_ITEMS:
        raise DomainError(
            _("At most %(max)s records per request; split the list.") % {"max": MAX_API_ITEMS},
            field="non_field_errors",
        )
    ctx = ParseContext(sources=company_sources(company))
    errors: list[dict] = []
    parsed: list[dict] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            errors.append({"index": index, "field": "", "message": _("Each record must be a JSON object.")})
            continue
        values, item_errors = parse_record(kind, item, ctx)
        errors.extend({"index": index, "field": f, "message": m} for f, m in item_errors)
        external_id = values.get("external_id")
        if external_id and not item_errors:
            if external_id in seen:
                message = _("The id “%(id)s” is also in record %(other)s.") % {
                    "id": external_id,
                    "other": seen[external_id],
                }
                errors.append({"index": index, "field": "external_id", "message": message})
            seen[external_id] = index
        parsed.append(values)
    if kind == CrmKind.TOUCHPOINTS and not errors:
        missing = _missing_leads(company, [v["lead_external_id"] for v in parsed])
        for index, values in enumerate(parsed):
            if values["lead_external_id"] in missing:
                errors.append({
                    "index": index,
                    "field": "lead_external_id",
                    "message": _("No lead with id “%(id)s”.") % {"id": values["lead_external_id"]},
                })  # fmt: skip
    if errors:
        raise PayloadRejected(errors[:MAX_STORED_ERRORS], len(errors))
    created = 0
    with transaction.atomic():
        for start in range(0, len(parsed), BATCH_SIZE):
            created += _upsert_batch(company, kind, parsed[start : start + BATCH_SIZE], ctx)
        if kind == CrmKind.LEADS and any("crm_opportunity_id" in v for v in parsed):
            _link_converted_opportunities(company)
        crm_data_changed_on_commit(company.pk)
    return {"received": len(parsed), "created": created, "updated": len(parsed) - created}
