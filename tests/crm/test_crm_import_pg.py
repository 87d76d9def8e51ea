"""The PostgreSQL path of the lead import (crm.services.imports_pg: COPY + set-based SQL) against the Python path
(crm.reader.parse_record, the reference): the same files give the same rows and the same errors."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.models import ColumnMapping, CrmImport, Lead
from crm.services import column_mapping_save, crm_import_create
from crm.services import imports_pg as crm_import_pg
from crm.services.pg_sql import _autumn_hours, _LineLengths, _Padding
from tests.factories_crm import LeadFactory, at

pytestmark = [pytest.mark.postgres("needs PostgreSQL (the SQL path of the import)"), pytest.mark.django_db]

HUBSPOT = (
    "Record ID,First Name,Create Date,Lifecycle Stage,Original Traffic Source,Original Traffic Source Drill-Down 1,"
    "Industry,Became a Marketing Qualified Lead Date,Became a Sales Accepted Lead Date,"
    "Became a Sales Qualified Lead Date,Became an Opportunity Date,Became a Customer Date\n"
)
SALESFORCE = "Id;CreatedDate;LeadSource;Status;IsConverted;ConvertedDate;ConvertedOpportunityId;Industry\n"

DATES_OK = [
    "2026-03-04",
    "2026-03-04 10:22",
    "2026-03-04T10:22",
    "2026-03-04 10:22:33",
    "2026-03-04T10:22:00Z",
    "2026-03-04T10:22:00.000+0000",
    "2026-03-04T10:22:00.5+01:00",
    "2026-03-04 10:22:00.123456-0530",
    "2026-03-29 02:30",  # does not exist in Berlin (clocks go forward)
    "2026-10-25 02:30",  # exists twice in Berlin
    "2024-02-29",
    "04.03.2026",
    "4.3.2026 10:22",
    "04.03.2026, 10:22:33",
    "29.02.2024 7:05",
    "31.12.2026 23:59:59",
    "2026-03-04T10",  # unusual, Python reads it
    "2026-03-04T10:22:00.1234567",  # more than microseconds: Python cuts
    " \u00a02026-03-04 10:22\t",
    "",
]
DATES_BAD = [
    "31.02.2026",
    "29.02.2025",
    "2026-02-30",
    "2026-13-01",
    "2026-03-04 24:00",
    "0000-01-01",
    "0001-01-01",  # issue 12: outside 1990-01-01 … 2100-12-31
    "1989-12-31 23:59",
    "2101-01-01",
    "9999-12-31T10:00:00Z",
    "31.12.1989",
    "01.01.2101 10:00",
    "00.01.2026",
    "gestern",
    "04/03/2026",
    "2026-03-04 10:22 Europe/Berlin",
    "2026-03-04T10:22:00+25:00",
]


def _snapshot() -> list[tuple]:
    fields = [f.attname for f in Lead._meta.concrete_fields if f.attname not in ("id", "company_id", "import_digest")]
    return sorted(Lead.objects.values_list(*fields))


@pytest.fixture
def both(company, cmo, monkeypatch, django_capture_on_commit_callbacks):
    """Import ``content`` through the SQL path and, from the same starting rows, through the Python path; return
    what each left (rows, errors, counts) after asserting that the SQL path really ran (or, for files COPY cannot
    read, really handed over)."""

    def run(content: str | bytes, *, source="hubspot", mapping: ColumnMapping | None = None, encoding="utf-8",
            sql=True, before=()):  # fmt: skip
        data = content.encode(encoding) if isinstance(content, str) else content
        results = []
        for path in ("sql", "python"):
            Lead.objects.filter(company=company).delete()
            for external_id, segment in before:
                LeadFactory(company=company, external_id=external_id, segment=segment)
            used: list[bool] = []

            def spy(*args, _real=crm_import_pg.import_leads, _used=used, **kwargs):
                outcome = _real(*args, **kwargs)
                _used.append(outcome is not None)
                return outcome

            with monkeypatch.context() as patch:
                patch.setattr(crm_import_pg, "import_leads", spy)
                if path == "python":
                    patch.setattr(crm_import_pg, "KINDS", set())
                with django_capture_on_commit_callbacks(execute=True):
                    job = crm_import_create(company=company, kind="leads", source=source, mapping=mapping,
                                            uploaded_file=SimpleUploadedFile("leads.csv", data), actor=cmo)  # fmt: skip
            job.refresh_from_db()
            if path == "sql" and sql is not None:
                assert used in ([sql], []), used  # [] : rejected by the header checks before COPY
            result = {
                "status": job.status,
                "errors": job.errors,
                "error_count": job.error_count,
                "counts": (job.rows_total, job.rows_done, job.rows_created, job.encoding),
                "rows": _snapshot(),
            }
            results.append(result)
        sql_rows, python_rows = results[0].pop("rows"), results[1].pop("rows")
        assert results[0] == results[1]
        assert [row for row in sql_rows if row not in python_rows] == [
            row for row in python_rows if row not in sql_rows
        ]
        results[0]["rows"] = sql_rows
        return results[0]

    return run


def _hubspot_rows(dates: list[str], column: int = 2) -> str:
    rows = []
    for n, date in enumerate(dates):
        values = [f"{n + 1}", "Anna", "2026-03-01 08:00", "lead", "Direct", "camp", "Industrie", "", "", "", "", ""]
        values[column] = date
        rows.append(",".join(f'"{v}"' for v in values))
    return HUBSPOT + "\n".join(rows) + "\n"


def test_every_date_form_reads_the_same(both):
    result = both(_hubspot_rows(DATES_OK[:-1]))
    assert result["status"] == CrmImport.Status.DONE, result["errors"]
    assert len(result["rows"]) == len(DATES_OK) - 1
    created = {row[0]: row[1] for row in result["rows"]}
    assert created["1"] == at(2026, 3, 4, 0)
    assert created["12"] == at(2026, 3, 4, 0)


def test_dates_in_every_stage_column(both):
    for column in (7, 8, 9, 10, 11):
        result = both(_hubspot_rows(DATES_OK, column=column))
        assert result["status"] == CrmImport.Status.DONE, result["errors"]


def test_bad_dates_give_the_same_errors(both):
    result = both(_hubspot_rows(DATES_BAD) + _hubspot_rows(DATES_BAD, column=8).split("\n", 1)[1])
    assert result["status"] == CrmImport.Status.FAILED
    assert result["error_count"] == 2 * len(DATES_BAD)  # rows with errors are no duplicates


def test_texts_required_values_blank_rows_and_duplicates(both):
    content = HUBSPOT + (
        f"{'9' * 65},Anna,2026-03-01,lead,Direct,camp,Industrie,,,,,\n"  # id too long
        f"2,Anna,2026-03-01,lead,{'S' * 121},{'c' * 201},{'I' * 121},,,,,\n"  # channel, campaign, segment too long
        f"3,Anna,2026-03-01,{'l' * 120},Direct,{'c' * 200},{'I' * 120},,,,,\n"  # at the limits
        " \u00a0,Anna,2026-03-01,lead,Direct,,,,,,,\n"  # blank id
        "5,Anna, ,lead,Direct,,,,,,,\n"  # blank created
        ",,,,,,,,,,,\n"  # blank row: skipped, but counted
        " , ,\t, , , , , , , , , \n"
        "7,Anna,gestern,lead,Direct,,,,,,,\n"
        "7,Anna,2026-03-01,lead,Direct,,,,,,,\n"  # the first 7 has an error: this one is the first
        "3,Anna,2026-03-01,lead,Direct,,,,,,,\n"
        "3,Anna,2026-03-02,lead,Direct,,,,,,,\n"
        '" 8 ",Anna,2026-03-01,lead,Direct,,,,,,,\n'
        "8,Anna,2026-03-01,lead,Direct,,,,,,,\n"  # same id once trimmed
    )
    result = both(content)
    assert result["status"] == CrmImport.Status.FAILED
    assert {(e["row"], e["column"]) for e in result["errors"]} == {
        (2, "Record ID"),
        (3, "Original Traffic Source"),
        (3, "Original Traffic Source Drill-Down 1"),
        (3, "Industry"),
        (5, "Record ID"),
        (6, "Create Date"),
        (9, "Create Date"),
        (11, "Record ID"),
        (12, "Record ID"),
        (14, "Record ID"),
    }


def test_valid_file_with_sales_sources_whitespace_and_updates(both):
    content = HUBSPOT + (
        "1,Anna,2026-03-01 08:00,lead, Sales ,camp,Industrie,2026-03-02,,,,\n"
        "2,Anna,2026-03-01 08:00,lead,vertrieb,camp,Industrie,,,,,\n"
        '3,Anna,2026-03-01 08:00,lead,PAID_SOCIAL,"camp, mit Komma","Stadt\nwerke",,,,,\n'
        "4,Anna,2026-03-01 08:00,customer,,,,02.03.2026,03.03.2026,04.03.2026,05.03.2026,06.03.2026\n"
        ",,,,,,,,,,,\n"
        "5,Jörg,2026-03-01 08:00,lead,Partner Referral,,Straße,,,,,\n"
    )
    result = both(content, before=[("1", "alt"), ("9", "bleibt")])
    assert result["status"] == CrmImport.Status.DONE, result["errors"]
    assert result["counts"][:3] == (5, 5, 4)
    marketing = {row[0]: row[5] for row in result["rows"]}
    assert marketing == {"1": False, "2": False, "3": True, "4": True, "5": False, "9": marketing["9"]}


def test_salesforce_conversion_and_booleans(both):
    content = SALESFORCE + (
        "00Q1;2026-03-04T10:22:00.000+0000;Webinar;Converted;true;2026-03-20;006A;Energy\n"
        "00Q2;2026-03-05T08:00:00.000+0000;Trade Show;Working;false;;;Utilities\n"
        "00Q3;2026-03-05T08:00:00.000+0000;Sales;Converted;Ja;21.03.2026;;Utilities\n"
        "00Q4;2026-03-05T08:00:00.000+0000;Sales;Converted; X ;2026-03-22 10:00;006B;Utilities\n"
        "00Q5;2026-03-05T08:00:00.000+0000;Sales;Open;NEIN;;;Utilities\n"
        "00Q6;2026-03-05T08:00:00.000+0000;Sales;Open;;;;Utilities\n"
        "00Q7;2026-03-05T08:00:00.000+0000;Sales;Open;WAHR;2026-03-22;;Utilities\n"
    )
    result = both(content, source="salesforce", before=[("00Q2", "alt")])
    assert result["status"] == CrmImport.Status.DONE, result["errors"]
    bad = content + (
        "00Q8;2026-03-05T08:00:00.000+0000;Sales;Converted;vielleicht;2026-03-22;;Utilities\n"
        "00Q9;2026-03-05T08:00:00.000+0000;Sales;Converted;yes;;006C;Utilities\n"
        "00Q9;2026-03-05T08:00:00.000+0000;Sales;Converted;yes;2026-03-22;006C;Utilities\n"
    )
    result = both(bad, source="salesforce")
    assert {(e["row"], e["column"]) for e in result["errors"]} == {(9, "IsConverted"), (10, "ConvertedDate")}


def test_saved_mapping_with_marketing_flag_and_windows_1252(company, cmo, both):
    mapping = column_mapping_save(company=company, name="Pipedrive", kind="leads", actor=cmo,
                                  columns={"external_id": "Person ID", "created": "Angelegt", "segment": "Branche",
                                           "is_marketing_sourced": "Marketing", "disqualified_at": "Raus",
                                           "channel": "Quelle"})  # fmt: skip
    content = (
        "Person ID;Angelegt;Branche;Marketing;Raus;Quelle\r\n"
        "P1;01.03.2026 09:00;Müller Stadtwerke;ja;;Sales\r\n"
        "P2;01.03.2026;Süd;nein;05.03.2026;Web\r\n"
        "P3;01.03.2026;Süd;;;Web\r\n"
    )
    result = both(content, source="custom", mapping=mapping, encoding="cp1252")
    assert result["status"] == CrmImport.Status.DONE, result["errors"]
    assert result["counts"][3] == "cp1252"
    bad = content + "P4;01.03.2026;Süd;kaum;;Web\r\n"
    result = both(bad, source="custom", mapping=mapping, encoding="cp1252")
    assert [(e["row"], e["column"]) for e in result["errors"]] == [(5, "Marketing")]


@pytest.mark.parametrize(
    ("content", "sql"),
    [
        (HUBSPOT + '1,Anna,"2026-03-01,lead\n', False),  # unterminated quote
        (HUBSPOT + "1,Anna,2026-03-01,lead\n", False),  # too few columns: Python accepts the row
        (HUBSPOT + "1,Anna,2026-03-01,lead,Direct,camp,Industrie,,,,,\n\n", False),  # an empty line
        (HUBSPOT + "1,Anna,2026-03-01,lead,Direct,camp,Industrie,,,,,,extra\n", False),  # too many
        (HUBSPOT + "1,Anna,2026-03-01,lead,Direct,camp,Industrie,,,,,\n\\.\n2,Anna,2026-03-01,,,,,,,,,\n", False),
        (HUBSPOT + f"1,Anna,2026-03-01,lead,Direct,camp,{'I' * 131073},,,,,\n", False),  # beyond the csv module
        (HUBSPOT + f'1,Anna,2026-03-01,lead,Direct,camp,"{"I, " * 43691}",,,,,\n', False),  # quoted, with commas
        (HUBSPOT + f"1,Anna,2026-03-01,lead,Direct,camp,{'I' * 131072},,,,,\n", True),  # at the limit
        (HUBSPOT + '1, "Anna",2026-03-01,lead,Direct,camp,"Stadt, ""Nord""",,,,,\n', False),  # Python keeps "Anna"
        (HUBSPOT + '1,Anna,2026-03-01,lead,Direct,5" Monitor,Industrie,,,,,\n', False),
        (HUBSPOT, None),  # no data rows
        ("Name,Create Date\nAnna,2026-03-01\n", None),  # column missing
    ],
)
def test_files_copy_cannot_read_are_handed_to_the_python_path(both, content, sql):
    both(content, sql=sql)


