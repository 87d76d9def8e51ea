"""The checks of the PostgreSQL path of the opportunity and touchpoint import (crm.services.imports_pg_related):
the errors of the Python path as set-based SQL over crm_parsed, in its order, and what a row derives (an
opportunity's status and close date, a touchpoint's id)."""

from __future__ import annotations

import hashlib

from django.conf import settings as django_settings
from django.db import connection
from django.utils.translation import gettext as _

from ..models import CrmKind, Lead
from ..reader import BATCH_SIZE, MAX_STORED_ERRORS, MAX_TEXT, ImportRejected, error, field_specs
from . import imports_pg as pg
from .imports_pg import SEQ_DERIVED, SEQ_DUPLICATE, SEQ_REQUIRED

SEQ_MISSING_LEAD = 400
END_OF_FILE = 2**62


def _has_errors(cursor) -> bool:
    cursor.execute("SELECT EXISTS (SELECT 1 FROM crm_errors)")
    return cursor.fetchone()[0]


def _clean(cursor) -> str:
    return "NOT EXISTS (SELECT 1 FROM crm_errors AS e WHERE e.row_no = p.row_no)" if _has_errors(cursor) else "TRUE"


def stage_decides(index) -> bool:
    """An opportunity's status comes from its stage name when the file has no status and no won/closed flag."""
    return "stage" in index and not {"status", "is_won", "is_closed"} & set(index)


def _status_of(columns) -> str:
    """The status a row without errors gets (``_derive_opportunity``)."""
    if "status" in columns:
        return "p.status"
    if "is_won" in columns or "is_closed" in columns:
        won = "p.is_won" if "is_won" in columns else "FALSE"
        closed = "p.is_closed" if "is_closed" in columns else "FALSE"
        return f"CASE WHEN {won} THEN 'won' WHEN {closed} THEN 'lost' ELSE 'open' END"
    if "stage" in columns:
        return "p.stage_status"
    return "'open'"


def _cents_sql(amount: str) -> str:
    """``quantize(Decimal("0.01"))``: to cents, half to even (PostgreSQL's round() rounds half away from zero)."""
    hundred = f"({amount} * 100)"
    return (
        f"CASE WHEN {hundred} - trunc({hundred}) = 0.5 AND mod(trunc({hundred}), 2) = 0 "
        f"THEN trunc({hundred}) / 100 ELSE round({amount}, 2) END"
    )


def check(cursor, company_id: int, kind: str, columns: dict[str, str], skipped: bool = False) -> None:
    """The errors of the rows in crm_parsed; ``skipped``: rows unchanged since the last import were taken out
    (crm_match, all without errors as when they were written): ids twice are still looked for over the whole
    file, and the "No lead" errors come where they came without skipping."""
    specs = field_specs(kind)
    order = {field: n for n, field in enumerate(columns)}
    checks = []
    for field in columns:
        if specs[field].kind in ("text", "id_list"):
            checks.append(
                f"SELECT row_no, row_no, {order[field]}, '{field}', 'long', NULL, NULL FROM crm_parsed "  # noqa: S608
                f"WHERE char_length({field}) > {pg._limit(field)}"
            )
    for n, spec in enumerate(specs.values()):
        if spec.required:
            condition = (
                f"p.{spec.name} = ''"
                if spec.kind == "text"
                else f"p.{spec.name} IS NULL AND NOT EXISTS (SELECT 1 FROM crm_errors AS e "  # noqa: S608
                f"WHERE e.row_no = p.row_no AND e.field = '{spec.name}')"
            )
            checks.append(
                f"SELECT row_no, row_no, {SEQ_REQUIRED + n}, '{spec.name}', 'required', NULL, NULL "  # noqa: S608
                f"FROM crm_parsed AS p WHERE {condition}"
            )
    for check in checks:
        cursor.execute(f"INSERT INTO crm_errors {check}")
    if kind == CrmKind.OPPORTUNITIES:
        _derive_opportunities(cursor, columns)
    else:
        _derive_touchpoints(cursor, columns)
    # The rows without errors and their ids; a skipped row carries the id of the row it left as it was.
    rows = f"SELECT row_no, external_id FROM crm_parsed AS p WHERE {_clean(cursor)}"  # noqa: S608
    if skipped:
        rows += " UNION ALL SELECT row_no, external_id FROM crm_match"
    cursor.execute(
        f"INSERT INTO crm_errors SELECT row_no, row_no, {SEQ_DUPLICATE}, 'external_id', 'duplicate', "  # noqa: S608
        "external_id, first::text FROM (SELECT row_no, external_id, min(row_no) OVER (PARTITION BY external_id) "
        f"AS first FROM ({rows}) AS r WHERE external_id IN (SELECT external_id FROM ({rows}) AS r "
        "GROUP BY 1 HAVING count(*) > 1)) AS d WHERE row_no > first"
    )
    if kind == CrmKind.TOUCHPOINTS:
        _missing_leads(cursor, company_id, skipped)
    cursor.execute("SELECT count(*) FROM crm_errors")
    total = cursor.fetchone()[0]
    if not total:
        return
    cursor.execute(
        "SELECT row_no, field, code, value, extra FROM crm_errors ORDER BY pos, seq, row_no LIMIT %s",
        [MAX_STORED_ERRORS],
    )
    raise ImportRejected([_message(columns, *found) for found in cursor.fetchall()], total)


