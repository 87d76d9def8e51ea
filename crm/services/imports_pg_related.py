"""The PostgreSQL path of the CSV import of opportunities and touchpoints: the staging, parsing and checking of
:mod:`crm.services.imports_pg` (the lead import's SQL path, read its docstring first) for the field kinds these two
have, and their own upserts.

The Python path (crm.services.import_run ``_validate`` / ``_write`` through :func:`crm.reader.parse_record` and
:mod:`crm.services.records`) stays the reference; this path gives the same rows and the same errors:

- **Values.** Amounts in the usual forms ("1234,5", "1234.50", German "1.234,56", English "1,234.56", a sign) are
  read in SQL; any other form (a currency sign, spaces, an apostrophe, a bare ".5") goes through
  :func:`parse_decimal`, as do dates and booleans in unusual forms through their parsers. A status or a stage
  name of plain ASCII is read in SQL (lower case equals Python's casefold there); others go to
  :func:`parse_status` / :func:`status_from_text`. A list of lead ids keeps its first id, split like
  :func:`first_id` (Python's whitespace is :data:`imports_pg.WHITESPACE`).
- **Opportunities.** A row without errors gets its status (the status column, else won/closed flags, else the
  stage name, else open) and the checks of ``_derive_opportunity``: a won or lost deal needs a close date on or
  after its creation (a close *date* on the creation day is moved to the creation time), the amount is not
  negative, it is rounded to cents half-to-even (Python's ``quantize``) and stays below 10¹². The lead is the one
  the row names, else the lead converted into the deal (the oldest, as the Python path's dict keeps it); the
  marketing flag follows the lead, else the lead source (crm.sources), unless the file gives it.
- **Touchpoints.** A row without an id gets ``auto-`` and the SHA-1 of lead id, time (``isoformat()``: the
  wall-clock time as written with its offset), channel and campaign, exactly as ``_derive_touchpoint``. An unknown
  lead is an error ("No lead with id"), reported where the Python path reports it: after the row that fills a
  batch of BATCH_SIZE lead ids, or at the end of the file.

Errors come in the Python path's order within a batch of BATCH_SIZE ids; a duplicate across batches is reported at
its row (the Python path reports it when the batch is flushed), as for leads.

**Skip (re-imports).** As for leads, a row whose stored opportunity or touchpoint holds the digest that row would
write is taken out before parsing (:func:`_skip_unchanged`). What such a row writes depends on the lead table too: an
opportunity's lead (the lead it names, else the lead converted into it) and, unless the file gives it, its marketing
flag (the lead's); a touchpoint's lead (its id). A change there clears no digest (the trigger of migration crm 0007
sees only the row's own UPDATEs), so the stored digest is the row's digest (:func:`pg_sql.digest_sql`) XOR a hash of
what it was written with from the lead table (:func:`pg_sql.link_digest_sql`: the lead id and, where it follows the
lead, the flag). A row is skipped only if that same link, looked up now, gives the stored digest: a lead created,
renamed, deleted or re-flagged since rewrites exactly the rows it affects, and a touchpoint whose lead is gone
or renamed is parsed and gets "No lead with id" as in the Python path. The check of the link is part of the one
join that finds the stored rows, not a second pass.

A touchpoint without an id (generated from its lead, time, channel and campaign) is found by its digest instead
of its id: rows with the same digest hold the same mapped values under the same context, so the same generated id.
Duplicates are still looked for over the whole file (skipped rows carry their stored id), and "No lead" errors are
placed after the same row as without skipping (skipped rows count in the batches of named leads).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings as django_settings
from django.db import connection
from django.utils.translation import gettext as _

from core import tabular

from .. import reader
from ..models import CrmKind, Lead, Opportunity, Touchpoint
from ..reader import ImportRejected, ValueError_, error, field_specs
from . import imports_pg as pg
from . import pg_sql
from .imports_pg import Outcome
from .imports_pg_related_check import check, stage_decides

KINDS = {CrmKind.OPPORTUNITIES, CrmKind.TOUCHPOINTS}
# Part of every row digest of this path (see _skip_unchanged): raise it whenever a change here, in
# imports_pg_related_check or in crm.reader reads or writes the same file row differently, so that the next
# re-import rewrites every opportunity and touchpoint once.
DIGEST_VERSION = 1
TEMP_TABLES = "crm_stage, crm_parsed, crm_errors, crm_fixes, crm_match"
# "12.000" / "4,500": one separator before exactly three digits is a thousands group in an amount (cents at most).
NUMBER_ONE_GROUP = r"^[+-]?[1-9][0-9]{0,2}[.,][0-9]{3}$"
NUMBER_PLAIN = r"^[+-]?[0-9]{1,20}([.,][0-9]{1,20})?$"
NUMBER_GERMAN = r"^[+-]?[0-9]{1,3}(\.[0-9]{3}){1,6}(,[0-9]{1,20})?$"
NUMBER_ENGLISH = r"^[+-]?[0-9]{1,3}(,[0-9]{3}){1,6}(\.[0-9]{1,20})?$"
STATUS_ASCII = r"^[A-Za-z _-]*$"
PRINTABLE_ASCII = r"^[ -~]*$"
ZONE_SUFFIX = r"(Z|[+-][0-9]{2}:?[0-9]{2})$"
# Fields read through a Python parser where SQL leaves them (value → column of crm_fixes).
_FIX_COLUMN = {"datetime": "at", "bool": "flag", "decimal": "num", "status": "txt", "stage_status": "txt"}


def import_related(
    job,
    binary,
    columns_for: Callable,
    progress: Callable,
    sources,
    encoding: str | None = None,
    date_order: str | None = None,
) -> Outcome | None:
    """Import ``binary`` (opportunities or touchpoints, ``job.kind``) into the job's company inside the caller's
    transaction. Returns None when PostgreSQL cannot read the file as CSV (nothing written; the caller falls back
    to the Python path). Raises ImportRejected with the errors of the Python path."""
    kind = job.kind
    with connection.cursor() as cursor:
        pg_sql._more_temp_buffers(cursor)
        cursor.execute(f"DROP TABLE IF EXISTS {TEMP_TABLES}")
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("SET LOCAL enable_memoize = off")
        encoding = encoding or tabular.detect_encoding(binary)
        found = tabular.csv_header(binary, encoding)
        if found is None:
            return None
        header, delimiter = found
        columns = columns_for(header)
        if columns.errors:
            raise ImportRejected(columns.errors)
        staged = pg_sql._stage(cursor, job, binary, len(header), delimiter, pg_sql.PG_ENCODINGS[encoding], progress)
        if staged.status != "ok" or pg_sql._has_huge_field(cursor, len(header), staged):
            return None
        index = {field: max(i for i, h in enumerate(header) if h == name) for field, name in columns.columns.items()}
        context = _context(kind, index, date_order, sources)
        digest = pg_sql.digest_sql(index, context)
        unchanged = _skip_unchanged(cursor, job.company_id, kind, index, digest, context)
        rows = _parse(cursor, kind, index, len(header), digest, padded=staged.padded) + unchanged
        if rows == 0:
            raise ImportRejected([error(None, "", _("The file has a header but no data rows."))])
        _fix_unusual(cursor, kind, index, date_order)
        check(cursor, job.company_id, kind, columns.columns, skipped=unchanged > 0)
        progress(phase="writing", done=0, total=rows)
        if kind == CrmKind.OPPORTUNITIES:
            created = _write_opportunities(cursor, job.company_id, index, sources, context)
        else:
            created = _write_touchpoints(cursor, job.company_id, index, context)
        cursor.execute(f"DROP TABLE IF EXISTS {TEMP_TABLES}")
    return Outcome(rows=rows, created=created, encoding=encoding, fields=frozenset(index), unchanged=unchanged)


# ------------------------------------------------------------------------------------------------------ skip


def _context(kind: str, index: dict[str, int], date_order: str | None, sources) -> list:
    """Everything besides the row and the lead table that decides what a row writes: the kind, which field each
    column feeds (and so how the status is found and whether the file gives the marketing flag), the date order,
    the project time zone, DIGEST_VERSION and, for opportunities, the company's source lists (the marketing flag of
    a deal without a lead follows its lead source)."""
    context = [DIGEST_VERSION, kind, sorted(index.items()), date_order, django_settings.TIME_ZONE]
    if kind == CrmKind.OPPORTUNITIES:
        context.append(list(sources.key))
    return context


def _link_sql(kind: str, present, context: list) -> str:
    """SQL of the hash of what a row is written with from the lead table (XORed into its stored digest): a
    touchpoint's lead ``l``; an opportunity's lead (``named``, else ``converted``, see :func:`_lead_joins`) and,
    unless the file gives it, that lead's marketing flag."""
    if kind == CrmKind.TOUCHPOINTS:
        return pg_sql.link_digest_sql("l.id", context)
    lead = "coalesce(named.id, converted.id)"
    if "is_marketing_sourced" not in present:
        lead = (
            f"{lead} * 2 + CASE WHEN coalesce(named.is_marketing_sourced, converted.is_marketing_sourced) "
            "THEN 1 ELSE 0 END"
        )
    return pg_sql.link_digest_sql(lead, context)


