"""The PostgreSQL path of the CSV import of leads: COPY, validation and upsert as set-based SQL.

The Python path (crm.services.import_run ``_validate`` / ``_write`` through :func:`crm.reader.parse_record`)
is the reference; this path gives the same rows and the same errors, seven times faster (1 M HubSpot contacts, a
new company's first load: 43,700 rows/s against 5,540 on these 2-core machines; see the README's Performance
section):

1. **Stage.** The file streams through ``COPY ... FROM STDIN (FORMAT csv)`` into a temporary table with one text
   column per CSV column and the row number (the header is row 1, like the Python reader; :mod:`.pg_sql`, shared
   with the opportunity and touchpoint path). The header, its
   delimiter and the encoding (UTF-8, else Windows-1252) are found by core.tabular, as in the Python path. If
   PostgreSQL cannot read the file (broken quoting, a row with another number of columns, an end-of-data marker
   ``\\.``, a stray quote, a field longer than Python's csv module takes), nothing has been written and
   :func:`import_leads` returns None: the caller then runs the Python path, which names the row and the reason
   exactly as before.
2. **Skip.** Rows whose digest (of the raw mapped values and the import's context) is the one their lead was last
   written with are taken out: a re-import parses, checks and writes only what changed (:func:`_skip_unchanged`).
3. **Parse.** One ``CREATE TABLE AS SELECT`` trims every value like Python's ``str.strip`` (unless the streaming saw
   that no field can start or end with white space), converts the usual date
   forms (ISO 8601 with or without a zone, HubSpot's "2026-03-04 10:22", German "04.03.2026 10:22") and booleans,
   and keeps the raw text of any value that is not in one of those forms. Only those few values go through
   :func:`parse_datetime` / :func:`parse_bool` in Python, which either fixes them up or yields their error.
4. **Check.** Too-long texts, missing required values, converted leads without a conversion date and ids that
   appear more than once (over the whole file, skipped rows included) go into an error table; the first
   MAX_STORED_ERRORS in row order are turned into the translated messages of the Python path. One scan says whether
   any row breaks a rule at all; on a company's first load ids twice are left to the unique key (step 5).
5. **Write.** One ``INSERT ... SELECT ... ON CONFLICT (company_id, external_id) DO UPDATE ... WHERE <row differs>``
   writes everything, each lead with its row's digest; a field the file does not carry is left as it is, as
   ``bulk_create(update_conflicts)`` does, in the file's order. Most of its time is the upkeep of the lead table's
   indexes, not the SQL around it. A company's first load is a plain ``INSERT``; if the unique key refuses it, the
   ids twice are looked for and named, or (none: a connector's sync came first) the upsert runs.

Errors come in row order (the Python path reports a duplicate found across its batches of BATCH_SIZE ids later);
with more than MAX_STORED_ERRORS errors the stored ones are therefore the first rows', and the total is the same.
An empty line in the file (a row of no values at all, which Python skips) makes COPY fail: such files take the
Python path.

Everything runs inside the caller's transaction; the temporary tables are dropped at the end (and on commit).
A quote between two ordinary characters (``101, "Anna"`` or ``5" Monitor``, not valid CSV) starts a quoted section
for PostgreSQL but is a plain character for Python's csv module: the streaming looks for one (only in chunks that
hold a quote at all) and leaves such a file to the Python path too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings as django_settings
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from core import tabular

from .. import reader
from ..models import CrmKind, Lead
from ..reader import (
    DEFAULT_TEXT_MAX,
    LONG_TEXT_FIELDS,
    MAX_STORED_ERRORS,
    MAX_TEXT,
    ImportRejected,
    ValueError_,
    error,
    field_specs,
)
from .pg_sql import (
    PG_ENCODINGS,
    WHITESPACE,
    _first_of_twice_sql,
    _form_sql,
    _has_huge_field,
    _moment_sql,
    _more_temp_buffers,
    _params,
    _stage,
    _trim_sql,
    create_parsed,
    digest_sql,
    flush_fixes,
    huge_field_sql,
    trimmed,
)

KINDS = {CrmKind.LEADS}
# Part of every row digest (see _skip_unchanged): raise it whenever a change here or in crm.reader reads or writes
# the same file row differently, so that the next re-import rewrites every lead once.
DIGEST_VERSION = 1
FIX_BATCH = 2000
TEMP_TABLES = "crm_stage, crm_parsed, crm_errors, crm_fixes, crm_match, crm_twice, crm_repeated"

# Order of a row's errors, as the Python path appends them: field errors in column order, then missing required
# values, then the conversion date, then duplicates.
SEQ_REQUIRED, SEQ_DERIVED, SEQ_DUPLICATE = 100, 200, 300


@dataclass
class Outcome:
    rows: int
    created: int
    encoding: str
    fields: frozenset[str]
    unchanged: int = 0  # rows skipped: their lead holds what they would write


def _limit(name: str) -> int:
    return MAX_TEXT.get(name) or LONG_TEXT_FIELDS.get(name) or DEFAULT_TEXT_MAX


def import_leads(
    job,
    binary,
    columns_for: Callable,
    progress: Callable,
    sources,
    encoding: str | None = None,
    date_order: str | None = None,
) -> Outcome | None:
    """Import ``binary`` (the uploaded CSV) into the job's company inside the caller's transaction. Returns None
    when PostgreSQL cannot read the file as CSV (nothing written; the caller falls back to the Python path).
    Raises ImportRejected with the errors of the Python path."""
    with connection.cursor() as cursor:
        _more_temp_buffers(cursor)
        cursor.execute(f"DROP TABLE IF EXISTS {TEMP_TABLES}")
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("SET LOCAL enable_memoize = off")  # it would cache per-row expressions that never repeat
        # Compiling the long per-row expressions costs more than it saves: 0.4 → 0.16 s to parse 10,000 changed rows
        cursor.execute("SET LOCAL jit = off")
        # The encoding, header and delimiter are found by core.tabular, as for the Python path.
        encoding = encoding or tabular.detect_encoding(binary)
        found = tabular.csv_header(binary, encoding)
        if found is None:
            return None
        header, delimiter = found
        columns = columns_for(header)
        if columns.errors:
            raise ImportRejected(columns.errors)
        staged = _stage(cursor, job, binary, len(header), delimiter, PG_ENCODINGS[encoding], progress)
        if staged.status != "ok":
            return None
        index = {field: max(i for i, h in enumerate(header) if h == name) for field, name in columns.columns.items()}
        digest = _digest_sql(index, date_order, sources)
        unchanged = _skip_unchanged(cursor, job.company_id, index, digest, len(header), staged)
        if unchanged is None:  # a field longer than Python's csv module takes: the Python path names its row
            return None
        rows = _parse(cursor, index, len(header), digest=digest, padded=staged.padded) + unchanged
        if rows == 0:
            raise ImportRejected([error(None, "", _("The file has a header but no data rows."))])
        _fix_unusual(cursor, index, date_order)
        first = _first_load(cursor, job.company_id)
        _check(cursor, job, columns.columns, unchanged=unchanged > 0, duplicates=not first)
        progress(phase="writing", done=0, total=rows)
        created = _write(cursor, job.company_id, index, sources, first=first, columns=columns.columns)
        cursor.execute(f"DROP TABLE IF EXISTS {TEMP_TABLES}")
    return Outcome(rows=rows, created=created, encoding=encoding, fields=frozenset(index), unchanged=unchanged)


def _digest_sql(index: dict[str, int], date_order: str | None, sources) -> str:
    """SQL of a staged row's digest (:func:`.pg_sql.digest_sql`) under everything that decides what a lead row
    writes: which field each column feeds, the date order, the company's source lists (is_marketing_sourced), the
    project time zone and DIGEST_VERSION."""
    context = [DIGEST_VERSION, sorted(index.items()), date_order, list(sources.key), django_settings.TIME_ZONE]
    return digest_sql(index, context)


def _skip_unchanged(cursor, company_id: int, index: dict[str, int], digest: str, width: int, staged) -> int | None:
    """Take the rows whose digest is the one their lead was last written with out of crm_stage. Such a row would
    write what its lead holds: it is not parsed, checked or written. The database trigger of migration crm 0005
    clears a lead's digest on any UPDATE that does not set it, so a lead changed since by another path is rewritten.
    Returns the number of rows taken out.

    crm_match keeps, per staged row, the lead of its id (NULL: a new id) and whether the row is skipped; a lead that
    two rows name (crm_twice) is an id twice in the file, for the duplicate check over the whole file.

    None when a field is longer than Python's csv module takes (:func:`.pg_sql._has_huge_field`): on a re-import that
    check rides along the join's scan of the staged rows instead of a scan of its own."""
    table = Lead._meta.db_table
    # A first load (or one after other paths wrote every lead) has nothing to skip: no join of the whole file
    cursor.execute(
        f"SELECT EXISTS (SELECT 1 FROM {table} WHERE company_id = %s AND import_digest IS NOT NULL)",  # noqa: S608
        [company_id],
    )
    if not cursor.fetchone()[0]:
        return None if _has_huge_field(cursor, width, staged) else 0
    external_id = _trim_sql(f"s.c{index['external_id']}")
    cursor.execute(
        f"CREATE TEMP TABLE crm_match ON COMMIT DROP AS SELECT s.row_no + 1 AS row_no, l.id AS lead_id, "  # noqa: S608
        f"l.import_digest = ({digest}) AS same, ({huge_field_sql(width, 's')}) AS huge "
        f"FROM crm_stage AS s LEFT JOIN {table} AS l ON l.company_id = %(company)s AND l.external_id = {external_id}",
        {"company": company_id, "ws": WHITESPACE},
    )
    staged = cursor.rowcount
    # count(DISTINCT) sorts the ids: cheaper than hashing them; the ids twice are looked for only if there are any
    cursor.execute(
        "SELECT count(*) FILTER (WHERE same), count(lead_id), count(DISTINCT lead_id), bool_or(huge) FROM crm_match"
    )
    unchanged, known, leads, huge = cursor.fetchone()
    if huge:
        return None
    cursor.execute("CREATE TEMP TABLE crm_twice ON COMMIT DROP AS SELECT NULL::bigint AS lead_id WHERE false")
    if known > leads:
        cursor.execute("INSERT INTO crm_twice SELECT lead_id FROM crm_match GROUP BY 1 HAVING count(*) > 1")
    if unchanged == 0:
        return 0
    if unchanged == staged:
        cursor.execute("TRUNCATE crm_stage")
    else:  # the changed rows into a new table: cheaper than deleting most of the staged ones
        cursor.execute(
            "CREATE TEMP TABLE crm_changed ON COMMIT DROP AS SELECT * FROM crm_stage AS s "
            "WHERE s.row_no + 1 IN (SELECT row_no FROM crm_match WHERE same IS NOT TRUE)"
        )
        cursor.execute("DROP TABLE crm_stage")
        cursor.execute("ALTER TABLE crm_changed RENAME TO crm_stage")
    return unchanged