def _derive_opportunities(cursor, columns: dict[str, str]) -> None:
    """The status, close date and amount checks of ``_derive_opportunity`` on the rows without errors; the status
    and the close date to write go into the rows."""
    clean = _clean(cursor)
    closed = "p.closed" if "closed" in columns else "NULL::timestamptz"
    local = f"AT TIME ZONE '{django_settings.TIME_ZONE}'"
    cursor.execute(
        "ALTER TABLE crm_parsed ADD COLUMN final_status text, ADD COLUMN final_closed timestamptz, "
        "ADD COLUMN cents numeric"
    )
    cursor.execute(
        f"UPDATE crm_parsed AS p SET final_status = s.status, cents = {_cents_sql('p.amount')}, "  # noqa: S608
        f"final_closed = CASE WHEN s.status = 'open' THEN NULL WHEN {closed} < p.created "
        f"AND ({closed} {local})::date = (p.created {local})::date THEN p.created ELSE {closed} END "
        f"FROM (SELECT row_no, {_status_of(columns)} AS status FROM crm_parsed AS p) AS s "
        f"WHERE s.row_no = p.row_no AND {clean}"
    )
    cursor.execute(
        f"INSERT INTO crm_errors SELECT row_no, row_no, {SEQ_DERIVED}, field, code, NULL, NULL FROM ("  # noqa: S608
        "SELECT row_no, CASE WHEN final_status <> 'open' AND final_closed IS NULL THEN 'closed_missing' "
        "WHEN final_closed < created THEN 'closed_early' WHEN amount < 0 THEN 'negative' "
        "WHEN abs(cents) >= 1e12 THEN 'large' END AS code, "
        "CASE WHEN final_status <> 'open' AND final_closed IS NULL OR final_closed < created THEN 'closed' "
        "ELSE 'amount' END AS field FROM crm_parsed WHERE final_status IS NOT NULL) AS d WHERE code IS NOT NULL"
    )


