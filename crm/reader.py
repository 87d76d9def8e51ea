"""Reading CRM data: the fields we store, the CSV presets of HubSpot and Salesforce, value parsers, and a streamed
CSV reader. Pure functions and generators — no writes; the import and the bulk API (crm.services) both
parse through :func:`parse_record`, so a CSV row and an API item obey the same rules. On PostgreSQL, leads are
imported by crm.services.imports_pg, which applies these same rules in SQL (and calls these parsers for values in
no usual form); change a rule here and there together — tests/crm/test_crm_import_pg.py compares the two.

Accepted values: dates as ISO 8601 ("2026-03-04", "2026-03-04T10:22:00Z", Salesforce's
"2026-03-04T10:22:00.000+0000"), "2026-03-04 10:22" (HubSpot), German "04.03.2026" and "04.03.2026 10:22"; times
without a zone are read in the project time zone. Numbers with a decimal comma or point ("1.234,56", "1,234.56",
"1234,5", "€ 12.000" is twelve thousand: a lone group of exactly three digits after a dot or comma that repeats or
follows another separator is a thousands group). Booleans: true/false, yes/no, ja/nein, 1/0, x.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core import numbers, tabular
from core.safety import date_in_range, date_range_message, text_problem

from .models import CrmKind, Opportunity

BATCH_SIZE = 2000
MAX_STORED_ERRORS = 500
MAX_TEXT = {"external_id": 64, "lead_external_id": 64, "crm_opportunity_id": 64}
DEFAULT_TEXT_MAX = 120
LONG_TEXT_FIELDS = {"campaign": 200, "rejection_reason": 200}


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

# Stage names (HubSpot "closedwon", Salesforce "Closed Won", German "Gewonnen") ending like this close a deal.
WON_ENDINGS = ("won", "gewonnen")
LOST_ENDINGS = ("lost", "verloren")
TRUE_WORDS = {"true", "yes", "ja", "1", "x", "wahr", "y", "j"}
FALSE_WORDS = {"false", "no", "nein", "0", "falsch", "n", ""}


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


# A Salesforce report's footer (Classic and "Details Only" exports): after the data, a blank line, then
# "Grand Totals (n records)", the report's generation line, "Confidential Information - Do Not Distribute" and the
# copyright line, in English or German. The first such row ends the data.
_FOOTER = re.compile(
    r"^\s*(grand totals?\b|gesamtsumme|confidential information|vertrauliche informationen|copyright\s*(\(c\)|©)"
    r"|generated by\s*:|erstellt von\s*:)",
    re.IGNORECASE,
)


def is_report_footer(cells: list[str]) -> bool:
    """Whether a row is a report footer line (its first non-blank cell: a formatted export's table starts in
    column B)."""
    first = next((cell for cell in cells if cell and cell.strip()), "")
    return bool(_FOOTER.match(first))


def has_report_footer(binary, encoding: str) -> bool:
    """Whether the last lines of the file are a report footer (read from the end; the stream is left at its
    start)."""
    binary.seek(0, 2)
    size = binary.tell()
    binary.seek(max(0, size - 4096))
    tail = binary.read().decode(encoding.replace("-sig", ""), errors="replace")
    binary.seek(0)
    return any(_FOOTER.match(line.lstrip('",;\t')) for line in tail.splitlines())


HEADER_SEARCH_ROWS = 30


def header_row(rows: Iterable[tuple[int, list[str]]], kind: str) -> int:
    """The row number of the header among ``rows`` ((row number, cells) as core.tabular.iter_csv reads a file,
    blank rows left out): Salesforce's "Formatted Report" export
    puts the report's name and its filters above the table, so the header is the first of the first
    HEADER_SEARCH_ROWS rows in which a preset finds the columns it needs. 1 (the first row, as in every other
    export) when no row does."""
    for number, cells in rows:
        if number > HEADER_SEARCH_ROWS:
            break
        if detect_source(kind, [cell.strip() for cell in cells]):
            return number
    return 1


# --------------------------------------------------------------------------------------------------- value parsers


class ValueError_(ValueError):
    """A value that cannot be read; the message says why (translated)."""


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ZONE_NO_COLON = re.compile(r"([+-]\d{2})(\d{2})$")
_PG_MAX_OFFSET = dt.timedelta(hours=15, minutes=59)
# Day and month in either order, then the year: German "04.03.2026" (always day first), US and UK "3/4/2026",
# "03/04/2026" (the order is the file's, see DateOrderScan). A time may follow ("10:22", "9:14 AM", "09:14:05",
# after a space or ", " as Salesforce writes it), then a zone ("Z", "UTC", "+01:00", "+0100", "CET", "MESZ").
_DAY_MONTH = re.compile(
    r"^(\d{1,2})([./])(\d{1,2})\2(\d{4})"
    r"(?:[ ,T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?(?:\s*([AaPp])\.?[Mm]\.?)?)?"
    r"(?:\s*(Z|[A-Za-z]{3,4}|(?:UTC|GMT)?[+-]\d{1,2}(?::?\d{2})?))?$"
)
# ISO 8601 with what exports add: a space before the zone, a named zone, AM/PM ("2026-03-04 10:22 AM CET").
_ISO_LOOSE = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6})\d*)?)?(?:\s*([AaPp])\.?[Mm]\.?)?)?"
    r"(?:\s*(Z|[A-Za-z]{3,4}|(?:UTC|GMT)?[+-]\d{1,2}(?::?\d{2})?))?$"
)
_NUMERIC_ZONE = re.compile(r"^(?:UTC|GMT)?([+-])(\d{1,2}):?(\d{2})?$")
# Zone abbreviations CRM exports write (Salesforce and HubSpot use the user's zone), German ones included.
ZONE_ABBREVIATIONS = {
    "Z": 0, "UTC": 0, "GMT": 0, "WET": 0, "WEST": 60, "BST": 60, "CET": 60, "MEZ": 60, "CEST": 120, "MESZ": 120,
    "EET": 120, "EEST": 180, "EST": -300, "EDT": -240, "CST": -360, "CDT": -300, "MST": -420, "MDT": -360,
    "PST": -480, "PDT": -420,
}  # fmt: skip


class DateOrder:
    """How a file writes "3/4/2026": day first (UK, most of Europe) or month first (US). German dots are always day
    first and ISO is year-month-day, whatever the file's order."""

    DAY_FIRST = "dmy"
    MONTH_FIRST = "mdy"
    CHOICES = (DAY_FIRST, MONTH_FIRST)