def _parse(cursor, index: dict[str, int], width: int, digest: str = "NULL::bigint", padded: bool = True) -> int:
    """crm_parsed: one row per non-blank CSV row, values converted, raw text kept where Python must look; ``digest``
    (SQL over the staged row ``s``) is kept for the write. ``padded`` false: no field starts or ends with white
    space (:class:`.pg_sql._Padding`), nothing to trim."""
    specs = field_specs(CrmKind.LEADS)
    values, trims, blank = trimmed(index, width, padded)
    forms, moments = [], []
    select = ["s.row_no + 1 AS row_no", f"{digest} AS digest"]
    for field, i in index.items():
        kind = specs[field].kind
        t = values[i]
        if kind == "text":
            select.append(f"{t} AS {field}")
        elif kind == "datetime":
            forms.append(f"{_form_sql(t)} AS f_{field}")
            moments.append(f"{_moment_sql(t, f'f.f_{field}')} AS v_{field}")
            select.append(f"{_first_of_twice_sql(f'm.v_{field}', f'f.f_{field}')} AS {field}")
            select.append(f"CASE WHEN f.f_{field} = 9 THEN s.c{i} END AS raw_{field}")
        elif kind == "bool":
            value = (
                f"CASE WHEN lower({t}) = ANY(%(true_words)s) THEN true "
                f"WHEN lower({t}) = ANY(%(false_words)s) THEN false END"
            )
            select.append(f"{value} AS {field}")
            select.append(f"CASE WHEN ({value}) IS NULL THEN s.c{i} END AS raw_{field}")
    return create_parsed(
        cursor, select=select, trims=trims, blank=blank, forms=forms, moments=moments, params=_params()
    )