def _lead_joins(present, named_key: str, external_id: str) -> str:
    """The joins that find an opportunity's lead: ``named``, the lead the row names (``named_key``), and
    ``converted``, else the lead converted into the deal (``external_id``): where several are, the Python path's
    dict keeps the last of the lead ordering (newest first), that is the oldest."""
    leads = Lead._meta.db_table
    named = (
        f"LEFT JOIN {leads} AS named ON named.company_id = %(company)s AND {named_key} <> '' "
        f"AND named.external_id = {named_key}"
        if "lead_external_id" in present
        else "LEFT JOIN (SELECT NULL::bigint AS id, NULL::boolean AS is_marketing_sourced) AS named ON TRUE"
    )
    converted = (
        f"LEFT JOIN (SELECT DISTINCT ON (crm_opportunity_id) crm_opportunity_id, id, is_marketing_sourced "  # noqa: S608
        f"FROM {leads} WHERE company_id = %(company)s AND crm_opportunity_id <> '' "
        "ORDER BY crm_opportunity_id, created, id) AS converted "
        f"ON named.id IS NULL AND converted.crm_opportunity_id = {external_id}"
    )
    return f"{named} {converted}"


def _skip_unchanged(cursor, company_id: int, kind: str, index: dict[str, int], digest: str, context: list) -> int:
    """Take the rows whose stored opportunity or touchpoint holds the digest the row would write (its row digest
    XOR the hash of its lead link as the lead table gives it now) out of crm_stage: they are not parsed, checked or
    written. Returns their number; crm_match keeps their row number, the id of their stored row and its external
    id, for the duplicate check over the whole file. See the module docstring for why the lead link is part of it.

    Rows with an id are found by their id (one hash join on the unique (company, external id)), touchpoint rows
    without one (a generated id) by the digest itself."""
    model = Opportunity if kind == CrmKind.OPPORTUNITIES else Touchpoint
    table, leads = model._meta.db_table, Lead._meta.db_table
    cursor.execute("CREATE TEMP TABLE crm_match (row_no bigint, record_id bigint, external_id text) ON COMMIT DROP")
    # A first load (or one after other paths wrote every row) has nothing to skip: no join of the whole file
    cursor.execute(
        f"SELECT EXISTS (SELECT 1 FROM {table} WHERE company_id = %s AND import_digest IS NOT NULL)",  # noqa: S608
        [company_id],
    )
    if not cursor.fetchone()[0]:
        return 0
    params = _params() | {"company": company_id}
    key = pg_sql._trim_sql(f"s.c{index['external_id']}") if "external_id" in index else "''"
    named_key = "''"
    if "lead_external_id" in index:
        named_key = pg_sql._trim_sql(f"s.c{index['lead_external_id']}")
        if field_specs(kind)["lead_external_id"].kind == "id_list":
            named_key = f"substring({named_key} from %(first_id)s)"
    link = _link_sql(kind, index, context)
    # crm_stage has no statistics: PostgreSQL would guess it small and pick nested loops, which compute the digest
    # (or look up a lead) for every pair of row and stored row. Hash joins only, for these statements.
    cursor.execute("SELECT current_setting('enable_nestloop'), set_config('enable_nestloop', 'off', true)")
    nestloop = cursor.fetchone()[0]
    if kind == CrmKind.OPPORTUNITIES:
        cursor.execute(
            f"INSERT INTO crm_match SELECT c.row_no, c.record_id, c.external_id FROM (SELECT s.row_no + 1 AS row_no, "  # noqa: S608
            f"o.id AS record_id, o.external_id, o.import_digest AS stored, ({digest}) AS digest, "
            f"{named_key} AS named_key FROM crm_stage AS s JOIN {table} AS o ON o.company_id = %(company)s "
            f"AND o.external_id = {key} AND o.import_digest IS NOT NULL) AS c "
            f"{_lead_joins(index, 'c.named_key', 'c.external_id')} WHERE c.stored = c.digest # {link}",
            params,
        )
    else:
        lead = f"JOIN {leads} AS l ON l.company_id = %(company)s AND l.external_id = {named_key}"
        if "external_id" in index:
            cursor.execute(
                f"INSERT INTO crm_match SELECT s.row_no + 1, t.id, t.external_id FROM crm_stage AS s "  # noqa: S608
                f"JOIN {table} AS t ON t.company_id = %(company)s AND t.external_id = {key} "
                f"AND t.import_digest IS NOT NULL {lead} WHERE t.import_digest = ({digest}) # {link}",
                params,
            )
        # Rows without an id: their touchpoint is the one holding their digest (the same values give the same id).
        # The digests first (OFFSET 0), then one hash join on them: joined on the expression, a nested loop would
        # compute it for every pair of row and touchpoint.
        cursor.execute(
            "INSERT INTO crm_match SELECT d.row_no, t.id, t.external_id FROM (SELECT s.row_no + 1 AS row_no, "  # noqa: S608
            f"({digest}) # {link} AS digest FROM crm_stage AS s {lead} WHERE {key} = '' OFFSET 0) AS d "
            f"JOIN {table} AS t ON t.company_id = %(company)s AND t.import_digest = d.digest",
            params,
        )
    cursor.execute("SELECT set_config('enable_nestloop', %s, true)", [nestloop])
    cursor.execute("SELECT count(*) FROM crm_match")
    unchanged = cursor.fetchone()[0]
    if unchanged == 0:
        return 0
    cursor.execute("SELECT count(*) FROM crm_stage")
    if unchanged == cursor.fetchone()[0]:
        cursor.execute("TRUNCATE crm_stage")
    else:  # the changed rows into a new table: cheaper than deleting most of the staged ones
        cursor.execute(
            "CREATE TEMP TABLE crm_changed ON COMMIT DROP AS SELECT * FROM crm_stage AS s "
            "WHERE NOT EXISTS (SELECT 1 FROM crm_match AS m WHERE m.row_no = s.row_no + 1)"
        )
        cursor.execute("DROP TABLE crm_stage")
        cursor.execute("ALTER TABLE crm_changed RENAME TO crm_stage")
    return unchanged