class DateOrderScan:
    """Finds a file's date order from all its slash dates: a first part over 12 can only be a day ("13/2/2026"),
    a second part over 12 only a day too ("2/13/2026" is month first). ``result`` is "dmy" or "mdy" when the values
    decide, "ambiguous" when every value could be either (every part ≤ 12 and some day ≠ month), "conflict" when
    some values are day first and others month first, and None when no value depends on the order."""

    AMBIGUOUS = "ambiguous"
    CONFLICT = "conflict"

    def __init__(self) -> None:
        self.day_first: tuple[int, str, str] | None = None  # first example: (row, column, value)
        self.month_first: tuple[int, str, str] | None = None
        self.ambiguous: tuple[int, str, str] | None = None

    def add(self, value: str, row: int = 0, column: str = "") -> None:
        m = _DAY_MONTH.match(value.strip())
        if not m or m.group(2) != "/":
            return
        first, second = int(m.group(1)), int(m.group(3))
        if first > 12 and self.day_first is None:
            self.day_first = (row, column, value.strip())
        elif second > 12 and first <= 12 and self.month_first is None:
            self.month_first = (row, column, value.strip())
        elif first <= 12 and second <= 12 and first != second and self.ambiguous is None:
            self.ambiguous = (row, column, value.strip())

    @property
    def result(self) -> str | None:
        if self.day_first and self.month_first:
            return self.CONFLICT
        if self.day_first:
            return DateOrder.DAY_FIRST
        if self.month_first:
            return DateOrder.MONTH_FIRST
        return self.AMBIGUOUS if self.ambiguous else None


def _zone(text: str | None) -> dt.tzinfo | None:
    if not text:
        return None
    upper = text.upper()
    if upper in ZONE_ABBREVIATIONS:
        return dt.timezone(dt.timedelta(minutes=ZONE_ABBREVIATIONS[upper]))
    m = _NUMERIC_ZONE.match(upper)
    if not m:
        return None
    minutes = int(m.group(2)) * 60 + int(m.group(3) or 0)
    if minutes > 23 * 60 + 59:
        return None
    return dt.timezone(dt.timedelta(minutes=-minutes if m.group(1) == "-" else minutes))