def _unusual_fields(index: dict[str, int]) -> list[str]:
    specs = field_specs(CrmKind.LEADS)
    return [field for field in index if specs[field].kind in ("datetime", "bool")]


def _fix_unusual(cursor, index: dict[str, int], date_order: str | None = None) -> None:
    """Values in no usual form go through the Python parsers: a value they accept is written back, the error of one
    they refuse goes into crm_errors (with its message)."""
    cursor.execute(
        "CREATE TEMP TABLE crm_errors (row_no bigint, seq int, field text, code text, value text, extra text) "
        "ON COMMIT DROP"
    )
    fields = _unusual_fields(index)
    if not fields:
        return
    cursor.execute(
        "CREATE TEMP TABLE crm_fixes (row_no bigint, field text, at timestamptz, flag boolean) ON COMMIT DROP"
    )
    specs = field_specs(CrmKind.LEADS)
    order = {field: n for n, field in enumerate(index)}
    where = " OR ".join(f"raw_{f} IS NOT NULL" for f in fields)
    raws = ", ".join(f"raw_{f}" for f in fields)
    fixes: list[tuple] = []
    errors: list[tuple] = []
    fixed_fields: set[str] = set()
    # A server-side cursor: however many values are unusual, only one batch is in memory.
    with connection.connection.cursor(name="crm_unusual") as unusual:
        unusual.itersize = FIX_BATCH
        unusual.execute(f"SELECT row_no, {raws} FROM crm_parsed WHERE {where}")  # noqa: S608
        for row_no, *values in unusual:
            for field, raw in zip(fields, values, strict=True):
                if raw is None:
                    continue
                try:
                    if specs[field].kind == "datetime":
                        fixes.append((row_no, field, reader.parse_datetime(raw, date_order), None))
                    else:
                        fixes.append((row_no, field, None, reader.parse_bool(raw)))
                    fixed_fields.add(field)
                except ValueError_ as exc:
                    errors.append((row_no, order[field], field, "message", str(exc), None))
            if len(fixes) >= FIX_BATCH or len(errors) >= FIX_BATCH:
                flush_fixes(fixes, errors)
    flush_fixes(fixes, errors)
    for field in sorted(fixed_fields):
        column = "at" if specs[field].kind == "datetime" else "flag"
        cursor.execute(
            f"UPDATE crm_parsed AS p SET {field} = x.{column} FROM crm_fixes AS x "  # noqa: S608
            "WHERE x.row_no = p.row_no AND x.field = %s",
            [field],
        )


