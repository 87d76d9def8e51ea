"""The PostgreSQL building blocks the CSV import paths share (leads: :mod:`.imports_pg`, opportunities and
touchpoints: :mod:`.imports_pg_related`): the file streamed through COPY into a staging table of text columns, and
the SQL expressions that read its values exactly as crm.reader does (trim, date forms, the autumn hour)."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import json
import re
import zoneinfo
from typing import NamedTuple

import psycopg
from django.conf import settings as django_settings
from django.db import DatabaseError, DataError, connection, transaction

from core.safety import DATE_MAX, DATE_MIN

from ..reader import FALSE_WORDS, TRUE_WORDS

CHUNK = 1 << 20
PG_ENCODINGS = {"utf-8-sig": "UTF8", "cp1252": "WIN1252"}
PYTHON_ENCODINGS = {pg: python for python, pg in PG_ENCODINGS.items()}
# Zones beyond ±15:59 (PostgreSQL's limit, Python's is ±23:59) are left to Python.
# Every character Python's str.strip() removes (str.isspace), so btrim() trims exactly like the Python path.
WHITESPACE = "".join(chr(c) for c in range(1, 0x3001) if chr(c).isspace())
ISO_RE = (
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"([ T]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?(Z|[+-](0[0-9]|1[0-5]):?[0-5][0-9])?)?$"
)
GERMAN_RE = (
    r"^(0?[1-9]|[12][0-9]|3[01])\.(0?[1-9]|1[0-2])\.([0-9]{4})"
    r"([ ,]+([01]?[0-9]|2[0-3]):([0-5][0-9])(:([0-5][0-9]))?)?$"
)
_END_MARKER = re.compile(rb"(?:^|[\r\n])\\\.(?:[\r\n]|$)")
# A quote between two ordinary characters (` "Anna"`, `5"x`) is not valid CSV: Python's csv module keeps it as a
# character, PostgreSQL starts a quoted section. Only invalid files have one, so they are left to Python.
_STRAY_QUOTE = {
    d: re.compile(rb'[^%(d)s\r\n"]"[^%(d)s\r\n"]' % {b"d": re.escape(d.encode())}) for d in (",", ";", "\t")
}


def huge_field_sql(width: int, alias: str = "") -> str:
    """SQL true for a staged row with a field longer than Python's csv module takes (see :func:`_has_huge_field`)."""
    limit = csv.field_size_limit()
    prefix = f"{alias}." if alias else ""
    # octet_length() is free, char_length() has to count: count only where the bytes could be too many
    return " OR ".join(
        f"(octet_length({prefix}c{i}) > {limit} AND char_length({prefix}c{i}) > {limit})" for i in range(width)
    )


def _has_huge_field(cursor, width: int, staged: Staged | None = None) -> bool:
    """Python's csv module refuses a field longer than its limit (131,072 characters) with "cannot be read as CSV";
    COPY takes it. Such a file goes to the Python path, which names the row as before. No scan when the streaming
    saw that no field can be that long (``staged.short_lines``)."""
    if staged is not None and staged.short_lines:
        return False
    cursor.execute(f"SELECT EXISTS (SELECT 1 FROM crm_stage WHERE {huge_field_sql(width)})")  # noqa: S608
    return cursor.fetchone()[0]


def _more_temp_buffers(cursor) -> None:
    """The staging tables of a large file would spill out of the default 8 MB of temporary buffers. PostgreSQL
    refuses the change once the session has used a temporary table with another size; then the default stays."""
    try:
        with transaction.atomic():
            cursor.execute("SET LOCAL temp_buffers = '256MB'")
    except DatabaseError:
        pass


class Staged(NamedTuple):
    status: str  # "ok", "encoding" (not this encoding) or "unreadable" (not CSV for COPY)
    # No quote in the file and no line longer than the csv module's field limit in bytes: an unquoted field holds
    # neither a line break nor more characters than bytes, so none is longer than the limit.
    short_lines: bool = False
    # Some field may start or end with white space (:class:`_Padding`): only then are the values trimmed in SQL.
    padded: bool = True