# ------------------------------------------------------------------------------------------------------ parse


def _decimal_sql(t: str) -> str:
    return (
        f"CASE WHEN {t} ~ %(number_one_group)s THEN replace(replace({t}, '.', ''), ',', '')::numeric "
        f"WHEN {t} ~ %(number_plain)s THEN replace({t}, ',', '.')::numeric "
        f"WHEN {t} ~ %(number_german)s THEN replace(replace({t}, '.', ''), ',', '.')::numeric "
        f"WHEN {t} ~ %(number_english)s THEN replace({t}, ',', '')::numeric END"
    )


def _word_sql(t: str) -> str:
    return f"lower(regexp_replace({t}, '[ _-]+', '', 'g'))"


def _status_sql(t: str) -> str:
    """parse_status for values of letters, spaces, "_" and "-" (NULL: left to Python, which also names errors)."""
    w = _word_sql(t)
    return (
        f"CASE WHEN {t} ~ %(status_ascii)s THEN CASE WHEN {w} IN ('', 'open', 'offen') THEN 'open' "
        f"WHEN {w} ~ '(won|gewonnen)$' THEN 'won' WHEN {w} ~ '(lost|verloren)$' THEN 'lost' END END"
    )


def _stage_status_sql(t: str) -> str:
    """status_from_text for printable ASCII stage names (NULL: left to Python)."""
    w = _word_sql(t)
    return (
        f"CASE WHEN {t} ~ %(printable)s THEN CASE WHEN {w} ~ '(won|gewonnen)$' THEN 'won' "
        f"WHEN {w} ~ '(lost|verloren)$' THEN 'lost' ELSE 'open' END END"
    )