def _check(cursor, job, columns: dict[str, str], unchanged: bool = False, duplicates: bool = True) -> None:
    """Too-long texts, missing required values, converted leads without a date and ids twice go into crm_errors;
    ImportRejected with the first MAX_STORED_ERRORS of them (and those of :func:`_fix_unusual`) if there are any.

    With ``duplicates`` false (a company's first load, written by a plain INSERT) ids twice are left to the unique
    key: the write looks for them only if it refuses the rows (:func:`_write`). They are looked for here all the same
    when the file has other errors, so that the count of errors is complete."""
    specs = field_specs(CrmKind.LEADS)
    order = {field: n for n, field in enumerate(columns)}
    checks = []  # (seq, field, code, condition on a row p of crm_parsed)
    for field in columns:
        if specs[field].kind == "text":
            checks.append((order[field], field, "long", f"char_length(p.{field}) > {_limit(field)}"))
    for n, spec in enumerate(specs.values()):
        if spec.required:
            condition = (
                f"p.{spec.name} = ''" if spec.kind == "text" else f"p.{spec.name} IS NULL AND p.raw_{spec.name} IS NULL"
            )
            checks.append((SEQ_REQUIRED + n, spec.name, "required", condition))
    converted = None
    if "is_converted" in columns:
        converted = "p.is_converted AND " + ("p.converted_at IS NULL" if "converted_at" in columns else "TRUE")
    # One scan says whether any row breaks a rule (usually none); only then is each rule's own scan run.
    anything = " OR ".join([f"({condition})" for *_, condition in checks] + ([f"({converted})"] if converted else []))
    cursor.execute(
        f"SELECT EXISTS (SELECT 1 FROM crm_parsed AS p WHERE {anything or 'FALSE'}), "  # noqa: S608
        "EXISTS (SELECT 1 FROM crm_errors)"
    )
    broken, refused = cursor.fetchone()
    if broken:
        for seq, field, code, condition in checks:
            cursor.execute(
                f"INSERT INTO crm_errors SELECT row_no, {seq}, '{field}', '{code}', NULL, NULL "  # noqa: S608
                f"FROM crm_parsed AS p WHERE {condition}"
            )
        cursor.execute("SELECT EXISTS (SELECT 1 FROM crm_errors)")
        refused = cursor.fetchone()[0]
    clean = "NOT EXISTS (SELECT 1 FROM crm_errors AS e WHERE e.row_no = p.row_no)" if refused else "TRUE"
    if converted and broken:
        cursor.execute(
            f"INSERT INTO crm_errors SELECT row_no, {SEQ_DERIVED}, 'converted_at', 'converted', NULL, NULL "  # noqa: S608
            f"FROM crm_parsed AS p WHERE {converted} AND {clean}"
        )
        cursor.execute("SELECT EXISTS (SELECT 1 FROM crm_errors)")
        if cursor.fetchone()[0]:
            clean = "NOT EXISTS (SELECT 1 FROM crm_errors AS e WHERE e.row_no = p.row_no)"
    if duplicates or clean != "TRUE":
        _check_duplicates(cursor, clean, unchanged)
    _reject_errors(cursor, columns)