def test_quoted_fields_with_quotes_and_delimiters_inside(both):
    content = HUBSPOT + '"1","Anna","2026-03-01","lead","Direct","Kampagne ""Herbst"", Teil 2","Stadt\nwerke",,,,,\n'
    result = both(content)
    assert result["rows"][0][3] == 'Kampagne "Herbst", Teil 2'


def test_neither_encoding(both):
    result = both(HUBSPOT.encode() + b"1,\x81\x8d,2026-03-01,,,,,,,,,\n", sql=False)
    assert "neither UTF-8 nor Windows-1252" in result["errors"][0]["message"]


def test_errors_are_capped_with_the_total(both, monkeypatch):
    from crm.services import import_run

    monkeypatch.setattr(crm_import_pg, "MAX_STORED_ERRORS", 5)
    monkeypatch.setattr(import_run, "MAX_STORED_ERRORS", 5)
    result = both(_hubspot_rows(["gestern"] * 12))
    assert result["error_count"] == 12
    assert [e["row"] for e in result["errors"]] == [2, 3, 4, 5, 6]


DATE_PARTS = st.one_of(
    st.builds(
        "{:04d}-{:02d}-{:02d}{}".format,
        st.one_of(st.just(0), st.integers(1000, 2100)),  # not year 1: in Berlin it begins before UTC's year 1
        st.integers(0, 13),
        st.integers(0, 32),
        st.sampled_from(["", " 10:22", "T23:59:59", " 24:00", "T10:22:00.5Z", " 10:22+0130", "T01:02:03-23:59"]),
    ),
    st.builds(
        "{}.{}.{}{}".format,
        st.integers(0, 32),
        st.integers(0, 13),
        st.sampled_from(["2026", "2024", "0000", "26"]),
        st.sampled_from(["", " 7:05", ", 23:59:60", " 10:22:33", " 25:00"]),
    ),
    st.text(alphabet="0123456789-.:T Z+", max_size=20),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(dates=st.lists(DATE_PARTS, min_size=1, max_size=15))
def test_generated_dates_read_the_same(both, dates):
    both(_hubspot_rows(dates, column=7))


def test_a_session_that_used_temporary_tables_before(both):
    # Run alone, this session's temporary buffers get their default size here, which PostgreSQL then refuses to
    # change: the import goes on with them.
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE earlier_work (a int)")
        cursor.execute("INSERT INTO earlier_work VALUES (1)")
    result = both(HUBSPOT + "1,Anna,2026-03-01,lead,Direct,camp,Industrie,,,,,\n")
    assert result["status"] == CrmImport.Status.DONE, result["errors"]


def _parse_statements(queries) -> int:
    return sum(query["sql"].startswith("CREATE TEMP TABLE crm_parsed") for query in queries)


@pytest.mark.parametrize(
    ("odd", "statements"),
    [
        ("2026-03-04 10:22", 1),  # the usual shape: the fast way, one statement
        ("2026-03-04 24:00", 1),  # the shape, but it does not print as itself: the exact way in the same statement
        ("2026-13-01 10:22", 2),  # the shape, but no date: the cast refuses it, the statement runs again exactly
        ("2026-02-30", 2),
        ("2100-06-01 10:22", 1),  # the last allowed year: outside the fast way's range, read exactly
        ("abcd-ef-gh ij:kl", 1),  # not in the years' range: the exact way
        ("2026-ab-01 10:22", 2),
        ("2026-03-04T10:22:00+25:00", 1),  # not one of the shapes: never cast the fast way (it would raise)
        ("2026-03-04 10:22:00.5", 1),
    ],
)
def test_the_usual_date_shapes_take_the_fast_way_and_odd_ones_are_read_exactly(both, odd, statements):
    dates = ["2026-03-04 10:22", "2026-03-04 10:22:33", "2026-03-04", odd]
    with CaptureQueriesContext(connection) as queries:
        result = both(_hubspot_rows(dates, column=7))
    assert _parse_statements(queries.captured_queries) == statements
    valid = odd in ("2026-03-04 10:22", "2100-06-01 10:22", "2026-03-04 10:22:00.5")
    assert result["status"] == (CrmImport.Status.DONE if valid else CrmImport.Status.FAILED)
    if not valid:  # named like the Python path names it: row 5 (the header is row 1), nothing written
        assert [error["row"] for error in result["errors"]] == [5]
        assert result["rows"] == []


def test_a_first_load_with_an_id_twice_is_refused_by_the_unique_key_and_named_as_in_python(both):
    # No other error: the first load does not look for ids twice before writing; the unique key refuses the INSERT
    content = HUBSPOT + "".join(f"{n},Anna,2026-03-01,lead,Direct,camp,Industrie,,,,,\n" for n in (1, 2, 3, 2, 1, 2))
    result = both(content)
    assert result["status"] == CrmImport.Status.FAILED
    assert [(error["row"], error["message"]) for error in result["errors"]] == [
        (5, "The id “2” appears more than once in the file (first in row 3)."),
        (6, "The id “1” appears more than once in the file (first in row 2)."),
        (7, "The id “2” appears more than once in the file (first in row 3)."),
    ]
    assert result["rows"] == []


@pytest.mark.parametrize(
    ("chunks", "short"),
    [
        ([b"a,b\nc,d\n"], True),
        ([b"a" * 6, b"a" * 4 + b"\n"], True),  # a line over two chunks: 10 bytes
        ([b"a" * 6, b"a" * 5 + b"\n"], False),  # 11
        ([b"a\r" + b"a" * 10 + b"\r\nb"], True),  # \r ends a line too
        ([b"a\n" + b"a" * 11 + b"\nb"], False),  # a line inside a chunk
        ([b"a\n", b"a" * 11], False),  # the last line, without a line break
        ([b'"a"\n'], False),  # a quote: a field may hold line breaks
    ],
)
def test_the_streaming_knows_when_no_field_can_be_longer_than_the_csv_module_takes(chunks, short):
    lines = _LineLengths(10)
    for chunk in chunks:
        lines.add(chunk)
    assert lines.short is short


def test_the_first_load_of_a_file_of_short_lines_does_not_scan_for_long_fields(both):
    content = HUBSPOT + "1,Anna,2026-03-01,lead,Direct,camp,Industrie,,,,,\n"
    with CaptureQueriesContext(connection) as queries:
        both(content)
    assert not [query for query in queries.captured_queries if "131072" in query["sql"]]
    with CaptureQueriesContext(connection) as queries:  # a quote: the staged rows are looked at
        both(content.replace("Anna", '"Anna"'))
    assert len([query for query in queries.captured_queries if "131072" in query["sql"]]) == 1


@pytest.mark.parametrize(
    ("chunks", "delimiter", "encoding", "padded"),
    [
        ([b"a,b\nc,d\n"], ",", "utf-8-sig", False),
        ([b"a,b\n\nc,d\r\n"], ",", "utf-8-sig", False),  # a blank line, CRLF
        ([b"a,b c\n", b"Stra\xc3\x9fe,x\n"], ",", "utf-8-sig", False),  # spaces and letters inside values
        ([b"a, b\n"], ",", "utf-8-sig", True),  # after the delimiter
        ([b"a ,b\n"], ",", "utf-8-sig", True),  # before it
        ([b"a,b \r\n"], ",", "utf-8-sig", True),  # before a line break
        ([b"a,b\n", b" c,d\n"], ",", "utf-8-sig", True),  # at a line's start, at a chunk's start
        ([b"a,b ", b"\nc,d\n"], ",", "utf-8-sig", True),  # a chunk ends with it
        ([b"a,b\nc,d\t"], ",", "utf-8-sig", True),  # the last field of the file, without a line break
        ([b"a,\xc2\xa0b\n"], ",", "utf-8-sig", True),  # a no-break space
        ([b"a,b\xe3\x80\x80\n"], ",", "utf-8-sig", True),  # an ideographic space
        ([b"a,\xa0b\n"], ",", "cp1252", True),  # the no-break space of Windows-1252
        ([b'"a",b\n'], ",", "utf-8-sig", True),  # a quoted field may start with a line break
        ([b"a\tb\n"], "\t", "utf-8-sig", False),  # the tab is the delimiter here
        ([b"a\t b\n"], "\t", "utf-8-sig", True),
        ([b"a;b c\n"], ";", "utf-8-sig", False),
        ([b"a; b\n"], ";", "utf-8-sig", True),
    ],
)
def test_the_streaming_knows_when_no_field_can_start_or_end_with_white_space(chunks, delimiter, encoding, padded):
    padding = _Padding(delimiter, encoding)
    for chunk in chunks:
        padding.add(chunk)
    assert padding.finish() is padded


def _parse_statement(queries) -> str:
    return next(query["sql"] for query in queries.captured_queries if "CREATE TEMP TABLE crm_parsed" in query["sql"])


def test_a_file_without_padded_fields_is_read_without_trimming_and_alike(both):
    content = HUBSPOT + (
        "1,Anna Maria,2026-03-01 08:00,lead,Paid Social,Kampagne 1,Straße und Bau,2026-03-02,,,,\n"
        "2,Jörg,04.03.2026 10:22,lead,Sales,,,,,,,\n"
        ",,,,,,,,,,,\n"
        "3,Ben,2026-10-25 02:30,customer,Direct,,,02.03.2026,,,,2026-10-25 02:59:59\n"
    )
    with CaptureQueriesContext(connection) as queries:
        result = both(content)
    assert result["status"] == CrmImport.Status.DONE, result["errors"]
    assert "btrim(s.c0" not in _parse_statement(queries)  # no value is trimmed
    assert {row[0]: row[2] for row in result["rows"]} == {"1": "Paid Social", "2": "Sales", "3": "Direct"}


@pytest.mark.parametrize(
    "padding", [" ", "\t", "\u00a0", "\u3000", "\u2009"], ids=["space", "tab", "nbsp", "ideographic", "thin"]
)
def test_padded_fields_of_a_file_without_quotes_are_trimmed_as_in_python(both, padding):
    content = HUBSPOT + (
        f"1,Anna,2026-03-01 08:00,lead,{padding}Paid Social,camp{padding},Industrie,2026-03-02,,,,\n"
        f"{padding}2,Jörg,{padding}2026-10-25 02:30{padding},lead,Sales,,,,,,,{padding}\n"
    )
    with CaptureQueriesContext(connection) as queries:
        result = both(content)
    assert result["status"] == CrmImport.Status.DONE, result["errors"]
    assert "btrim(s.c0" in _parse_statement(queries)
    assert {row[0]: (row[2], row[3]) for row in result["rows"]} == {  # channel, campaign
        "1": ("Paid Social", "camp"),
        "2": ("Sales", ""),
    }


AUTUMN = [
    "2026-10-25 01:59",
    "2026-10-25 02:00",
    "2026-10-25 02:30",
    "2026-10-25 02:59:59",
    "2026-10-25 03:00",
    "25.10.2026 02:15",
    "2025-10-26 02:45",
    "1995-09-24 02:30",  # Berlin's clocks went back in September until 1995
    "2100-10-31 02:30",
    "2026-10-25T02:30:00+01:00",  # a zone: the second one, as written
    "2026-03-29 02:30",  # does not exist (spring)
]


def test_the_repeated_autumn_hour_is_its_first_time_as_in_python(both):
    content = HUBSPOT + "".join(f"{n},Anna,{value},lead,Direct,,,,,,,\n" for n, value in enumerate(AUTUMN, 1))
    result = both(content)
    assert result["status"] == CrmImport.Status.DONE, result["errors"]
    created = {row[0]: row[1] for row in result["rows"]}
    assert created["3"] == dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC)  # 02:30 summer time
    assert created["5"] == dt.datetime(2026, 10, 25, 2, 0, tzinfo=dt.UTC)  # 03:00 winter time, once
    assert created["10"] == dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC)


def test_the_repeated_hours_of_a_zone_come_from_its_rules():
    berlin = dict(_autumn_hours("Europe/Berlin"))
    assert list(berlin) == [3600]  # clocks go back one hour
    assert "[2026-10-25 01:00:00+00,2026-10-25 02:00:00+00)" in berlin[3600]
    assert "[1995-09-24 01:00:00+00,1995-09-24 02:00:00+00)" in berlin[3600]
    assert berlin[3600].count("[") == 111  # every autumn from 1990 to 2100
    assert _autumn_hours("UTC") == ()
    assert [shift for shift, _ in _autumn_hours("Australia/Lord_Howe")] == [1800]  # half an hour back