class _LineLengths:
    """Follows the longest line of a stream of chunks while it stays within ``limit`` bytes and no quote appears
    (about a millisecond a megabyte, while PostgreSQL reads the previous chunk)."""

    def __init__(self, limit: int):
        self.limit = limit
        self.run = 0  # bytes since the last line break
        self.short = True

    def add(self, chunk: bytes) -> None:
        if not self.short:
            return
        if b'"' in chunk:
            self.short = False
            return
        lines = chunk.replace(b"\r", b"\n").split(b"\n")
        if len(lines) == 1:
            self.run += len(chunk)
        else:
            longest = max(self.run + len(lines[0]), max(map(len, lines[1:-1]), default=0))
            self.run = len(lines[-1])
            self.short = longest <= self.limit
        self.short = self.short and self.run <= self.limit


class _Padding:
    """Follows whether any field of a stream of chunks may start or end with white space, which Python's
    str.strip() removes and so the parse has to trim (``padded``). In a file without quotes the fields end at the
    delimiter and the line breaks only, so one ``bytes.translate`` into classes (a boundary; a byte that begins or
    ends a white space in the file's encoding) and two searches for a boundary beside such a byte decide it, about
    3 ms a megabyte while PostgreSQL reads the previous chunk. In UTF-8 a field can neither start with the last
    byte of a character nor end with the first byte of one, so one class for both bytes costs no precision. It errs
    only towards "padded": a quote, or a value that starts or ends with a character sharing such a byte (as "ß"
    ends like U+205F), means trimming as before."""

    BOUNDARY, SPACE = b"\x01", b"\x02"

    def __init__(self, delimiter: str, encoding: str):
        codec = "utf-8" if encoding.startswith("utf-8") else encoding  # (utf-8-sig would prefix each with a BOM)
        table = bytearray(256)
        for char in WHITESPACE:
            try:
                encoded = char.encode(codec)
            except UnicodeEncodeError:
                continue
            table[encoded[0]] = table[encoded[-1]] = self.SPACE[0]
        for byte in (delimiter.encode(), b"\r", b"\n"):
            table[byte[0]] = self.BOUNDARY[0]
        self.table = bytes(table)
        self.last = self.BOUNDARY  # the file starts as after a line break
        self.padded = False

    def _found(self, classes: bytes) -> bool:
        return self.BOUNDARY + self.SPACE in classes or self.SPACE + self.BOUNDARY in classes

    def add(self, chunk: bytes) -> None:
        if self.padded or not chunk:
            return
        if b'"' in chunk:
            self.padded = True
            return
        classes = chunk.translate(self.table)
        self.padded = self._found(self.last + classes[:1]) or self._found(classes)
        self.last = classes[-1:]

    def finish(self) -> bool:
        """Whether the file may hold padded fields, once every chunk was added (the last field may end the file)."""
        self.add(b"\n")
        return self.padded


def _stage(cursor, job, binary, width: int, delimiter: str, pg_encoding: str, progress) -> Staged:
    """COPY the file into crm_stage (:class:`Staged` says how that went)."""
    names = ", ".join(f"c{i}" for i in range(width))
    text_columns = ", ".join(f"c{i} text" for i in range(width))
    delimiter_sql = {",": "','", ";": "';'", "\t": "E'\\t'"}[delimiter]
    binary.seek(0)
    try:
        with connection.cursor() as inner, transaction.atomic():
            inner.execute(
                # (the numbers in one session are consecutive; the cache spares a sequence update per row)
                f"CREATE TEMP TABLE crm_stage ({text_columns}, "
                "row_no bigint GENERATED ALWAYS AS IDENTITY (CACHE 10000)) ON COMMIT DROP"
            )
            statement = (
                f"COPY crm_stage ({names}) FROM STDIN WITH (FORMAT csv, HEADER true, DELIMITER {delimiter_sql}, "
                f"ENCODING '{pg_encoding}', FORCE_NOT_NULL ({names}))"
            )
            tail = b""
            sent = 0
            lines = _LineLengths(csv.field_size_limit())
            padding = _Padding(delimiter, PYTHON_ENCODINGS[pg_encoding])
            with inner.cursor.copy(statement) as copy:
                while chunk := binary.read(CHUNK):
                    window = tail + chunk if sent else chunk
                    # a plain search first: the regular expressions cost more than the COPY on a megabyte
                    if (b"\\." in window and _END_MARKER.search(window)) or (
                        b'"' in chunk and _STRAY_QUOTE[delimiter].search(window)
                    ):
                        raise _NotForCopy
                    tail = chunk[-3:]
                    copy.write(chunk)
                    lines.add(chunk)
                    padding.add(chunk)
                    sent += len(chunk)
                    progress(phase="validating", done=0, bytes=sent, size=job.size)
    except _NotForCopy:
        return Staged("unreadable")
    except (psycopg.errors.CharacterNotInRepertoire, psycopg.errors.UntranslatableCharacter):
        return Staged("encoding")
    except psycopg.errors.DataError:
        return Staged("unreadable")
    return Staged("ok", short_lines=lines.short, padded=padding.finish())