def _reject_errors(cursor, columns: dict[str, str]) -> None:
    """ImportRejected with the first MAX_STORED_ERRORS errors in crm_errors, in row order, if there are any."""
    cursor.execute("SELECT count(*) FROM crm_errors")
    total = cursor.fetchone()[0]
    if not total:
        return
    cursor.execute(
        "SELECT row_no, field, code, value, extra FROM crm_errors ORDER BY row_no, seq LIMIT %s", [MAX_STORED_ERRORS]
    )
    raise ImportRejected([_message(columns, *found) for found in cursor.fetchall()], total)


def _check_duplicates(cursor, clean: str, unchanged: bool) -> None:
    """An id on more than one row without errors: every row after the first is a duplicate, as in the Python path.
    With skipped rows (crm_match; all without errors, as they were when they were written), over the whole file: ids
    twice among the skipped (the same lead matched twice), twice among the parsed, or in both."""
    # (SQL built from our own table and column names)
    rows = f"SELECT row_no, external_id FROM crm_parsed AS p WHERE {clean}"  # noqa: S608
    repeated = f"SELECT external_id FROM crm_parsed AS p WHERE {clean} GROUP BY 1 HAVING count(*) > 1"  # noqa: S608
    if unchanged:  # ids twice among the skipped rows, or in a skipped and a parsed row, name one lead twice
        table = Lead._meta.db_table
        repeated += f" UNION ALL SELECT l.external_id FROM {table} AS l JOIN crm_twice AS t ON t.lead_id = l.id"  # noqa: S608
        rows += (
            f" UNION ALL SELECT m.row_no, l.external_id FROM crm_match AS m JOIN {table} AS l ON l.id = m.lead_id "  # noqa: S608
            "WHERE m.same"
        )
    # The repeated ids first (usually none): only their rows are then looked at, not every row of the file.
    cursor.execute(f"CREATE TEMP TABLE crm_repeated ON COMMIT DROP AS {repeated}")
    if not cursor.rowcount:
        return
    cursor.execute(
        f"INSERT INTO crm_errors SELECT row_no, {SEQ_DUPLICATE}, 'external_id', 'duplicate', external_id, "  # noqa: S608
        "first::text FROM (SELECT row_no, external_id, min(row_no) OVER (PARTITION BY external_id) AS first "
        f"FROM ({rows}) AS r WHERE external_id IN (SELECT external_id FROM crm_repeated)) AS d WHERE row_no > first"
    )


def _message(columns: dict[str, str], row: int, field: str, code: str, value: str | None, extra: str | None) -> dict:
    column = columns.get(field, field)
    if code == "long":
        message = _("Longer than %(limit)s characters.") % {"limit": _limit(field)}
    elif code == "required":
        message = _("This value is required.")
    elif code == "converted":
        message = _("A converted lead needs a conversion date.")
    elif code == "duplicate":
        message = _("The id “%(id)s” appears more than once in the file (first in row %(first)s).") % {
            "id": value,
            "first": extra,
        }
        column = columns.get("external_id", "")
    else:
        message = value
    return error(row, column, message)


def _first_load(cursor, company_id: int) -> bool:
    """Whether the company has no lead yet (the write may then insert without looking for conflicts)."""
    cursor.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {Lead._meta.db_table} WHERE company_id = %s)", [company_id])  # noqa: S608
    return cursor.fetchone()[0]