def _derive_touchpoints(cursor, columns: dict[str, str]) -> None:
    """``_derive_touchpoint``: a row without errors and without an id gets the id of its lead, time (as
    ``isoformat()`` writes it), channel and campaign."""
    if "external_id" not in columns:
        cursor.execute("ALTER TABLE crm_parsed ADD COLUMN external_id text NOT NULL DEFAULT ''")
    clean = _clean(cursor)
    offset = "(p.w_occurred - (p.occurred AT TIME ZONE 'UTC'))"
    minutes = f"abs(extract(epoch FROM {offset})::int / 60)"
    iso = (
        "to_char(p.w_occurred, 'YYYY-MM-DD\"T\"HH24:MI:SS') "
        "|| CASE WHEN extract(microseconds FROM p.w_occurred)::int % 1000000 <> 0 "
        "THEN to_char(p.w_occurred, '.US') ELSE '' END "
        f"|| CASE WHEN {offset} < interval '0' THEN '-' ELSE '+' END "
        f"|| lpad(({minutes} / 60)::text, 2, '0') || ':' || lpad(({minutes} % 60)::text, 2, '0')"
    )
    campaign = "p.campaign" if "campaign" in columns else "''"
    key = f"p.lead_external_id || '|' || {iso} || '|' || p.channel || '|' || {campaign}"
    # PostgreSQL has no SHA-1 without pgcrypto: the keys are built in SQL, hashed here, and written back in one go.
    cursor.execute("CREATE TEMP TABLE crm_auto_ids (row_no bigint, external_id text) ON COMMIT DROP")
    with connection.connection.cursor(name="crm_auto_keys") as keys:
        keys.itersize = pg.FIX_BATCH
        keys.execute(f"SELECT p.row_no, {key} FROM crm_parsed AS p WHERE p.external_id = '' AND {clean}")  # noqa: S608
        while batch := keys.fetchmany(pg.FIX_BATCH):
            ids = [(n, "auto-" + hashlib.sha1(k.encode(), usedforsecurity=False).hexdigest()[:32]) for n, k in batch]
            with connection.cursor() as out:
                out.executemany("INSERT INTO crm_auto_ids VALUES (%s, %s)", ids)
    cursor.execute(
        "UPDATE crm_parsed AS p SET external_id = a.external_id FROM crm_auto_ids AS a WHERE a.row_no = p.row_no"
    )
    cursor.execute("DROP TABLE crm_auto_ids")


def _missing_leads(cursor, company_id: int, skipped: bool = False) -> None:
    """The error "No lead with id" for every row naming an unknown lead, placed where the Python path reports it:
    after the row that fills a batch of BATCH_SIZE named leads, or at the end of the file. Skipped rows (crm_match)
    named a lead that exists: they count in the batches but are not looked up."""
    limit = MAX_TEXT["lead_external_id"]
    named = (
        "SELECT row_no, lead_external_id FROM crm_parsed "  # noqa: S608
        f"WHERE lead_external_id <> '' AND char_length(lead_external_id) <= {limit}"
    )
    if skipped:
        named += " UNION ALL SELECT row_no, NULL FROM crm_match"
    cursor.execute(
        "WITH named AS (SELECT row_no, lead_external_id, row_number() OVER (ORDER BY row_no) AS n "  # noqa: S608
        f"FROM ({named}) AS r), "
        "flushes AS (SELECT n / %(batch)s AS batch, row_no FROM named WHERE n %% %(batch)s = 0) "
        f"INSERT INTO crm_errors SELECT coalesce(f.row_no, {END_OF_FILE}), d.row_no, {SEQ_MISSING_LEAD}, "
        "'lead_external_id', 'no_lead', d.lead_external_id, NULL FROM named AS d "
        "LEFT JOIN flushes AS f ON f.batch = (d.n - 1) / %(batch)s + 1 "
        f"WHERE d.lead_external_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {Lead._meta.db_table} AS l "
        "WHERE l.company_id = %(company)s AND l.external_id = d.lead_external_id)",
        {"batch": BATCH_SIZE, "company": company_id},
    )


def _message(columns: dict[str, str], row: int, field: str, code: str, value: str | None, extra: str | None) -> dict:
    column = columns.get(field, field)
    messages = {
        "closed_missing": _("A won or lost opportunity needs a close date."),
        "closed_early": _("The close date is before the creation date."),
        "negative": _("The amount cannot be negative."),
        "large": _("The amount is too large."),
    }
    if code in messages:
        return error(row, column, messages[code])
    if code == "no_lead":
        return error(row, columns.get("lead_external_id", ""), _("No lead with id “%(id)s”.") % {"id": value})
    return pg._message(columns, row, field, code, value, extra)