class _NotForCopy(Exception):
    """The file holds what COPY reads otherwise than Python: the end-of-data line ``\\.`` (COPY would stop there)
    or a stray quote."""


def _form_sql(t: str) -> str:
    """The form of one trimmed date value ``t``: 0 empty, 1 ISO 8601 without zone, 2 German, 3 ISO 8601 with a zone,
    9 anything else (left to Python, which also says why a year outside core.safety's bounds is refused)."""
    # A zone needs more than "YYYY-MM-DD HH:MM" (16 characters): the usual value needs no second regex. Text compared
    # as bytes (COLLATE "C"): digits sort alike in every collation, and strcoll() costs more than the comparison.
    iso = f"CASE WHEN octet_length({t}) > 16 AND substr({t}, 17) ~ '[Z+-]' THEN 3 ELSE 1 END"
    return (
        f"CASE WHEN {t} = '' THEN 0 {_usual_iso_sql(t)}"  # noqa: S608 (SQL built from our own column names)
        f'WHEN {t} ~ %(iso)s THEN CASE WHEN left({t}, 4) COLLATE "C" NOT BETWEEN %(year_min)s AND %(year_max)s '
        f"THEN 9 WHEN substr({t}, 9, 2) COLLATE \"C\" <= '28' THEN {iso} "
        f"WHEN substr({t}, 9, 2)::int <= extract(day from make_date(left({t}, 4)::int, substr({t}, 6, 2)::int, 1) "
        f"+ interval '1 month - 1 day') THEN {iso} ELSE 9 END "
        f'WHEN {t} ~ %(german)s THEN (SELECT CASE WHEN g[3] COLLATE "C" NOT BETWEEN %(year_min)s AND %(year_max)s '
        f"THEN 9 WHEN g[1]::int <= 28 THEN 2 "
        f"WHEN g[1]::int <= extract(day from make_date(g[3]::int, g[2]::int, 1) + interval '1 month - 1 day') "
        f"THEN 2 ELSE 9 END FROM regexp_match({t}, %(german)s) AS g) "
        f"ELSE 9 END"
    )


# The exports' usual shapes of a date without a zone (HubSpot "2026-03-04 10:22", with seconds, date only) and what
# PostgreSQL's timestamp output (DateStyle ISO) gives for each when every character in it was a digit of a valid date.
USUAL_ISO_SHAPES = (("____-__-__ __:__", " || ':00'"), ("____-__-__ __:__:__", ""), ("____-__-__", " || ' 00:00:00'"))


def _usual_iso_sql(t: str) -> str:
    """The fast way to form 1 (ISO without a zone) for the usual shapes: their separators by LIKE, then the value
    read as a timestamp must print as itself, which only a string of digits of a valid date and time does. The
    regular expression of :func:`_form_sql` costs 1.2 µs a value, this 0.4 µs. The year is held inside
    [year_min, year_max) by comparing the whole text (a value starting with year_max goes the exact way).

    A value of the shape that is not a date at all ("2026-13-01 10:22", "abcd-ef-gh") makes the cast raise; the
    statement is then run again with ``%(fast)s`` false (:func:`create_parsed`), where only the exact way decides.
    Timestamps print as ISO, as psycopg needs them to (DateStyle); under another style no value would print as
    itself and every value would go the exact way."""
    # One CASE, so that each test runs only after the one before it held (PostgreSQL does not promise an order for
    # AND): only a value of one of the shapes, within the years, is cast.
    shapes = " ".join(
        f"WHEN {t} LIKE '{shape}' THEN {t}::timestamp::text = {t}{suffix}" for shape, suffix in USUAL_ISO_SHAPES
    )
    return (
        f'WHEN CASE WHEN NOT %(fast)s OR {t} COLLATE "C" NOT BETWEEN %(year_min)s AND %(year_max)s THEN false '
        f"{shapes} ELSE false END THEN 1 "
    )


