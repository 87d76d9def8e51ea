"""The CRM fields we store (FIELDS) and the CSV column presets of HubSpot and Salesforce: matching a file's header
to fields, recognising which CRM exported it, and what missing columns mean."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core import tabular

from ..models import CrmKind


class ImportRejected(Exception):
    """The whole file (or API payload) is refused; ``errors`` lists every problem by row and column."""

    def __init__(self, errors: list[dict], total: int | None = None):
        self.errors = errors
        self.total = total if total is not None else len(errors)
        super().__init__(f"{self.total} error(s)")


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str | Promise
    kind: str  # text | datetime | decimal | bool | status | id_list
    required: bool = False


FIELDS: dict[str, list[FieldSpec]] = {
    CrmKind.LEADS: [
        FieldSpec("external_id", _("Lead id"), "text", True),
        FieldSpec("created", _("Created"), "datetime", True),
        FieldSpec("channel", _("Channel / lead source"), "text"),
        FieldSpec("campaign", _("Campaign"), "text"),
        FieldSpec("segment", _("Segment / industry"), "text"),
        FieldSpec("is_marketing_sourced", _("Marketing-sourced (yes/no)"), "bool"),
        FieldSpec("lifecycle_stage", _("Lifecycle stage / status"), "text"),
        FieldSpec("mql_at", _("Became MQL"), "datetime"),
        FieldSpec("sal_at", _("Became SAL"), "datetime"),
        FieldSpec("sql_at", _("Became SQL"), "datetime"),
        FieldSpec("opportunity_at", _("Became opportunity"), "datetime"),
        FieldSpec("customer_at", _("Became customer"), "datetime"),
        FieldSpec("disqualified_at", _("Disqualified"), "datetime"),
        FieldSpec("is_converted", _("Converted (yes/no)"), "bool"),
        FieldSpec("converted_at", _("Converted on"), "datetime"),
        FieldSpec("crm_opportunity_id", _("Converted opportunity id"), "text"),
        FieldSpec("owner", _("Owner (sales)"), "text"),
        FieldSpec("first_contact_at", _("First sales contact"), "datetime"),
        FieldSpec("rejected_at", _("Rejected by sales"), "datetime"),
        FieldSpec("rejection_reason", _("Rejection reason"), "text"),
        FieldSpec("recycled_at", _("Recycled to marketing"), "datetime"),
    ],
    CrmKind.OPPORTUNITIES: [
        FieldSpec("external_id", _("Opportunity id"), "text", True),
        FieldSpec("created", _("Created"), "datetime", True),
        FieldSpec("amount", _("Amount"), "decimal", True),
        FieldSpec("closed", _("Close date"), "datetime"),
        FieldSpec("stage", _("Stage"), "text"),
        FieldSpec("status", _("Status (open/won/lost)"), "status"),
        FieldSpec("is_closed", _("Closed (yes/no)"), "bool"),
        FieldSpec("is_won", _("Won (yes/no)"), "bool"),
        FieldSpec("lead_external_id", _("Lead id (first of a list)"), "id_list"),
        FieldSpec("lead_source", _("Lead source"), "text"),
        FieldSpec("is_marketing_sourced", _("Marketing-sourced (yes/no)"), "bool"),
    ],
    CrmKind.TOUCHPOINTS: [
        FieldSpec("external_id", _("Touchpoint id (optional)"), "text"),
        FieldSpec("lead_external_id", _("Lead id"), "text", True),
        FieldSpec("occurred", _("Time"), "datetime", True),
        FieldSpec("channel", _("Channel"), "text", True),
        FieldSpec("campaign", _("Campaign"), "text"),
    ],
}

# Column headers of the common CRM exports (a tuple lists accepted alternatives, the first is the usual one): the
# English and German labels of HubSpot (current and older ones: "Original Source" became "Original Traffic
# Source"), the internal property names, and Salesforce's API names (Data Loader) as well as its report labels in
# English and German. Headers match by :func:`core.tabular.loose_header_key` (case, spaces, punctuation and a BOM
# do not count). Columns other than the required fields may be missing; the wizard warns about the important ones.
_HS_CREATED = ("Create Date", "Erstellungsdatum", "Erstelldatum", "createdate")
_HS_SOURCE = ("Original Traffic Source", "Original Source", "Ursprüngliche Traffic-Quelle", "Ursprüngliche Quelle",
              "Originalquelle", "hs_analytics_source")  # fmt: skip
_SF_CREATED = ("CreatedDate", "Created Date", "Create Date", "Erstelldatum", "Erstellt am", "Erstellungsdatum")
_SF_SOURCE = ("LeadSource", "Lead Source", "Lead-Quelle", "Leadquelle")


def _hs_stage_date(english: str, german: str, internal: str) -> tuple[str, ...]:
    return (
        f"Became a{'n' if english[0] in 'AEIOU' else ''} {english} Date",
        f'Date entered "{english} (Lifecycle Stage Pipeline)"',
        f"Datum der Konversion zum {german}",
        f"Datum der Konversion zur {german}",
        f"hs_lifecyclestage_{internal}_date",
    )


PRESETS: dict[tuple[str, str], dict[str, str | tuple[str, ...]]] = {
    ("hubspot", CrmKind.LEADS): {
        "external_id": ("Record ID", "Contact ID", "Datensatz-ID", "Kontakt-ID", "hs_object_id"),
        "created": _HS_CREATED,
        "lifecycle_stage": ("Lifecycle Stage", "Lebenszyklusphase", "Lifecycle-Phase", "lifecyclestage"),
        "channel": _HS_SOURCE,
        "campaign": (
            "Original Traffic Source Drill-Down 1",
            "Original Source Drill-Down 1",
            "Ursprüngliche Traffic-Quelle Drill-Down 1",
            "Ursprüngliche Quelle Drill-Down 1",
            "Ursprüngliche Quelle – Aufschlüsselung 1",
            "hs_analytics_source_data_1",
        ),
        "segment": ("Industry", "Branche", "industry"),
        "mql_at": _hs_stage_date("Marketing Qualified Lead", "Marketing-qualifizierten Lead", "marketingqualifiedlead"),
        "sal_at": _hs_stage_date("Sales Accepted Lead", "Sales-akzeptierten Lead", "salesacceptedlead"),
        "sql_at": _hs_stage_date("Sales Qualified Lead", "Sales-qualifizierten Lead", "salesqualifiedlead"),
        "opportunity_at": _hs_stage_date("Opportunity", "Opportunity", "opportunity"),
        "customer_at": _hs_stage_date("Customer", "Kunden", "customer"),
        "owner": ("Contact owner", "HubSpot Owner", "Kontaktinhaber", "hubspot_owner_id"),
        "first_contact_at": ("Date of first engagement", "Datum der ersten Interaktion", "hs_sa_first_engagement_date"),
    },
    ("hubspot", CrmKind.OPPORTUNITIES): {
        "external_id": ("Record ID", "Deal ID", "Datensatz-ID", "Deal-ID", "hs_object_id"),
        "stage": ("Deal Stage", "Deal-Phase", "Dealphase", "dealstage"),
        "amount": ("Amount", "Betrag", "amount"),
        "created": _HS_CREATED,
        "closed": ("Close Date", "Abschlussdatum", "closedate"),
        "is_won": ("Is Closed Won", "Ist gewonnen", "hs_is_closed_won"),
        "lead_external_id": (
            "Associated Contact IDs",
            "Associated Contact ID",
            "Zugeordnete Kontakt-IDs",
            "Verknüpfte Kontakt-IDs",
        ),
        "lead_source": (*_HS_SOURCE, "Original Source Type"),
    },
    ("salesforce", CrmKind.LEADS): {
        "external_id": ("Id", "Lead ID", "Lead-ID"),
        "created": _SF_CREATED,
        "channel": _SF_SOURCE,
        "lifecycle_stage": ("Status", "Lead Status", "Lead-Status", "Leadstatus"),
        "is_converted": ("IsConverted", "Converted", "Konvertiert"),
        "converted_at": ("ConvertedDate", "Converted Date", "Konvertierungsdatum", "Konvertiert am"),
        "crm_opportunity_id": (
            "ConvertedOpportunityId",
            "Converted Opportunity ID",
            "Konvertierte Opportunity-ID",
            "ID der konvertierten Opportunity",
        ),
        "segment": ("Industry", "Branche"),
        "mql_at": ("MQL_Date__c", "MQL Date", "MQL-Datum"),
        "sal_at": ("SAL_Date__c", "SAL Date", "SAL-Datum"),
        "sql_at": ("SQL_Date__c", "SQL Date", "SQL-Datum"),
        "disqualified_at": ("Disqualified_Date__c", "Disqualified Date", "Disqualifiziert am"),
        "owner": ("Lead Owner", "Owner.Name", "OwnerId", "Lead-Inhaber"),
        # Custom fields, named like the stage dates above (Salesforce has no standard field for these).
        "first_contact_at": "First_Contact_Date__c",
        "rejected_at": "Rejected_Date__c",
        "rejection_reason": "Rejection_Reason__c",
        "recycled_at": "Recycled_Date__c",
    },
    ("salesforce", CrmKind.OPPORTUNITIES): {
        "external_id": ("Id", "Opportunity ID", "Opportunity-ID"),
        "created": _SF_CREATED,
        "amount": ("Amount", "Betrag"),
        "closed": ("CloseDate", "Close Date", "Schlusstermin", "Abschlussdatum"),
        "stage": ("StageName", "Stage", "Phase"),
        "is_closed": ("IsClosed", "Closed", "Geschlossen"),
        "is_won": ("IsWon", "Won", "Gewonnen"),
        "lead_source": _SF_SOURCE,
    },
}


def field_specs(kind: str) -> dict[str, FieldSpec]:
    return {spec.name: spec for spec in FIELDS[kind]}


def preset_mapping(source: str, kind: str) -> dict[str, str | tuple[str, ...]] | None:
    return PRESETS.get((source, kind))


def match_columns(mapping: dict[str, str | tuple[str, ...]], header: list[str]) -> dict[str, str]:
    """{field: header cell} for the fields of ``mapping`` whose column (or one of its alternatives) is in
    ``header``, compared by core.tabular.loose_header_key; a column serves one field, the first to name it."""
    present: dict[str, str] = {}
    for cell in header:
        present.setdefault(tabular.loose_header_key(cell), cell)
    used: set[str] = set()
    found: dict[str, str] = {}
    for field, names in mapping.items():
        for name in (names,) if isinstance(names, str) else names:
            cell = present.get(tabular.loose_header_key(name))
            if cell is not None and cell not in used:
                found[field] = cell
                used.add(cell)
                break
    return found


def detect_source(kind: str, header: list[str]) -> str | None:
    """The CRM whose preset for ``kind`` finds all its required fields and the most columns in ``header``
    ("hubspot", "salesforce"), or None if no preset finds the required ones."""
    required = {spec.name for spec in FIELDS[kind] if spec.required}
    best, best_count = None, 0
    for (source, preset_kind), mapping in PRESETS.items():
        if preset_kind != kind:
            continue
        found = match_columns(mapping, header)
        if required <= set(found) and len(found) > best_count:
            best, best_count = source, len(found)
    return best


def mapping_warnings(kind: str, source: str, fields: set[str]) -> list[str]:
    """What a file without some expected columns means, said before anything is written."""
    warnings: list = []
    if kind == CrmKind.LEADS:
        if "channel" not in fields:
            warnings.append(_("No column for the channel / lead source: no lead will get a channel, and marketing- "
                              "and sales-sourced leads cannot be told apart."))  # fmt: skip
        if source == "salesforce" and "crm_opportunity_id" not in fields:
            warnings.append(_("No column for the converted opportunity id: leads will not be linked to their "
                              "opportunities."))  # fmt: skip
    elif kind == CrmKind.OPPORTUNITIES:
        decides = {"stage", "status", "is_won", "is_closed"} & fields
        if not decides:
            warnings.append(_("No column for the stage or won/lost: all deals will be open."))
        elif "is_closed" in fields and not {"stage", "status", "is_won"} & fields:
            warnings.append(_("No column for won: every closed deal will count as lost."))
        if decides and "closed" not in fields:
            warnings.append(_("No column for the close date: won and lost deals cannot be imported (they need "
                              "one); only open deals will be."))  # fmt: skip
        if not {"lead_external_id", "lead_source", "is_marketing_sourced"} & fields:
            warnings.append(_("No column for the contact ids or the lead source: deals are linked to leads only "
                              "through converted leads, and count as marketing-sourced only then."))  # fmt: skip
    return [str(warning) for warning in warnings]