def _wall_sql(t: str, form: str) -> str:
    """The wall-clock time as written (what ``isoformat()`` shows before the offset)."""
    return (
        f"CASE WHEN {form} = 1 THEN {t}::timestamp "  # noqa: S608 (SQL built from our own column names)
        f"WHEN {form} = 3 THEN regexp_replace({t}, %(zone_suffix)s, '')::timestamp "
        f"WHEN {form} = 2 THEN (SELECT make_timestamp(g[3]::int, g[2]::int, g[1]::int, coalesce(g[5], '0')::int, "
        f"coalesce(g[6], '0')::int, coalesce(g[8], '0')::double precision) FROM regexp_match({t}, %(german)s) AS g) "
        f"END"
    )


def _params() -> dict:
    return pg_sql._params(
        first_id=f"^[^;,|{pg_sql.WHITESPACE}]*",
        number_one_group=NUMBER_ONE_GROUP,
        number_plain=NUMBER_PLAIN,
        number_german=NUMBER_GERMAN,
        number_english=NUMBER_ENGLISH,
        status_ascii=STATUS_ASCII,
        printable=PRINTABLE_ASCII,
        zone_suffix=ZONE_SUFFIX,
    )


def _parse(cursor, kind: str, index: dict[str, int], width: int, digest: str = "NULL::bigint",
           padded: bool = True) -> int:  # fmt: skip
    """crm_parsed: one row per non-blank CSV row, values converted, raw text kept where Python must look; ``digest``
    (SQL over the staged row ``s``) is kept for the write. ``padded`` false: nothing to trim
    (:func:`.pg_sql.trimmed`)."""
    specs = field_specs(kind)
    values, trims, blank = pg_sql.trimmed(index, width, padded)
    forms, moments = [], []
    select = ["s.row_no + 1 AS row_no", f"{digest} AS digest"]
    for field, i in index.items():
        spec_kind = specs[field].kind
        t, raw = values[i], f"s.c{i}"
        if spec_kind == "text":
            select.append(f"{t} AS {field}")
        elif spec_kind == "id_list":
            select.append(f"substring({t} from %(first_id)s) AS {field}")
        elif spec_kind == "datetime":
            forms.append(f"{pg_sql._form_sql(t)} AS f_{field}")
            moments.append(f"{pg_sql._moment_sql(t, f'f.f_{field}')} AS v_{field}")
            select.append(f"{pg_sql._first_of_twice_sql(f'm.v_{field}', f'f.f_{field}')} AS {field}")
            select.append(f"CASE WHEN f.f_{field} = 9 THEN {raw} END AS raw_{field}")
            if kind == CrmKind.TOUCHPOINTS:
                select.append(f"{_wall_sql(t, f'f.f_{field}')} AS w_{field}")
        else:
            value = {
                "bool": f"CASE WHEN lower({t}) = ANY(%(true_words)s) THEN true "
                f"WHEN lower({t}) = ANY(%(false_words)s) THEN false END",
                "decimal": _decimal_sql(t),
                "status": _status_sql(t),
            }[spec_kind]
            select.append(f"{value} AS {field}")
            empty = f"{t} = '' OR " if spec_kind == "decimal" else ""
            select.append(f"CASE WHEN NOT ({empty}({value}) IS NOT NULL) THEN {raw} END AS raw_{field}")
    if kind == CrmKind.OPPORTUNITIES and stage_decides(index):
        t, raw = values[index["stage"]], f"s.c{index['stage']}"
        select.append(f"{_stage_status_sql(t)} AS stage_status")
        select.append(f"CASE WHEN ({_stage_status_sql(t)}) IS NULL THEN {raw} END AS raw_stage_status")
    return pg_sql.create_parsed(
        cursor, select=select, trims=trims, blank=blank, forms=forms, moments=moments, params=_params()
    )