def _moment_sql(t: str, form: str) -> str:
    """The moment of a date value in a usual form, read in the session time zone (set to the project's)."""
    return (
        f"CASE WHEN {form} IN (1, 3) THEN {t}::timestamptz "  # noqa: S608 (SQL built from our own column names)
        f"WHEN {form} = 2 THEN (SELECT make_timestamptz(g[3]::int, g[2]::int, g[1]::int, coalesce(g[5], '0')::int, "
        f"coalesce(g[6], '0')::int, coalesce(g[8], '0')::double precision) FROM regexp_match({t}, %(german)s) AS g) "
        f"END"
    )


def _first_of_twice_sql(v: str, form: str) -> str:
    """A wall-clock time that happens twice (autumn) is the first of the two for Python (``replace(tzinfo=...)``,
    fold=0) but the second for PostgreSQL. The second moments of the project time zone's repeated hours are known
    (:func:`_autumn_hours`): a moment ``v`` of a value without a zone that is one of them becomes the first, ``v``
    less the hour's length. A binary search in a multirange, no time zone conversion per value."""
    cases = " ".join(
        f"WHEN {v} <@ '{hours}'::tstzmultirange THEN {v} - interval '{shift} seconds'"
        for shift, hours in _autumn_hours(django_settings.TIME_ZONE)
    )
    return f"CASE WHEN {form} NOT IN (1, 2) THEN {v} {cases} ELSE {v} END" if cases else v


@functools.lru_cache
def _autumn_hours(zone: str) -> tuple[tuple[int, str], ...]:
    """The moments at which a wall-clock time of ``zone`` (between core.safety's DATE_MIN and DATE_MAX) shows
    for the second time, as ((seconds the clocks went back, tstzmultirange literal in UTC), ...): after each
    change to a smaller offset at T by s seconds, [T, T + s). Found from Python's zone data, as the Python path
    reads the times, day by day and then to the second (~30 ms once per process)."""
    tz = zoneinfo.ZoneInfo(zone)
    utc = dt.UTC

    def offset(second: int) -> dt.timedelta:
        return dt.datetime.fromtimestamp(second, tz).utcoffset()

    day = 86400
    start = int(dt.datetime.combine(DATE_MIN, dt.time(), utc).timestamp()) - day
    end = int(dt.datetime.combine(DATE_MAX, dt.time(), utc).timestamp()) + 2 * day
    hours: dict[int, list[str]] = {}
    before = offset(start)
    for second in range(start + day, end, day):
        after = offset(second)
        if after < before:
            low, high = second - day, second  # the offset changes in (low, high]
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (middle, high) if offset(middle) == before else (low, middle)
            shift = int((before - after).total_seconds())
            first, last = dt.datetime.fromtimestamp(high, utc), dt.datetime.fromtimestamp(high + shift, utc)
            hours.setdefault(shift, []).append(f"[{first:%Y-%m-%d %H:%M:%S}+00,{last:%Y-%m-%d %H:%M:%S}+00)")
        before = after
    return tuple((shift, "{" + ",".join(ranges) + "}") for shift, ranges in sorted(hours.items()))


def _trim_sql(value: str) -> str:
    # btrim() with a set of 29 characters costs ~1.5 µs; most values start and end with a visible ASCII character.
    return (
        f"CASE WHEN ascii({value}) BETWEEN 33 AND 126 AND ascii(right({value}, 1)) BETWEEN 33 AND 126 THEN {value} "
        f"ELSE btrim({value}, %(ws)s) END"
    )


def trimmed(index: dict[str, int], width: int, padded: bool) -> tuple[dict[int, str], str, str]:
    """The SQL of each staged column a field reads (``index``: field -> column) as Python reads its value (trimmed,
    :func:`_trim_sql`; the raw value when the file has no padded field, ``padded`` false), the trims for
    :func:`create_parsed` (empty when none is needed) and the condition of a blank row (Python skips a row whose
    every value is blank; mapped columns first, so the usual row stops at the first)."""
    mapped = sorted(set(index.values()), key=list(index.values()).index)
    values = {i: f"t.t{i}" if padded else f"s.c{i}" for i in mapped}
    trims = ", ".join(f"{_trim_sql(f's.c{i}')} AS t{i}" for i in mapped) if padded else ""
    blank = " AND ".join(
        [f"{values[i]} = ''" for i in mapped] + [f"btrim(s.c{i}, %(ws)s) = ''" for i in range(width) if i not in mapped]
    )
    return values, trims, blank


