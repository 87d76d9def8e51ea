"""Recognising CRM exports: header labels (HubSpot and Salesforce, English and German, old and new, API names and
report labels) compared without case, spaces, punctuation and BOM; report footers; dates in every form the tools
write, with the file's date order decided from all its values."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import tabular
from crm.reader import (
    PRESETS,
    DateOrderScan,
    ValueError_,
    detect_source,
    has_report_footer,
    iter_csv,
    mapping_warnings,
    match_columns,
    parse_datetime,
)

BERLIN = ZoneInfo("Europe/Berlin")
UTC = dt.UTC


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Original Source Drill-Down 1", "original_source_drilldown_1"),
        ("\ufeffRecord ID", "record id"),
        ("ï»¿Record ID", "RecordID"),  # a UTF-8 BOM read as Windows-1252
        ("Lead-Quelle", "Lead Quelle"),
        ("Probability (%)", "probability"),
    ],
)
def test_loose_header_key_ignores_case_spaces_punctuation_and_bom(a, b):
    assert tabular.loose_header_key(a) == tabular.loose_header_key(b)


def test_loose_header_key_keeps_umlauts_and_digits_apart():
    assert tabular.loose_header_key("Ursprüngliche Quelle") != tabular.loose_header_key("Ursprungliche Quelle")
    assert tabular.loose_header_key("Drill-Down 1") != tabular.loose_header_key("Drill-Down 2")


@pytest.mark.parametrize(
    ("source", "kind", "header", "expected"),
    [
        ("hubspot", "leads", ["Datensatz-ID", "Erstellungsdatum", "Ursprüngliche Traffic-Quelle", "Branche"],
         {"external_id": "Datensatz-ID", "created": "Erstellungsdatum", "channel": "Ursprüngliche Traffic-Quelle",
          "segment": "Branche"}),
        ("hubspot", "leads", ["Contact ID", "Create Date", "Original Source", "Original Source Drill-Down 1"],
         {"external_id": "Contact ID", "created": "Create Date", "channel": "Original Source",
          "campaign": "Original Source Drill-Down 1"}),
        ("hubspot", "leads", ["Record ID", "Create Date", 'Date entered "Marketing Qualified Lead (Lifecycle Stage '
                              'Pipeline)"'],
         {"external_id": "Record ID", "created": "Create Date",
          "mql_at": 'Date entered "Marketing Qualified Lead (Lifecycle Stage Pipeline)"'}),
        ("salesforce", "opportunities", ["Opportunity ID", "Stage", "Amount", "Close Date", "Created Date", "Won",
                                         "Lead Source"],
         {"external_id": "Opportunity ID", "stage": "Stage", "amount": "Amount", "closed": "Close Date",
          "created": "Created Date", "is_won": "Won", "lead_source": "Lead Source"}),
        ("salesforce", "opportunities", ["Opportunity-ID", "Phase", "Betrag", "Schlusstermin", "Erstelldatum",
                                         "Gewonnen", "Geschlossen", "Lead-Quelle"],
         {"external_id": "Opportunity-ID", "stage": "Phase", "amount": "Betrag", "closed": "Schlusstermin",
          "created": "Erstelldatum", "is_won": "Gewonnen", "is_closed": "Geschlossen", "lead_source": "Lead-Quelle"}),
        ("salesforce", "leads", ["LEAD ID", "create date", "lead_source", "Converted Opportunity ID", "Converted",
                                 "Converted Date"],
         {"external_id": "LEAD ID", "created": "create date", "channel": "lead_source",
          "crm_opportunity_id": "Converted Opportunity ID", "is_converted": "Converted",
          "converted_at": "Converted Date"}),
        ("salesforce", "leads", ["Id", "CreatedDate", "LeadSource", "ConvertedOpportunityId"],
         {"external_id": "Id", "created": "CreatedDate", "channel": "LeadSource",
          "crm_opportunity_id": "ConvertedOpportunityId"}),
    ],
)  # fmt: skip
def test_presets_find_the_columns_of_real_exports(source, kind, header, expected):
    assert match_columns(PRESETS[(source, kind)], header) == expected


def test_the_source_is_detected_from_the_header():
    assert detect_source("leads", ["Datensatz-ID", "Vorname", "Erstellungsdatum", "Lebenszyklusphase"]) == "hubspot"
    assert detect_source("leads", ["Lead ID", "Create Date", "Lead Source", "Lead Status"]) == "salesforce"
    assert detect_source("opportunities", ["Opportunity ID", "Stage", "Amount", "Created Date"]) == "salesforce"
    assert detect_source("opportunities", ["Record ID", "Deal Stage", "Amount", "Create Date"]) == "hubspot"
    assert detect_source("leads", ["Kundennummer", "Angelegt"]) is None


def test_warnings_say_what_a_missing_column_means():
    assert mapping_warnings("opportunities", "salesforce", {"external_id", "created", "amount"})[0] == (
        "No column for the stage or won/lost: all deals will be open."
    )
    assert "No column for the close date" in " ".join(
        mapping_warnings("opportunities", "hubspot", {"external_id", "created", "amount", "stage", "lead_source"})
    )
    assert mapping_warnings("leads", "hubspot", {"external_id", "created"})[0].startswith("No column for the channel")
    assert (
        "converted opportunity id" in mapping_warnings("leads", "salesforce", {"external_id", "created", "channel"})[0]
    )
    assert mapping_warnings("leads", "hubspot", {"external_id", "created", "channel"}) == []


def rows_of(text: str, encoding="utf-8-sig"):
    return [row for number, row in iter_csv(io.BytesIO(text.encode(encoding)), encoding) if number > 1]


def test_a_salesforce_report_footer_ends_the_data():
    text = (
        '"Opportunity ID","Amount"\n"006A","10"\n"006B","20"\n\n"Grand Totals (2 records)","30"\n\n'
        '"Acme GmbH"\n"Confidential Information - Do Not Distribute"\n'
        '"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."\n'
    )
    assert [r["Opportunity ID"] for r in rows_of(text)] == ["006A", "006B"]
    assert has_report_footer(io.BytesIO(text.encode()), "utf-8-sig")
    german = '"Opportunity-ID","Betrag"\n"006A","10"\n\n"Vertrauliche Informationen - Nicht weitergeben"\n'
    assert [r["Opportunity-ID"] for r in rows_of(german)] == ["006A"]


def test_a_single_cell_row_without_a_footer_after_it_stays_data():
    assert [r["Id"] for r in rows_of("Id,Amount\n1,10\n2\n3,30\n")] == ["1", "2", "3"]
    assert not has_report_footer(io.BytesIO(b"Id,Amount\n1,10\n"), "utf-8-sig")


@pytest.mark.parametrize(
    ("value", "order", "expected"),
    [
        ("2026-03-04", None, dt.datetime(2026, 3, 4, tzinfo=BERLIN)),
        ("2026-03-04 10:22", None, dt.datetime(2026, 3, 4, 10, 22, tzinfo=BERLIN)),
        ("2026-03-04T10:22:00.000+0000", None, dt.datetime(2026, 3, 4, 10, 22, tzinfo=UTC)),
        ("2026-03-04T10:22:00Z", None, dt.datetime(2026, 3, 4, 10, 22, tzinfo=UTC)),
        ("2026-03-04 10:22:00 +0100", None, dt.datetime(2026, 3, 4, 9, 22, tzinfo=UTC)),
        ("2026-03-04 10:22 CET", None, dt.datetime(2026, 3, 4, 9, 22, tzinfo=UTC)),
        ("2026-03-04 10:22 AM", None, dt.datetime(2026, 3, 4, 10, 22, tzinfo=BERLIN)),
        ("04.03.2026", None, dt.datetime(2026, 3, 4, tzinfo=BERLIN)),
        ("4.3.2026, 10:22", None, dt.datetime(2026, 3, 4, 10, 22, tzinfo=BERLIN)),
        ("04.03.2026 10:22 MESZ", None, dt.datetime(2026, 3, 4, 8, 22, tzinfo=UTC)),
        ("1/12/2026 9:14", "mdy", dt.datetime(2026, 1, 12, 9, 14, tzinfo=BERLIN)),
        ("1/12/2026 9:14", "dmy", dt.datetime(2026, 12, 1, 9, 14, tzinfo=BERLIN)),
        ("2/3/2026", "mdy", dt.datetime(2026, 2, 3, tzinfo=BERLIN)),
        ("2/3/2026, 4:30 PM", "mdy", dt.datetime(2026, 2, 3, 16, 30, tzinfo=BERLIN)),
        ("2/3/2026 12:05 AM", "mdy", dt.datetime(2026, 2, 3, 0, 5, tzinfo=BERLIN)),
        ("2/3/2026 9:14 AM PST", "mdy", dt.datetime(2026, 2, 3, 17, 14, tzinfo=UTC)),
        ("2/3/2026 9:14 +05:30", "dmy", dt.datetime(2026, 3, 2, 3, 44, tzinfo=UTC)),
        ("13/2/2026", None, dt.datetime(2026, 2, 13, tzinfo=BERLIN)),  # the value decides by itself
        ("2/13/2026", None, dt.datetime(2026, 2, 13, tzinfo=BERLIN)),
        ("3/3/2026", None, dt.datetime(2026, 3, 3, tzinfo=BERLIN)),  # day = month: no question
    ],
)
def test_dates_in_the_forms_crm_exports_write(value, order, expected):
    assert parse_datetime(value, order) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2/3/2026", "can be read day first or month first; choose the date order of the file"),
        ("31/31/2026", "is not a valid date"),
        ("2/30/2026", "is not a valid date"),
        ("13:00 2026", "is not a date we can read"),
        ("2026-03-04 10:22 XYZ", "is not a date we can read"),
        ("2/3/2026 13:00 PM", "is not a valid date"),
    ],
)
def test_unreadable_or_ambiguous_dates_say_why(value, message):
    with pytest.raises(ValueError_, match=message):
        parse_datetime(value, "mdy" if value.startswith(("2/30", "2/3/2026 ")) else None)


def test_date_order_is_decided_by_any_first_part_over_12():
    scan = DateOrderScan()
    for row, value in enumerate(["1/2/2026", "3/4/2026 9:00", "2026-05-06", "04.05.2026"], start=2):
        scan.add(value, row, "Create Date")
    assert scan.result == DateOrderScan.AMBIGUOUS and scan.ambiguous == (2, "Create Date", "1/2/2026")
    scan.add("1/13/2026", 9, "Close Date")
    assert scan.result == "mdy"
    scan.add("13/1/2026", 10, "Close Date")
    assert scan.result == DateOrderScan.CONFLICT
    only_day_first = DateOrderScan()
    only_day_first.add("25/12/2026 10:00")
    only_day_first.add("1/2/2026")
    assert only_day_first.result == "dmy"
    nothing = DateOrderScan()
    nothing.add("2026-01-02")
    nothing.add("5/5/2026")
    assert nothing.result is None


FORMS = {
    "iso": lambda d: d.strftime("%Y-%m-%d %H:%M"),
    "german": lambda d: d.strftime("%d.%m.%Y %H:%M"),
    "us_excel": lambda d: f"{d.month}/{d.day}/{d.year} {d.hour}:{d:%M}",
    "us_salesforce": lambda d: (
        f"{d.month}/{d.day}/{d.year}, {(d.hour + 11) % 12 + 1}:{d:%M} {'AM' if d.hour < 12 else 'PM'}"
    ),
    "uk": lambda d: f"{d:%d}/{d:%m}/{d.year} {d:%H:%M}",
}
ORDER = {"us_excel": "mdy", "us_salesforce": "mdy", "uk": "dmy"}


@given(
    moments=st.lists(
        st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2035, 12, 31)).map(
            lambda d: d.replace(second=0, microsecond=0)
        ),
        min_size=1,
        max_size=12,
    ),
    form=st.sampled_from(sorted(FORMS)),
)
@settings(max_examples=150, deadline=None)
def test_any_file_of_one_form_reads_back_its_moments(moments, form):
    """A column written in one form: the scan never decides the wrong order, and with the order it decides (or,
    where it cannot, the file's true order as the wizard's answer) every value reads back to its moment."""
    texts = [FORMS[form](d) for d in moments]
    scan = DateOrderScan()
    for row, text in enumerate(texts, start=2):
        scan.add(text, row, "Create Date")
    true_order = ORDER.get(form)
    assert scan.result in (true_order, DateOrderScan.AMBIGUOUS, None) and scan.result != DateOrderScan.CONFLICT
    order = scan.result if scan.result in ("dmy", "mdy") else true_order
    for moment, text in zip(moments, texts, strict=True):
        assert parse_datetime(text, order) == moment.replace(tzinfo=BERLIN)