def _hour(hour: str | None, ampm: str | None) -> int:
    value = int(hour or 0)
    if ampm:
        if not 1 <= value <= 12:
            raise ValueError("hour")
        value = value % 12 + (12 if ampm.upper() == "P" else 0)
    return value


def _unreadable(value: str) -> ValueError_:
    return ValueError_(
        _("“%(value)s” is not a date we can read (use 2026-03-04, 2026-03-04 10:22, 04.03.2026 or 3/4/2026).")
        % {"value": value[:40]}
    )


def _from_parts(value, year, month, day, hour, minute, second, micro, ampm, zone_text) -> dt.datetime:
    zone = _zone(zone_text)
    if zone_text and zone is None:
        raise _unreadable(value)
    try:
        parsed = dt.datetime(
            int(year), int(month), int(day), _hour(hour, ampm), int(minute or 0), int(second or 0),
            int((micro or "0").ljust(6, "0")),
        )  # fmt: skip
    except ValueError as exc:
        raise ValueError_(_("“%(value)s” is not a valid date.") % {"value": value}) from exc
    return _aware(parsed.replace(tzinfo=zone) if zone else parsed)


def _aware(parsed: dt.datetime) -> dt.datetime:
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.get_default_timezone())
    elif abs(parsed.utcoffset()) > _PG_MAX_OFFSET:
        parsed = parsed.astimezone(dt.UTC)  # the same moment; PostgreSQL refuses offsets beyond ±15:59
    return _bounded(parsed)


def parse_datetime(value: str, order: str | None = None) -> dt.datetime | None:
    """A date or moment as CRM exports write it (see the module docstring). ``order`` is the file's order of
    slash dates (DateOrder); without it a slash date is read only where its parts decide ("13/2/2026")."""
    value = value.strip()
    if not value:
        return None
    m = _DAY_MONTH.match(value)
    if m:
        first, sep, second, year, hour, minute, second_s, ampm, zone_text = m.groups()
        if sep == "/":
            a, b = int(first), int(second)
            if order is None:
                if a > 12:
                    order = DateOrder.DAY_FIRST
                elif b > 12:
                    order = DateOrder.MONTH_FIRST
                elif a != b:
                    raise ValueError_(
                        _("“%(value)s” can be read day first or month first; choose the date order of the file.")
                        % {"value": value[:40]}
                    )
            day, month = (second, first) if order == DateOrder.MONTH_FIRST else (first, second)
        else:
            day, month = first, second
        return _from_parts(value, year, month, day, hour, minute, second_s, None, ampm, zone_text)
    candidate = value.replace("Z", "+00:00") if value.endswith("Z") else value
    candidate = _ZONE_NO_COLON.sub(r"\1:\2", candidate) if ("T" in candidate or " " in candidate) else candidate
    try:
        if _ISO_DATE.match(candidate):
            parsed = dt.datetime.combine(dt.date.fromisoformat(candidate), dt.time.min)
        else:
            parsed = dt.datetime.fromisoformat(candidate)
    except ValueError:
        m = _ISO_LOOSE.match(value)
        if not m:
            raise _unreadable(value) from None
        year, month, day, hour, minute, second_s, micro, ampm, zone_text = m.groups()
        return _from_parts(value, year, month, day, hour, minute, second_s, micro, ampm, zone_text)
    return _aware(parsed)


def _bounded(parsed: dt.datetime) -> dt.datetime:
    """CRM dates lie within core.safety's bounds (a 0001 or 9999 date breaks every KPI period after it)."""
    if not date_in_range(parsed):
        raise ValueError_(date_range_message())
    return parsed


def parse_decimal(value: str | int | float | Decimal) -> Decimal | None:
    """A number cell (core.numbers reads "1.234,56" and "1,234.56" alike, like every import)."""
    try:
        return numbers.parse_file_decimal(value)
    except numbers.NumberError as exc:
        raise ValueError_(str(exc)) from None


def parse_bool(value: str | bool | int | None) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    word = str(value).strip().casefold()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError_(_("“%(value)s” is not yes or no.") % {"value": str(value)[:40]})


def status_from_text(value: str) -> str:
    word = re.sub(r"[\s_\-]+", "", value.strip().casefold())
    if word.endswith(WON_ENDINGS):
        return Opportunity.Status.WON
    if word.endswith(LOST_ENDINGS):
        return Opportunity.Status.LOST
    return Opportunity.Status.OPEN