def _params(**extra) -> dict:
    return {
        "ws": WHITESPACE,
        "iso": ISO_RE,
        "german": GERMAN_RE,
        "year_min": f"{DATE_MIN.year:04d}",
        "year_max": f"{DATE_MAX.year:04d}",
        "true_words": sorted(TRUE_WORDS),
        "false_words": sorted(FALSE_WORDS),
        **extra,
    }


def create_parsed(cursor, *, select: list[str], trims: str, blank: str, forms: list[str], moments: list[str],
                  params: dict) -> int:  # fmt: skip
    """CREATE the temp table crm_parsed from crm_stage: each row's trimmed values (``trims``, if any), its date forms
    and moments computed once per row, the ``select`` list, blank rows left out. Returns the number of rows."""
    laterals = f"CROSS JOIN LATERAL (SELECT {trims} OFFSET 0) AS t " if trims else ""
    if forms:  # each step once per row (OFFSET 0 keeps PostgreSQL from copying the expressions into every use)
        laterals += (
            f"CROSS JOIN LATERAL (SELECT {', '.join(forms)} OFFSET 0) AS f "
            f"CROSS JOIN LATERAL (SELECT {', '.join(moments)} OFFSET 0) AS m"
        )
    # Times without a zone are read in the project time zone: the session's, for this statement.
    cursor.execute("SELECT current_setting('TimeZone'), set_config('TimeZone', %s, true)", [django_settings.TIME_ZONE])
    session_zone = cursor.fetchone()[0]
    statement = (
        f"CREATE TEMP TABLE crm_parsed ON COMMIT DROP AS SELECT {', '.join(select)} "  # noqa: S608
        f"FROM crm_stage AS s {laterals} "
        f"WHERE NOT ({blank})"
    )
    try:
        with transaction.atomic():
            cursor.execute(statement, {**params, "fast": True})
    except DataError:  # a value shaped like a usual date is none: the exact forms decide (its row gets its error)
        cursor.execute(statement, {**params, "fast": False})
    rows = cursor.rowcount
    cursor.execute("SELECT set_config('TimeZone', %s, true)", [session_zone])
    return rows


def _seed(context: str, part) -> int:
    return int.from_bytes(hashlib.blake2b(f"{context}:{part}".encode(), digest_size=8).digest(), "big", signed=True)


def digest_sql(index: dict[str, int], context: list) -> str:
    """SQL of a staged row's digest (alias ``s``): a 64-bit hash of the raw text of the mapped columns only (an
    unmapped column such as "Last activity" may change freely) and of ``context``, everything else that decides
    what the row writes (the caller's list: which field each column feeds, the date order, the project time zone,
    its DIGEST_VERSION, ...). Each column is hashed with its own seed derived from that context (PostgreSQL's
    hashtextextended, ~0.1 µs a value) and the hashes are XORed: no concatenation, which would cost more than the
    hashing. Not cryptographic: a changed row keeps its old digest with a chance of 2^-64."""
    text = json.dumps(context, sort_keys=True)
    return " # ".join(f"hashtextextended(s.c{i}, {_seed(text, i)})" for i in sorted(set(index.values())))


def link_digest_sql(value: str, context: list) -> str:
    """SQL of the hash of a bigint ``value`` (NULL hashes as 0) under ``context``: XORed into a row's digest, it
    makes the digest also say what the row was written with from another table (a lead's id)."""
    return f"hashint8extended(coalesce({value}, 0), {_seed(json.dumps(context, sort_keys=True), 'link')})"


def flush_fixes(fixes: list, errors: list) -> None:
    """Write a batch of values the Python parsers fixed (crm_fixes) and of their errors (crm_errors), then empty
    both lists; each path's rows carry as many columns as its tables."""
    with connection.cursor() as cursor:
        for table, rows in (("crm_fixes", fixes), ("crm_errors", errors)):
            if rows:
                marks = ", ".join(["%s"] * len(rows[0]))
                cursor.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)  # noqa: S608
    fixes.clear()
    errors.clear()