# ------------------------------------------------------------------------------------------------------ fix


def _unusual(kind: str, index: dict[str, int]) -> dict[str, str]:
    """{field: its value kind} of the fields whose unusual values Python reads."""
    specs = field_specs(kind)
    fields = {f: specs[f].kind for f in index if specs[f].kind in ("datetime", "bool", "decimal", "status")}
    if kind == CrmKind.OPPORTUNITIES and stage_decides(index):
        fields["stage_status"] = "stage_status"
    return fields


def _read(value_kind: str, raw: str, date_order: str | None):
    if value_kind == "datetime":
        return reader.parse_datetime(raw, date_order)
    if value_kind == "bool":
        return reader.parse_bool(raw)
    if value_kind == "decimal":
        return reader.parse_decimal(raw)
    if value_kind == "status":
        return reader.parse_status(raw)
    return reader.status_from_text(raw)


def _fix_unusual(cursor, kind: str, index: dict[str, int], date_order: str | None) -> None:
    """Values in no usual form go through the Python parsers: a value they accept is written back, the error of one
    they refuse goes into crm_errors (with its message)."""
    cursor.execute(
        "CREATE TEMP TABLE crm_errors (pos bigint, row_no bigint, seq int, field text, code text, value text, "
        "extra text) ON COMMIT DROP"
    )
    fields = _unusual(kind, index)
    if not fields:
        return
    cursor.execute(
        "CREATE TEMP TABLE crm_fixes (row_no bigint, field text, at timestamptz, wall timestamp, flag boolean, "
        "num numeric, txt text) ON COMMIT DROP"
    )
    order = {field: n for n, field in enumerate(index)}
    where = " OR ".join(f"raw_{f} IS NOT NULL" for f in fields)
    raws = ", ".join(f"raw_{f}" for f in fields)
    fixes: list[tuple] = []
    errors: list[tuple] = []
    fixed: set[str] = set()
    with connection.connection.cursor(name="crm_unusual") as unusual:
        unusual.itersize = pg.FIX_BATCH
        unusual.execute(f"SELECT row_no, {raws} FROM crm_parsed WHERE {where}")  # noqa: S608
        for row_no, *values in unusual:
            for (field, value_kind), raw in zip(fields.items(), values, strict=True):
                if raw is None:
                    continue
                try:
                    value = _read(value_kind, raw, date_order)
                except ValueError_ as exc:
                    errors.append((row_no, row_no, order[field], field, "message", str(exc), None))
                    continue
                fix = {"at": None, "wall": None, "flag": None, "num": None, "txt": None}
                fix[_FIX_COLUMN[value_kind]] = value
                if value_kind == "datetime" and value is not None:
                    fix["wall"] = value.replace(tzinfo=None)
                fixes.append((row_no, field, *fix.values()))
                fixed.add(field)
            if len(fixes) >= pg.FIX_BATCH or len(errors) >= pg.FIX_BATCH:
                pg_sql.flush_fixes(fixes, errors)
    pg_sql.flush_fixes(fixes, errors)
    for field in sorted(fixed):
        column = _FIX_COLUMN[fields[field]]
        wall = f", w_{field} = x.wall" if fields[field] == "datetime" and kind == CrmKind.TOUCHPOINTS else ""
        cursor.execute(
            f"UPDATE crm_parsed AS p SET {field} = x.{column}{wall} FROM crm_fixes AS x "  # noqa: S608
            "WHERE x.row_no = p.row_no AND x.field = %s",
            [field],
        )


