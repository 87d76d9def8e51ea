"""Reading CRM data: the fields we store, the CSV presets of HubSpot and Salesforce, value parsers, and a streamed
CSV reader. Pure functions and generators — no writes; the import and the bulk API (reporting.services_crm) both
parse through :func:`parse_record`, so a CSV row and an API item obey the same rules. On PostgreSQL, leads are
imported by reporting.crm_import_pg, which applies these same rules in SQL (and calls these parsers for values in
no usual form); change a rule here and there together — tests/reporting/test_crm_import_pg.py compares the two.

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
from collections.abc import Iterator
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

# CSV column headers of the common CRM exports (a tuple lists accepted alternatives, the first is the usual one).
# Headers match ignoring case and spaces. Columns other than the required fields may be missing.
PRESETS: dict[tuple[str, str], dict[str, str | tuple[str, ...]]] = {
    ("hubspot", CrmKind.LEADS): {
        "external_id": ("Record ID", "Contact ID"),
        "created": "Create Date",
        "lifecycle_stage": "Lifecycle Stage",
        "channel": "Original Traffic Source",
        "campaign": "Original Traffic Source Drill-Down 1",
        "segment": "Industry",
        "mql_at": "Became a Marketing Qualified Lead Date",
        "sal_at": "Became a Sales Accepted Lead Date",
        "sql_at": "Became a Sales Qualified Lead Date",
        "opportunity_at": "Became an Opportunity Date",
        "customer_at": "Became a Customer Date",
        "owner": ("Contact owner", "HubSpot Owner"),
        "first_contact_at": "Date of first engagement",
    },
    ("hubspot", CrmKind.OPPORTUNITIES): {
        "external_id": ("Record ID", "Deal ID"),
        "stage": "Deal Stage",
        "amount": "Amount",
        "created": "Create Date",
        "closed": "Close Date",
        "lead_external_id": "Associated Contact IDs",
        "lead_source": "Original Traffic Source",
    },
    ("salesforce", CrmKind.LEADS): {
        "external_id": ("Id", "Lead ID"),
        "created": ("CreatedDate", "Create Date", "Created Date"),
        "channel": "LeadSource",
        "lifecycle_stage": "Status",
        "is_converted": "IsConverted",
        "converted_at": "ConvertedDate",
        "crm_opportunity_id": "ConvertedOpportunityId",
        "segment": "Industry",
        "mql_at": "MQL_Date__c",
        "sal_at": "SAL_Date__c",
        "sql_at": "SQL_Date__c",
        "disqualified_at": "Disqualified_Date__c",
        "owner": ("Lead Owner", "Owner.Name", "OwnerId"),
        # Custom fields, named like the stage dates above (Salesforce has no standard field for these).
        "first_contact_at": "First_Contact_Date__c",
        "rejected_at": "Rejected_Date__c",
        "rejection_reason": "Rejection_Reason__c",
        "recycled_at": "Recycled_Date__c",
    },
    ("salesforce", CrmKind.OPPORTUNITIES): {
        "external_id": ("Id", "Opportunity ID"),
        "created": ("CreatedDate", "Created Date"),
        "amount": "Amount",
        "closed": "CloseDate",
        "stage": "StageName",
        "is_closed": "IsClosed",
        "is_won": "IsWon",
        "lead_source": "LeadSource",
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


# --------------------------------------------------------------------------------------------------- value parsers


class ValueError_(ValueError):
    """A value that cannot be read; the message says why (translated)."""


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_GERMAN = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:[ ,]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_ZONE_NO_COLON = re.compile(r"([+-]\d{2})(\d{2})$")
_PG_MAX_OFFSET = dt.timedelta(hours=15, minutes=59)


def parse_datetime(value: str) -> dt.datetime | None:
    value = value.strip()
    if not value:
        return None
    tz = timezone.get_default_timezone()
    m = _GERMAN.match(value)
    if m:
        day, month, year, hour, minute, second = m.groups()
        try:
            parsed = dt.datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
        except ValueError as exc:
            raise ValueError_(_("“%(value)s” is not a valid date.") % {"value": value}) from exc
        return _bounded(parsed.replace(tzinfo=tz))
    candidate = value.replace("Z", "+00:00") if value.endswith("Z") else value
    candidate = _ZONE_NO_COLON.sub(r"\1:\2", candidate) if ("T" in candidate or " " in candidate) else candidate
    try:
        if _ISO_DATE.match(candidate):
            parsed = dt.datetime.combine(dt.date.fromisoformat(candidate), dt.time.min)
        else:
            parsed = dt.datetime.fromisoformat(candidate)
    except ValueError as exc:
        raise ValueError_(
            _("“%(value)s” is not a date we can read (use 2026-03-04, 2026-03-04 10:22 or 04.03.2026).")
            % {"value": value[:40]}
        ) from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    elif abs(parsed.utcoffset()) > _PG_MAX_OFFSET:
        parsed = parsed.astimezone(dt.UTC)  # the same moment; PostgreSQL refuses offsets beyond ±15:59
    return _bounded(parsed)


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
    """What parsing needs besides the row: the company's settings (sales sources)."""

    settings: Any  # ReportingSettings


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
                    values[name] = parse_datetime(str(raw_value or ""))
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
        values["is_marketing_sourced"] = ctx.settings.is_marketing_source(values["channel"])


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
    (row number, {header: value}) with the header as row 1, like a spreadsheet. Raises FileUnreadable for a file
    that is not a readable CSV."""
    header: list[str] | None = None
    for number, cells in tabular.iter_csv(binary, encoding):
        if header is None:
            header = [h.strip() for h in cells]
            yield 1, header
            continue
        yield number, dict(zip(header, cells, strict=False))


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
