"""Tables in and out, one way for every import and export: CSV/XLSX reading with encoding and delimiter detection and
header normalisation, and a formula-safe writer.

Reading. A CSV is UTF-8 (with or without BOM, as "CSV UTF-8" from Excel) or Windows-1252 (German Excel's plain
"CSV"); UTF-16 and binary files are refused. The delimiter is the most frequent of comma, semicolon and tab in the
header line. Header cells compare by :func:`header_key` (case, surrounding and repeated spaces, ``_``/``-``/space
alike) or, for third-party exports, by :func:`loose_header_key` (case, spaces and punctuation ignored). Large CSVs
stream (:func:`iter_csv`); small tables (:func:`read_table`) come back as lists, XLSX included.

Writing. A text cell that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or
carriage return) gets a leading apostrophe (:func:`safe_cell`; :func:`unescape_cell` undoes it on import); numbers
and dates stay typed. CSV is written with a BOM so that Excel reads umlauts.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Any

from django.utils.translation import gettext as _

ENCODINGS = ("utf-8-sig", "cp1252")
DELIMITERS = (",", ";", "\t")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 1 << 16


class TabularError(Exception):
    """The file cannot be read as a table; ``message`` says why (translated), ``row`` where, if known."""

    def __init__(self, message: str, row: int | None = None):
        self.message = str(message)
        self.row = row
        super().__init__(self.message)


# ------------------------------------------------------------------------------------------------------ reading


def looks_binary(head: bytes) -> bool:
    """NUL bytes (or a UTF-16 byte order mark) never start a CSV in an encoding we accept."""
    return head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in head[:8192]


def _binary_message() -> str:
    return _("The file is UTF-16 or binary, not a text CSV. Export it as CSV in UTF-8 (or Windows-1252).")


def check_text(binary: IO[bytes]) -> None:
    """Refuse UTF-16 and binary files from their first bytes (the stream is left at its start)."""
    binary.seek(0)
    head = binary.read(8192)
    binary.seek(0)
    if looks_binary(head):
        raise TabularError(_binary_message())


def detect_encoding(binary: IO[bytes]) -> str:
    """ "utf-8-sig" if the whole stream is UTF-8, else "cp1252" if it is Windows-1252; reads in chunks (a file of any
    size) and leaves the stream at its start. Raises TabularError for binary files and for bytes neither encoding
    has (cp1252 leaves five byte values undefined)."""
    check_text(binary)
    for encoding in ENCODINGS:
        decoder = codecs.getincrementaldecoder(encoding)()
        binary.seek(0)
        try:
            for chunk in iter(lambda: binary.read(CHUNK), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        finally:
            binary.seek(0)
        return encoding
    raise TabularError(_("The file is neither UTF-8 nor Windows-1252 text. Export it as CSV in UTF-8."))


def decode(data: bytes) -> str:
    """A whole small file as text (see :func:`detect_encoding`), without its BOM."""
    encoding = detect_encoding(io.BytesIO(data))
    return data.decode(encoding)


def sniff_delimiter(header_line: str) -> str:
    """The most frequent of comma, semicolon and tab in the header line; a comma if there is none."""
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


_HEADER_GAPS = re.compile(r"[\s_\-]+")


def header_key(name: Any) -> str:
    """How header cells compare: "Planned Amount", " planned_amount", "planned-amount" → "planned_amount"."""
    text = "" if name is None else str(name)
    return _HEADER_GAPS.sub("_", text.replace(BOM, "").strip()).strip("_").casefold()


_NOT_ALNUM = re.compile(r"[\W_]+")
_MOJIBAKE_BOM = "\u00ef\u00bb\u00bf"  # a UTF-8 BOM read as Windows-1252


def loose_header_key(name: Any) -> str:
    """How header cells compare where exports spell one label many ways: case, spaces, punctuation and a BOM do not
    count ("Original Source Drill-Down 1", "original_source_drilldown_1" and "\ufeffOriginal Source Drill Down 1"
    are the same; umlauts and digits count)."""
    text = "" if name is None else str(name)
    text = text.replace(BOM, "").replace(_MOJIBAKE_BOM, "")
    return _NOT_ALNUM.sub("", text).casefold()


def iter_csv(binary: IO[bytes], encoding: str | None = None) -> Iterator[tuple[int, list[str]]]:
    """Stream a CSV from a binary file: (row number as a spreadsheet shows it, cells), the header being row 1.
    Rows without any non-blank cell are skipped. The encoding is detected unless given; raises TabularError for a
    file that is not a readable CSV (binary, broken quoting) and UnicodeDecodeError for a wrongly given encoding."""
    encoding = encoding or detect_encoding(binary)
    binary.seek(0)
    text = io.TextIOWrapper(binary, encoding=encoding, newline="", errors="strict")
    number = 0
    try:
        delimiter = sniff_delimiter(text.readline())
        text.seek(0)
        reader = csv.reader(text, delimiter=delimiter)
        try:
            for cells in reader:
                number += 1
                if number == 1 or any(cell.strip() for cell in cells):
                    yield number, cells
        except csv.Error as exc:
            raise TabularError(
                _("The file cannot be read as CSV near row %(row)s: %(reason)s") % {"row": number + 1, "reason": exc},
                row=number + 1,
            ) from exc
    finally:
        text.detach()


def csv_header(binary: IO[bytes], encoding: str) -> tuple[list[str], str] | None:
    """(header cells, delimiter) of a CSV, read as :func:`iter_csv` reads it; None if it cannot be read."""
    binary.seek(0)
    text = io.TextIOWrapper(binary, encoding=encoding, newline="", errors="strict")
    try:
        delimiter = sniff_delimiter(text.readline())
        text.seek(0)
        header = next(csv.reader(text, delimiter=delimiter), None)
    except (UnicodeDecodeError, csv.Error):
        return None
    finally:
        text.detach()
    if not header:
        return None
    return [cell.strip() for cell in header], delimiter


def xlsx_unpacked_size(data: bytes) -> int:
    """What an .xlsx unpacks to, from its zip directory (before unpacking anything: a zip bomb is a few KB)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise TabularError(_("This is not a readable .xlsx file.")) from None


