"""Saved column mappings: a company's own mapping of CSV column headers to our fields, for CRMs without a preset
(the import wizard keeps one per CRM and kind by itself, crm.services.imports)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from companies.permissions import Action, require_actor

from ..models import ColumnMapping, CrmKind
from ..reader import field_specs


@transaction.atomic
def column_mapping_save(
    *, company, name: str, kind: str, columns: dict[str, str], actor, mapping: ColumnMapping | None = None
) -> ColumnMapping:
    """Create or change a saved column mapping. Every required field of ``kind`` needs a column."""
    require_actor(actor, company, Action.CRM_IMPORT)
    if kind not in CrmKind.values:
        raise ValidationError({"kind": _("Choose leads, opportunities or touchpoints.")})
    specs = field_specs(kind)
    cleaned = {field: str(header).strip() for field, header in columns.items() if str(header or "").strip()}
    errors: dict[str, list[str]] = {}
    for field, header in cleaned.items():
        if field not in specs:
            errors.setdefault(field, []).append(_("Unknown field."))
        elif len(header) > 200:
            errors.setdefault(field, []).append(_("A column name is at most 200 characters."))
    for spec in specs.values():
        if spec.required and spec.name not in cleaned:
            errors.setdefault(spec.name, []).append(_("Name the column that holds this required field."))
    if errors:
        raise ValidationError(errors)
    if mapping is None:
        mapping = ColumnMapping(company=company, created_by=actor if getattr(actor, "pk", None) else None)
    else:
        mapping = ColumnMapping.objects.select_for_update().get(pk=mapping.pk, company=company)
    mapping.name = name.strip()
    mapping.kind = kind
    mapping.columns = cleaned
    if ColumnMapping.objects.filter(company=company, name=mapping.name).exclude(pk=mapping.pk).exists():
        raise ValidationError({"name": _("A mapping with this name exists already.")})
    mapping.full_clean(exclude=["created_by"])
    mapping.save()
    return mapping


@transaction.atomic
def column_mapping_delete(*, mapping: ColumnMapping, actor) -> None:
    require_actor(actor, mapping.company, Action.CRM_IMPORT)
    ColumnMapping.objects.filter(pk=mapping.pk, company=mapping.company).delete()