# ------------------------------------------------------------------------------------------------------ write


def _upsert(cursor, table: str, values: dict[str, str], updates: dict[str, str], source: str, params: dict) -> int:
    names = list(values)
    targets = ", ".join(f"{table}.{n}" for n in updates)
    conflict = (
        f"DO UPDATE SET {', '.join(f'{n} = {sql}' for n, sql in updates.items())} "
        f"WHERE ({targets}) IS DISTINCT FROM ({', '.join(updates.values())})"
    )
    cursor.execute(
        f"WITH written AS (INSERT INTO {table} (company_id, {', '.join(names)}) "  # noqa: S608
        f"SELECT %(company)s, {', '.join(values[n] for n in names)} {source} "
        f"ON CONFLICT (company_id, external_id) {conflict} RETURNING (xmax = 0) AS is_new) "
        "SELECT count(*) FILTER (WHERE is_new) FROM written",
        params,
    )
    return cursor.fetchone()[0]


def _write_opportunities(cursor, company_id: int, index: dict[str, int], sources, context: list) -> int:
    """The one upsert of opportunities, with their leads (``_resolve_opportunity_leads``) and their digests."""
    present = set(index)
    values = {
        "external_id": "p.external_id",
        "created": "p.created",
        "amount": "p.cents",
        "stage": "p.stage" if "stage" in present else "''",
        "lead_source": "p.lead_source" if "lead_source" in present else "''",
        "status": "p.final_status",
        "closed": "p.final_closed",
        "lead_id": "coalesce(named.id, converted.id)",
    }
    found: list[str] = []
    if "is_marketing_sourced" in present:
        values["is_marketing_sourced"] = "p.is_marketing_sourced"
    else:
        if "lead_source" in present:
            cursor.execute("SELECT DISTINCT lead_source FROM crm_parsed")
            found = [s for (s,) in cursor.fetchall() if sources.is_marketing_source(s)]
            by_source = "p.lead_source = ANY(%(marketing)s::text[])"
        else:
            by_source = "TRUE" if sources.is_marketing_source("") else "FALSE"
        values["is_marketing_sourced"] = (
            "CASE WHEN named.id IS NOT NULL THEN named.is_marketing_sourced WHEN converted.id IS NOT NULL "
            f"THEN converted.is_marketing_sourced ELSE {by_source} END"
        )
    values["import_digest"] = f"p.digest # {_link_sql(CrmKind.OPPORTUNITIES, present, context)}"
    updates = {n: f"EXCLUDED.{n}" for n in values if n != "external_id"}
    for name in ("stage", "lead_source"):
        if name not in present:
            updates.pop(name)
    named_key = "p.lead_external_id" if "lead_external_id" in present else "''"
    source = f"FROM crm_parsed AS p {_lead_joins(present, named_key, 'p.external_id')} ORDER BY p.created, p.row_no"
    return _upsert(cursor, Opportunity._meta.db_table, values, updates, source,
                   {"company": company_id, "marketing": found})  # fmt: skip


def _write_touchpoints(cursor, company_id: int, index: dict[str, int], context: list) -> int:
    """The one upsert of touchpoints, with their digests; every lead exists (checked)."""
    values = {
        "external_id": "p.external_id",
        "lead_id": "l.id",
        "occurred": "p.occurred",
        "channel": "p.channel",
        "campaign": "p.campaign" if "campaign" in index else "''",
        "import_digest": f"p.digest # {_link_sql(CrmKind.TOUCHPOINTS, index, context)}",
    }
    updates = {n: f"EXCLUDED.{n}" for n in values if n != "external_id" and (n != "campaign" or n in index)}
    source = (
        f"FROM crm_parsed AS p JOIN {Lead._meta.db_table} AS l ON l.company_id = %(company)s "
        "AND l.external_id = p.lead_external_id ORDER BY p.row_no"
    )
    return _upsert(cursor, Touchpoint._meta.db_table, values, updates, source, {"company": company_id})
