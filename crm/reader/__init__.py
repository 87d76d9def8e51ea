"""Reading CRM data: the fields we store, the CSV presets of HubSpot and Salesforce, value parsers, and a streamed
CSV reader. Pure functions and generators — no writes; the import and the bulk API (crm.services) both
parse through :func:`parse_record`, so a CSV row and an API item obey the same rules. On PostgreSQL, files are
imported by crm.services.imports_pg (leads) and imports_pg_related (opportunities, touchpoints), which apply these
same rules in SQL (and call these parsers for values in no usual form); change a rule here and there together —
tests/crm/test_crm_import_pg.py and test_crm_import_pg_related.py compare the two.

Accepted values: dates as ISO 8601 ("2026-03-04", "2026-03-04T10:22:00Z", Salesforce's
"2026-03-04T10:22:00.000+0000"), "2026-03-04 10:22" (HubSpot), German "04.03.2026" and "04.03.2026 10:22"; times
without a zone are read in the project time zone. Numbers with a decimal comma or point ("1.234,56", "1,234.56",
"1234,5", "€ 12.000" is twelve thousand: a lone group of exactly three digits after a dot or comma that repeats or
follows another separator is a thousands group). Booleans: true/false, yes/no, ja/nein, 1/0, x.

By concern: ``presets`` (the fields and the CRM column presets), ``values`` and ``dates`` (value parsers),
``records`` (:func:`parse_record`), ``files`` (the streamed CSV reader, header rows, footers, duplicate ids).
Import from here: ``from crm.reader import parse_record``.
"""

from .dates import (
    ZONE_ABBREVIATIONS,
    DateOrder,
    DateOrderScan,
    parse_datetime,
)
from .files import (
    BATCH_SIZE,
    ENCODINGS,
    HEADER_SEARCH_ROWS,
    MAX_STORED_ERRORS,
    FileUnreadable,
    SeenIds,
    error,
    has_report_footer,
    header_row,
    is_report_footer,
    iter_csv,
)
from .presets import (
    FIELDS,
    PRESETS,
    FieldSpec,
    ImportRejected,
    detect_source,
    field_specs,
    mapping_warnings,
    match_columns,
    preset_mapping,
)
from .records import (
    ParseContext,
    parse_record,
)
from .values import (
    DEFAULT_TEXT_MAX,
    FALSE_WORDS,
    LONG_TEXT_FIELDS,
    LOST_ENDINGS,
    MAX_TEXT,
    TRUE_WORDS,
    WON_ENDINGS,
    ValueError_,
    first_id,
    parse_bool,
    parse_decimal,
    parse_status,
    status_from_text,
)

__all__ = [
    "BATCH_SIZE",
    "DEFAULT_TEXT_MAX",
    "ENCODINGS",
    "FALSE_WORDS",
    "FIELDS",
    "HEADER_SEARCH_ROWS",
    "LONG_TEXT_FIELDS",
    "LOST_ENDINGS",
    "MAX_STORED_ERRORS",
    "MAX_TEXT",
    "PRESETS",
    "TRUE_WORDS",
    "WON_ENDINGS",
    "ZONE_ABBREVIATIONS",
    "DateOrder",
    "DateOrderScan",
    "FieldSpec",
    "FileUnreadable",
    "ImportRejected",
    "ParseContext",
    "SeenIds",
    "ValueError_",
    "detect_source",
    "error",
    "field_specs",
    "first_id",
    "has_report_footer",
    "header_row",
    "is_report_footer",
    "iter_csv",
    "mapping_warnings",
    "match_columns",
    "parse_bool",
    "parse_datetime",
    "parse_decimal",
    "parse_record",
    "parse_status",
    "preset_mapping",
    "status_from_text",
]