def _write(cursor, company_id: int, index: dict[str, int], sources, first: bool, columns: dict[str, str]) -> int:
    """The one upsert. Returns how many rows were new; a row identical to the stored one is left alone.

    A company's ``first`` load is a plain INSERT: no speculative insertion, no per-row pre-check of the unique key, no
    rows returned and counted. If the unique key refuses it, either the file names an id twice (not looked for by
    :func:`_check` on a first load: ImportRejected, as there) or another writer (a connector's sync) added leads
    since; then the upsert runs instead, in the same transaction."""
    present = set(index)
    values: dict[str, str] = {}  # column -> SQL of the new value
    updates: dict[str, str] = {}  # column -> SQL of SET (only the fields the file carries)
    converted = "p.is_converted" if "is_converted" in present else "FALSE"
    converted_at = "p.converted_at" if "converted_at" in present else "NULL::timestamptz"
    for spec in field_specs(CrmKind.LEADS).values():
        name = spec.name
        if name in ("is_converted", "converted_at", "is_marketing_sourced"):
            continue
        if name in present:
            values[name] = f"p.{name}"
            if name != "external_id":
                updates[name] = f"EXCLUDED.{name}"
        else:
            values[name] = "''" if spec.kind == "text" else "NULL::timestamptz"
    # A converted lead reached SQL (and, converted into an opportunity, the opportunity stage) on conversion.
    values["sql_at"] = (
        f"CASE WHEN {converted} THEN coalesce({values['sql_at']}, {converted_at}) ELSE {values['sql_at']} END"
    )
    opportunity = f"{converted} AND {values['crm_opportunity_id']} <> ''"
    values["opportunity_at"] = (
        f"CASE WHEN {opportunity} THEN coalesce({values['opportunity_at']}, {converted_at}) "
        f"ELSE {values['opportunity_at']} END"
    )
    if "is_converted" in present:
        # Rows that are not converted carry no value for these when the file has no such column: keep the stored one.
        for name in ("sql_at", "opportunity_at"):
            if name not in present:
                updates[name] = f"coalesce(EXCLUDED.{name}, {Lead._meta.db_table}.{name})"
    sales: list[str] = []
    values["import_digest"] = "p.digest"  # the digest of the row that wrote the lead (see _skip_unchanged)
    updates["import_digest"] = "EXCLUDED.import_digest"
    if "is_marketing_sourced" in present:
        values["is_marketing_sourced"] = "p.is_marketing_sourced"
        updates["is_marketing_sourced"] = "EXCLUDED.is_marketing_sourced"
    elif "channel" in present:
        cursor.execute("SELECT DISTINCT channel FROM crm_parsed")
        sales = [channel for (channel,) in cursor.fetchall() if not sources.is_marketing_source(channel)]
        values["is_marketing_sourced"] = "NOT (p.channel = ANY(%(sales)s::text[]))"
        updates["is_marketing_sourced"] = "EXCLUDED.is_marketing_sourced"
    else:
        values["is_marketing_sourced"] = "TRUE"
    names = list(values)
    table = Lead._meta.db_table
    # In the file's order, unsorted. A new company's million leads beside another's million, INSERT seconds
    # unsorted / sorted by "created": ids and dates rising together (as a CRM numbers its records) 10.7 / 10.8,
    # both falling 11.0 / 10.9, ids rising and dates at random (the bench's file) 12.5-12.8 / 13.7-15.0. The
    # sort (~1 s) paid for itself in no case: the indexes on a date and the one on the id gain what the others lose.
    targets = ", ".join(f"{table}.{n}" for n in updates)  # never empty: "created" is required
    conflict = (
        f"DO UPDATE SET {', '.join(f'{n} = {sql}' for n, sql in updates.items())} "
        f"WHERE ({targets}) IS DISTINCT FROM ({', '.join(updates.values())})"
    )
    insert = (
        f"INSERT INTO {table} (company_id, {', '.join(names)}) "  # noqa: S608
        f"SELECT %(company)s, {', '.join(values[n] for n in names)} FROM crm_parsed AS p"
    )
    params = {"company": company_id, "sales": sales}
    if first:
        try:
            with transaction.atomic():
                cursor.execute(insert, params)
                return cursor.rowcount
        except IntegrityError:
            _check_duplicates(cursor, "TRUE", unchanged=False)
            _reject_errors(cursor, columns)
    cursor.execute(
        f"WITH written AS ({insert} ON CONFLICT (company_id, external_id) {conflict} "  # noqa: S608
        "RETURNING (xmax = 0) AS is_new) SELECT count(*) FILTER (WHERE is_new) FROM written",
        params,
    )
    return cursor.fetchone()[0]
