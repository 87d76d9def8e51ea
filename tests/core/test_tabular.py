"""core.tabular: one reader for every import (encodings, delimiters, headers) and one formula-safe writer."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from core import tabular

FORMULAS = ['=HYPERLINK("http://evil")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


def rows_of(data: bytes) -> list[tuple[int, list[str]]]:
    return list(tabular.iter_csv(io.BytesIO(data)))


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("Titel;Betrag\nMesse Köln;1.234,56\n".encode(), "utf-8-sig"),
        ("\ufeffTitel;Betrag\nMesse Köln;1.234,56\n".encode(), "utf-8-sig"),  # Excel "CSV UTF-8"
        ("Titel;Betrag\nMesse Köln;1.234,56\n".encode("cp1252"), "cp1252"),  # German Excel "CSV"
    ],
)
def test_excel_csv_in_utf8_with_or_without_bom_and_windows_1252_read_alike(data, encoding):
    assert tabular.detect_encoding(io.BytesIO(data)) == encoding
    assert rows_of(data) == [(1, ["Titel", "Betrag"]), (2, ["Messe Köln", "1.234,56"])]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("a,b\n".encode("utf-16"), "UTF-16 or binary"),
        (b"\x00\x01PK", "UTF-16 or binary"),
        (b"a,b\n1,\x81\x8d\n", "neither UTF-8 nor Windows-1252"),
    ],
)
def test_utf16_binary_and_undecodable_files_are_refused_with_the_reason(data, message):
    with pytest.raises(tabular.TabularError) as caught:
        tabular.detect_encoding(io.BytesIO(data))
    assert message in caught.value.message


@pytest.mark.parametrize(
    ("line", "delimiter"), [("a,b,c", ","), ("a;b;c", ";"), ("a\tb\tc", "\t"), ("a;b,c;d", ";"), ("single", ",")]
)
def test_the_delimiter_is_the_most_frequent_in_the_header(line, delimiter):
    assert tabular.sniff_delimiter(line) == delimiter


def test_blank_rows_are_skipped_and_row_numbers_stay_as_a_spreadsheet_shows_them():
    assert rows_of(b"a,b\n\n1,2\n ,\n3,4\n") == [(1, ["a", "b"]), (3, ["1", "2"]), (5, ["3", "4"])]


def test_a_row_the_csv_module_cannot_read_is_named():
    data = b'a,b\n1,2\n3,"' + b"x" * 200_000 + b'"\n'  # a field beyond the csv module's limit
    with pytest.raises(tabular.TabularError) as caught:
        rows_of(data)
    assert caught.value.row == 3
    assert caught.value.message.startswith("The file cannot be read as CSV near row 3")


@pytest.mark.parametrize(
    ("name", "key"),
    [("Planned Amount", "planned_amount"), (" planned_amount ", "planned_amount"), ("\ufeffPath", "path"),
     ("Record  ID", "record_id"), ("contributes-to", "contributes_to")],
)  # fmt: skip
def test_headers_compare_ignoring_case_spaces_and_separators(name, key):
    assert tabular.header_key(name) == key


def test_csv_writer_defuses_formulas_keeps_numbers_and_writes_a_bom():
    text = tabular.write_csv(["title", "value"], [[payload, -5] for payload in FORMULAS])
    assert text.startswith("\ufeff")
    lines = list(tabular.iter_csv(io.BytesIO(text.encode())))[1:]
    assert [cells[0] for _n, cells in lines] == ["'" + payload for payload in FORMULAS]
    assert {cells[1] for _n, cells in lines} == {"-5"}  # a negative number is no formula
    assert [tabular.unescape_cell(cells[0]) for _n, cells in lines] == FORMULAS


def test_xlsx_writer_defuses_formulas_keeps_numbers_typed_and_bolds_the_header():
    data = tabular.write_xlsx(["title", "value"], [[payload, -5] for payload in FORMULAS], title="Export")
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet.title == "Export" and sheet["A1"].font.b and sheet.freeze_panes == "A2"
    cells = [sheet.cell(row=i + 2, column=1).value for i in range(len(FORMULAS))]
    assert cells[:5] == ["'" + p for p in FORMULAS[:5]]
    assert cells[5] in ("'\r=1", "'\n=1")  # the xlsx format stores a carriage return as a line feed
    assert sheet["B2"].value == -5 and sheet["B2"].data_type == "n"


def test_read_table_reads_csv_and_xlsx_the_same_and_refuses_other_files():
    data = tabular.write_xlsx(["path", "title"], [["1", "Grow"]], title="Cascade")
    limits = {"max_rows": 10, "max_columns": 5, "max_unpacked": 10_000_000}
    from_xlsx = [[v for v in row if v is not None] for row in tabular.read_table(data, "c.xlsx", **limits)]
    assert from_xlsx == [["path", "title"], ["1", "Grow"]]
    assert tabular.read_table(b"path;title\n1;Grow\n", "c.csv", **limits) == [["path", "title"], ["1", "Grow"]]
    with pytest.raises(tabular.TabularError, match=r"Upload an \.xlsx or \.csv file"):
        tabular.read_table(b"x", "c.txt", **limits)
    with pytest.raises(tabular.TabularError, match="unpacks to far more data"):
        tabular.read_table(data, "c.xlsx", max_rows=10, max_columns=5, max_unpacked=100)