def read_table(data: bytes, filename: str, *, max_rows: int, max_columns: int, max_unpacked: int) -> list[list]:
    """All rows of a small .csv or .xlsx file (header first) as lists of cell values, at most ``max_rows`` + 1 data
    rows (the caller reports "too many") and ``max_columns`` columns. Raises TabularError with the reason."""
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        if xlsx_unpacked_size(data) > max_unpacked:
            raise TabularError(_("This .xlsx file unpacks to far more data than an import holds."))
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            sheet = workbook.worksheets[0]
            rows = []
            # Bounded: a sheet that declares millions of rows or columns is cut off at what an import can hold.
            for row in sheet.iter_rows(values_only=True, max_col=max_columns):
                rows.append(list(row))
                if len(rows) > max_rows + 1:
                    break
            workbook.close()
        except Exception:  # openpyxl raises many kinds of errors for broken files
            raise TabularError(_("This is not a readable .xlsx file.")) from None
        return rows
    if name.endswith(".csv"):
        rows = []
        for _number, cells in iter_csv(io.BytesIO(data)):
            rows.append(cells[:max_columns])
            if len(rows) > max_rows + 1:
                break
        return rows
    raise TabularError(_("Upload an .xlsx or .csv file."))


def _xlsx_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds" if value.second or value.microsecond else "minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def xlsx_to_csv(binary: IO[bytes], out: IO[bytes], *, max_unpacked: int) -> None:
    """Write the first sheet of an .xlsx as a UTF-8 CSV (comma, dates in ISO form) into ``out``, streaming row by
    row, so that every CSV reader takes an Excel export too. Raises TabularError for a file that is not a
    readable .xlsx or unpacks to more than ``max_unpacked`` bytes."""
    binary.seek(0)
    data = binary.read()
    if xlsx_unpacked_size(data) > max_unpacked:
        raise TabularError(_("This .xlsx file unpacks to far more data than an import holds."))
    from openpyxl import load_workbook

    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        writer = csv.writer(text)
        for row in workbook.worksheets[0].iter_rows(values_only=True):
            writer.writerow([_xlsx_text(v) for v in row])
        workbook.close()
    except Exception:  # openpyxl raises many kinds of errors for broken files
        raise TabularError(_("This is not a readable .xlsx file.")) from None
    finally:
        text.flush()
        text.detach()


# ------------------------------------------------------------------------------------------------------ writing


def safe_cell(value):
    """A text cell that a spreadsheet would run as a formula gets a leading apostrophe; other values stay."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def unescape_cell(value: str) -> str:
    """Undo :func:`safe_cell` on import."""
    if len(value) > 1 and value[0] == "'" and value[1:].startswith(FORMULA_PREFIXES):
        return value[1:]
    return value


def _csv_value(value) -> Any:
    if value is None:
        return ""
    if isinstance(value, str):
        return safe_cell(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_stream(header: Sequence, rows: Iterable[Sequence], *, delimiter: str = ",") -> Iterator[str]:
    """CSV lines (BOM first, so Excel reads umlauts), every text cell formula-safe, dates in ISO form."""
    writer = csv.writer(_Echo(), delimiter=delimiter)
    yield BOM + writer.writerow([_csv_value(str(h)) for h in header])
    for row in rows:
        yield writer.writerow([_csv_value(v) for v in row])


def write_csv(header: Sequence, rows: Iterable[Sequence], *, delimiter: str = ",") -> str:
    return "".join(csv_stream(header, rows, delimiter=delimiter))


def write_xlsx(
    header: Sequence,
    rows: Iterable[Sequence],
    *,
    title: str,
    widths: Sequence[int] | None = None,
) -> bytes:
    """One sheet: a bold, frozen header row, then the rows; text cells formula-safe, numbers and dates typed."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    # Write-only: rows stream into the file (an export of 100,000 budget lines stays flat in memory).
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(str(title)[:31])
    for index, width in enumerate(widths or (), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    cells = []
    for name in header:
        cell = WriteOnlyCell(sheet, value=safe_cell(str(name)))
        cell.font = bold
        cells.append(cell)
    sheet.append(cells)
    for row in rows:
        sheet.append([safe_cell(v) if isinstance(v, str) else v for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