def parse_status(value: str) -> str:
    word = re.sub(r"[\s_\-]+", "", value.strip().casefold())
    if word in {"", "open", "offen"}:
        return Opportunity.Status.OPEN
    status = status_from_text(value)
    if status == Opportunity.Status.OPEN:
        raise ValueError_(_("“%(value)s” is not open, won or lost.") % {"value": value[:40]})
    return status


def first_id(value: str) -> str:
    return re.split(r"[;,|\s]+", value.strip())[0] if value.strip() else ""


# ------------------------------------------------------------------------------------------------- record parsing


@dataclass
class ParseContext:
    """What parsing needs besides the row: the company's source classification (crm.sources) and the file's date
    order."""

    sources: Any  # crm.sources.Sources
    date_order: str | None = None  # DateOrder of the file's slash dates, None where they decide themselves


def _text(name: str, value: Any) -> str:
    if value is None:
        return ""
    text = str(value).strip()
    if problem := text_problem(text):
        raise ValueError_(problem)
    limit = MAX_TEXT.get(name) or LONG_TEXT_FIELDS.get(name) or DEFAULT_TEXT_MAX
    if len(text) > limit:
        raise ValueError_(_("Longer than %(limit)s characters.") % {"limit": limit})
    return text


def parse_record(kind: str, raw: dict[str, Any], ctx: ParseContext) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Turn one raw record ({field: value as given}) into model values. Returns (values, errors); errors are
    (field, message) pairs. Fields missing from ``raw`` are not set (an upsert leaves them as they are)."""
    specs = field_specs(kind)
    values: dict[str, Any] = {}
    errors: list[tuple[str, str]] = []
    for name, raw_value in raw.items():
        spec = specs.get(name)
        if spec is None:
            errors.append((name, str(_("Unknown field."))))
            continue
        try:
            if spec.kind == "text":
                values[name] = _text(name, raw_value)
            elif spec.kind == "id_list":
                values[name] = _text(name, first_id(str(raw_value or "")))
            elif spec.kind == "datetime":
                if isinstance(raw_value, dt.datetime):
                    values[name] = _bounded(raw_value)
                else:
                    values[name] = parse_datetime(str(raw_value or ""), ctx.date_order)
            elif spec.kind == "decimal":
                values[name] = parse_decimal(raw_value if raw_value is not None else "")
            elif spec.kind == "bool":
                values[name] = parse_bool(raw_value)
            elif spec.kind == "status":
                values[name] = parse_status(str(raw_value or ""))
        except ValueError_ as exc:
            errors.append((name, str(exc)))
    failed = {name for name, _message in errors}
    for spec in specs.values():
        if spec.required and spec.name not in failed and values.get(spec.name) in (None, ""):
            errors.append((spec.name, str(_("This value is required."))))
    if errors:
        return values, errors
    if kind == CrmKind.LEADS:
        _derive_lead(values, ctx, errors)
    elif kind == CrmKind.OPPORTUNITIES:
        _derive_opportunity(values, ctx, errors)
    else:
        _derive_touchpoint(values)
    return values, errors


def _derive_lead(values: dict, ctx: ParseContext, errors: list) -> None:
    converted = values.pop("is_converted", None)
    converted_at = values.pop("converted_at", None)
    if converted:
        if converted_at is None:
            errors.append(("converted_at", str(_("A converted lead needs a conversion date."))))
            return
        if values.get("sql_at") is None:
            values["sql_at"] = converted_at
        if values.get("crm_opportunity_id") and values.get("opportunity_at") is None:
            values["opportunity_at"] = converted_at
    if "is_marketing_sourced" not in values and "channel" in values:
        values["is_marketing_sourced"] = ctx.sources.is_marketing_source(values["channel"])


def _derive_opportunity(values: dict, ctx: ParseContext, errors: list) -> None:
    is_closed = values.pop("is_closed", None)
    is_won = values.pop("is_won", None)
    if "status" not in values:
        if is_won is not None or is_closed is not None:
            values["status"] = (
                Opportunity.Status.WON
                if is_won
                else (Opportunity.Status.LOST if is_closed else Opportunity.Status.OPEN)
            )
        elif values.get("stage"):
            values["status"] = status_from_text(values["stage"])
        else:
            values["status"] = Opportunity.Status.OPEN
    if values["status"] == Opportunity.Status.OPEN:
        values["closed"] = None  # an open deal's close date is only the expected one
    else:
        closed = values.get("closed")
        if closed is None:
            errors.append(("closed", str(_("A won or lost opportunity needs a close date."))))
            return
        created = values["created"]
        if closed < created:
            if timezone.localtime(closed).date() == timezone.localtime(created).date():
                values["closed"] = created  # a close *date* on the creation day
            else:
                errors.append(("closed", str(_("The close date is before the creation date."))))
                return
    if values.get("amount") is not None and values["amount"] < 0:
        errors.append(("amount", str(_("The amount cannot be negative."))))
        return
    if values.get("amount") is not None:
        values["amount"] = values["amount"].quantize(Decimal("0.01"))
        if abs(values["amount"]) >= Decimal("1e12"):
            errors.append(("amount", str(_("The amount is too large."))))


def _derive_touchpoint(values: dict) -> None:
    if not values.get("external_id"):
        key = "|".join(
            [values["lead_external_id"], values["occurred"].isoformat(), values["channel"], values.get("campaign", "")]
        )
        values["external_id"] = "auto-" + hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:32]


# ------------------------------------------------------------------------------------------------------ CSV reading


# The shared reader's error (a file that is not a readable CSV: binary, UTF-16, broken quoting, neither encoding).
FileUnreadable = tabular.TabularError
ENCODINGS = tabular.ENCODINGS


def iter_csv(binary, encoding: str) -> Iterator[tuple[int, dict[str, str] | list[str]]]:
    """Stream a CSV from a binary file (core.tabular.iter_csv): yields (1, header list) first, then
    (row number, {header: value}) with the header as row 1, like a spreadsheet; a report footer ends the data.
    Raises FileUnreadable for a file that is not a readable CSV."""
    header: list[str] | None = None
    # Rows of a single cell in a file of many columns wait here: a report's footer starts with such lines (the
    # organisation's name) before "Confidential Information ..."; they are data only if no footer follows.
    single: list[tuple[int, list[str]]] = []
    for number, cells in tabular.iter_csv(binary, encoding):
        if header is None:
            header = [h.strip() for h in cells]
            yield 1, header
            continue
        if is_report_footer(cells):
            return
        if len(cells) == 1 and len(header) > 1:
            single.append((number, cells))
            continue
        for held, held_cells in single:
            yield held, dict(zip(header, held_cells, strict=False))
        single.clear()
        yield number, dict(zip(header, cells, strict=False))
    for held, held_cells in single:
        yield held, dict(zip(header, held_cells, strict=False))


class SeenIds:
    """The ids met so far in one file, to find duplicates without holding them in memory: they go in batches into
    a private temporary SQLite database on disk (``sqlite3.connect("")``, deleted on close), so memory stays flat
    for a file of any length; only the current batch lives in a dict."""

    CHUNK = 500  # below SQLite's smallest variable limit

    def __init__(self) -> None:
        self.db = sqlite3.connect("")
        self.db.execute("CREATE TABLE seen (id TEXT PRIMARY KEY, row INTEGER NOT NULL) WITHOUT ROWID")
        self.batch: dict[str, int] = {}

    def add(self, external_id: str, row: int) -> list[tuple[int, str, int]]:
        """Note ``external_id`` at ``row``; returns duplicates found so far as (row, id, first row)."""
        first = self.batch.get(external_id)
        if first is not None:
            return [(row, external_id, first)]
        self.batch[external_id] = row
        return self.flush() if len(self.batch) >= BATCH_SIZE else []

    def flush(self) -> list[tuple[int, str, int]]:
        ids = list(self.batch)
        duplicates = []
        for start in range(0, len(ids), self.CHUNK):
            chunk = ids[start : start + self.CHUNK]
            marks = ",".join("?" * len(chunk))
            for external_id, first in self.db.execute(f"SELECT id, row FROM seen WHERE id IN ({marks})", chunk):  # noqa: S608
                duplicates.append((self.batch[external_id], external_id, first))
        self.db.executemany("INSERT OR IGNORE INTO seen (id, row) VALUES (?, ?)", self.batch.items())
        self.batch = {}
        return sorted(duplicates)

    def close(self) -> None:
        self.db.close()


def error(row: int | None, column: str, message: str) -> dict:
    return {"row": row, "column": column, "message": str(message)}
