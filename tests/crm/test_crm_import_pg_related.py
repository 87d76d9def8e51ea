"""The PostgreSQL path of the opportunity and touchpoint import (crm.services.imports_pg_related) against the Python
path (crm.reader.parse_record and crm.services.records, the reference): the same files give the same rows, the same
errors in the same order, and the same counts."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from crm import reader
from crm.models import ColumnMapping, CrmImport, Lead, Opportunity, Touchpoint
from crm.services import column_mapping_save, crm_import_create, crm_import_run, imports_pg_related_check
from crm.services import imports_pg_related as related_pg
from reporting.models import ReportingSettings
from tests.crm.test_crm_import_pg import DATE_PARTS, DATES_OK
from tests.factories_crm import LeadFactory, OpportunityFactory, TouchpointFactory, at

pytestmark = [pytest.mark.postgres("needs PostgreSQL (the SQL path of the import)"), pytest.mark.django_db]

SALESFORCE = "Id;CreatedDate;Amount;CloseDate;StageName;IsClosed;IsWon;LeadSource\n"
HUBSPOT = "Record ID,Deal Stage,Amount,Create Date,Close Date,Associated Contact IDs,Original Traffic Source\n"
TOUCH_COLUMNS = {"external_id": "Id", "lead_external_id": "Kontakt", "occurred": "Zeit", "channel": "Kanal",
                 "campaign": "Kampagne"}  # fmt: skip


@pytest.fixture
def leads(company):
    """Leads the files link to: L1 (marketing), L2 (sales), L3 converted into deal 006C (and an older one too)."""
    LeadFactory(company=company, external_id="L1", is_marketing_sourced=True)
    LeadFactory(company=company, external_id="L2", is_marketing_sourced=False)
    LeadFactory(company=company, external_id="L3", crm_opportunity_id="006C", is_marketing_sourced=False,
                created=at(2026, 3, 2))  # fmt: skip
    LeadFactory(company=company, external_id="L4", crm_opportunity_id="006C", is_marketing_sourced=True,
                created=at(2026, 3, 1))  # fmt: skip


def _snapshot(kind: str) -> list[tuple]:
    model = Opportunity if kind == "opportunities" else Touchpoint
    fields = [
        f.attname
        for f in model._meta.concrete_fields
        if f.attname not in ("id", "company_id", "lead_id", "import_digest")
    ]
    return sorted(model.objects.values_list(*fields, "lead__external_id"))


@pytest.fixture
def both(company, cmo, monkeypatch, django_capture_on_commit_callbacks):
    """Import ``content`` through the SQL path and, from the same starting rows, through the Python path; return
    what each left (rows, errors, counts) after asserting that the SQL path really ran (or, for files COPY cannot
    read, really handed over)."""

    def run(content: str, *, kind="opportunities", source="salesforce", mapping: ColumnMapping | None = None,
            sql=True, before=(), counts=True):  # fmt: skip
        model = Opportunity if kind == "opportunities" else Touchpoint
        results = []
        for path in ("sql", "python"):
            model.objects.filter(company=company).delete()
            for make in before:
                make()
            used: list[bool] = []

            def spy(*args, _real=related_pg.import_related, _used=used, **kwargs):
                _used.append("rejected")  # stays so when the SQL path raises the file's errors
                outcome = _real(*args, **kwargs)
                _used[-1] = outcome is not None
                return outcome

            with monkeypatch.context() as patch:
                patch.setattr(related_pg, "import_related", spy)
                if path == "python":
                    patch.setattr(related_pg, "KINDS", set())
                with django_capture_on_commit_callbacks(execute=True):
                    upload = SimpleUploadedFile("f.csv", content.encode())
                    job = crm_import_create(company=company, kind=kind, source=source, mapping=mapping,
                                            uploaded_file=upload, actor=cmo)  # fmt: skip
            job.refresh_from_db()
            if path == "sql" and sql is not None:
                assert used in ([sql], ["rejected"]) if sql else used == [False], used  # "rejected": raised
            if path == "python":
                assert used == []
            results.append({
                "status": job.status,
                "errors": job.errors,
                "error_count": job.error_count,
                "counts": (job.rows_total, job.rows_done, job.rows_created, job.encoding) if counts else None,
                "rows": _snapshot(kind),
            })  # fmt: skip
        assert results[0] == results[1]
        return results[0]

    return run


def test_salesforce_deals_with_flags_stages_and_german_amounts(both, company, leads):
    content = SALESFORCE + (
        "006A;2026-03-04T10:22:00.000+0000;1.234,56;2026-03-20;Closed Won;true;true;Webinar\n"
        "006B;2026-03-05T08:00:00.000+0000;1,234.5;;Prospecting;false;false;Sales\n"
        "006C;2026-03-05T08:00:00.000+0000;€ 12.000;2026-03-05;Closed Lost;ja;nein;\n"  # closed same day: created
        "006D;05.03.2026 09:00;4.500;2026-03-31;Verhandlung;;;Partner Referral\n"
        "006E;2026-03-05;0,005;2026-04-01;Closed Won;X;1;Web\n"  # half to even: 0.00
        "006F;2026-03-05;1.0150;2026-04-01;Closed Won;X;1;Web\n"  # 1.02
        "006G;2026-03-05;+7;;Qualification;n;0;Trade Show\n"
        ";;;;;;;\n"
        "006H;2026-03-05;1 000,5;2026-04-01;;WAHR;falsch;Webinar\n"
    )
    before = [lambda: OpportunityFactory(company=company, external_id="006B", stage="alt", amount=5)]
    result = both(content, before=before)
    assert result["status"] == CrmImport.Status.DONE, result["errors"]
    assert result["counts"][:3] == (8, 8, 7)
    by_id = {row[0]: row for row in result["rows"]}
    assert {k: (str(row[3]), row[5]) for k, row in by_id.items()} == {
        "006A": ("1234.56", "won"),
        "006B": ("1234.50", "open"),
        "006C": ("12000.00", "lost"),  # an amount has cents at most: a lone group of three is thousands
        "006D": ("4500.00", "open"),
        "006E": ("0.00", "won"),
        "006F": ("1.02", "won"),
        "006G": ("7.00", "open"),
        "006H": ("1000.50", "lost"),
    }
    assert by_id["006C"][-1] == "L4"  # the lead converted into it (the older one)
    assert by_id["006C"][2] == by_id["006C"][1]  # a close date on the creation day: the creation time


def test_hubspot_deals_link_their_leads_and_take_marketing_from_them(both, company, leads):
    ReportingSettings.objects.update_or_create(company=company, defaults={"sales_sources": ["Sales", "Vertrieb"]})
    content = HUBSPOT + (
        '1,closedwon,5000,2026-03-01 08:00,2026-03-10,"L2;L1",Direct\n'
        "2,Appointment Scheduled,100,2026-03-01 08:00,2026-04-30,L1,Sales\n"
        "3,closedlost,100,2026-03-01 08:00,2026-03-15,L9,Sales\n"  # unknown lead: no link, source decides
        "4,Vertrag gewonnen,100,2026-03-01 08:00,2026-03-15,,Vertrieb\n"
        "006C,Closed Won,100,2026-03-01 08:00,2026-03-15,,Direct\n"
        "6,Überprüfung – gewonnen,100,2026-03-01 08:00,2026-03-15, L1 ,\n"
        "7,Angebot,100,2026-03-01 08:00,2026-03-15,L9,\n"
    )
    result = both(content, source="hubspot")
    assert result["status"] == CrmImport.Status.DONE, result["errors"]
    by_id = {row[0]: row for row in result["rows"]}
    assert {k: (row[5], row[-2], row[-1]) for k, row in by_id.items()} == {
        "1": ("won", False, "L2"),
        "2": ("open", True, "L1"),
        "3": ("lost", False, None),
        "4": ("won", False, None),
        "006C": ("won", True, "L4"),
        "6": ("won", True, "L1"),
        "7": ("open", True, None),
    }
    assert by_id["2"][2] is None  # an open deal's close date is only the expected one


def test_every_opportunity_error_in_the_python_order(both, leads):
    content = SALESFORCE + (
        "006A;2026-03-04;abc;2026-03-20;Closed Won;true;true;Webinar\n"  # amount no number
        "006B;gestern;;;Prospecting;vielleicht;false;Sales\n"  # bad date, bad flag, missing amount
        "006C;2026-03-05;100;;Closed Won;true;true;\n"  # won without close date
        "006D;2026-03-05 10:00;100;2026-03-04;Closed Lost;true;false;\n"  # closed before created
        "006E;2026-03-05;-100;;Prospecting;false;false;\n"  # negative
        "006F;2026-03-05;1.000.000.000.000;;Prospecting;false;false;\n"  # too large
        "006G;2026-03-05;999999999999,995;;Prospecting;false;false;\n"  # too large once rounded
        f"{'9' * 65};2026-03-05;1;;Prospecting;false;false;{'S' * 121}\n"  # too long
        "006H;2026-03-05;€;;;false;false;\n"  # a currency sign alone: no amount
        "006I;2026-03-05;12,3,4;;;false;false;\n"
        "006J;2026-03-05;1;;;false;false;\n"
        "006J;2026-03-06;2;;;false;false;\n"  # duplicate
        "006C;2026-03-06;2;2026-03-07;;false;false;\n"  # the first 006C has an error: this one is the first
        "006K;31.02.2026;1;;;false;false;\n"
        "006L;2026-03-05;1;2026-03-05;;yes;no;\n"  # closed the same day
        f"006M;2026-03-05;1{'0' * 30};;;false;false;\n"  # more digits than a decimal takes: too large, no crash
    )
    result = both(content)
    assert result["status"] == CrmImport.Status.FAILED
    assert [(e["row"], e["column"]) for e in result["errors"]] == [
        (2, "Amount"),
        (3, "CreatedDate"),
        (3, "IsClosed"),
        (3, "Amount"),
        (4, "CloseDate"),
        (5, "CloseDate"),
        (6, "Amount"),
        (7, "Amount"),
        (8, "Amount"),
        (9, "Id"),
        (9, "LeadSource"),
        (10, "Amount"),
        (11, "Amount"),
        (13, "Id"),
        (15, "CreatedDate"),
        (17, "Amount"),
    ]
    assert result["errors"][-1]["message"] == "The amount is too large."


def test_status_column_and_missing_columns_of_a_saved_mapping(company, cmo, both, leads):
    mapping = column_mapping_save(company=company, name="Pipedrive", kind="opportunities", actor=cmo,
                                  columns={"external_id": "Deal", "created": "Angelegt", "amount": "Wert",
                                           "status": "Status", "lead_external_id": "Person",
                                           "is_marketing_sourced": "Marketing"})  # fmt: skip
    content = (
        "Deal;Angelegt;Wert;Status;Person;Marketing\n"
        "D1;01.03.2026;1.500;offen;L1;ja\n"
        "D2;01.03.2026;1.500;Open;L1, L2;nein\n"
        "D3;01.03.2026;1.500;;;\n"
    )
    result = both(content, source="custom", mapping=mapping)
    assert result["status"] == CrmImport.Status.DONE, result["errors"]
    bad = content + "D4;01.03.2026;1;gewonnen;;\nD5;01.03.2026;1;vielleicht;;\nD6;01.03.2026;1;Wön;;\n"
    result = both(bad, source="custom", mapping=mapping)
    assert [(e["row"], e["column"]) for e in result["errors"]] == [(5, "closed"), (6, "Status"), (7, "Status")]
    assert "open, won or lost" in result["errors"][1]["message"]


_NAMES = itertools.count()


def _touch_mapping(company, cmo, columns=None):
    return column_mapping_save(company=company, name=f"Touch {next(_NAMES)}", kind="touchpoints", actor=cmo,
                               columns=columns or TOUCH_COLUMNS)  # fmt: skip


def test_touchpoints_with_and_without_ids(company, cmo, both, leads):
    mapping = _touch_mapping(company, cmo)
    content = (
        "Id;Kontakt;Zeit;Kanal;Kampagne\n"
        "T1;L1;2026-03-04 10:22;Webinar;Frühjahr\n"
        ";L1;2026-03-04 10:22;Webinar;Frühjahr\n"
        ";L2;04.03.2026 10:22:33;Messe;\n"
        ";L2;2026-03-04T10:22:00.5+05:30;Messe;\n"
        ";L2;2026-03-04T10:22:00Z;Messe;\n"
        ";L2;2026-10-25 02:30;Messe;\n"  # twice in Berlin: the first
        ";L2;2026-03-29 02:30;Messe;\n"  # not in Berlin
        ";L2;2026-03-04T10:22:00-0130;Messe;\n"
        ";L3;2026-03-04 10:22 AM CET;Messe;\n"  # Python reads it
        ";L3;2026-03-04T10:22:00+20:00;Messe;\n"  # beyond PostgreSQL's offsets: Python, in UTC
        ";L3;2026-03-04;Messe;\n"
    )
    before = [lambda: TouchpointFactory(company=company, external_id="T1",
                                        lead=Lead.objects.get(company=company, external_id="L2"))]  # fmt: skip
    result = both(content, kind="touchpoints", source="custom", mapping=mapping, before=before)
    assert result["status"] == CrmImport.Status.DONE, result["errors"]
    assert result["counts"][:3] == (11, 11, 10)
    assert len({row[0] for row in result["rows"]}) == 11


def test_touchpoint_file_without_id_column_and_without_campaign(company, cmo, both, leads):
    columns = {"lead_external_id": "Kontakt", "occurred": "Zeit", "channel": "Kanal"}
    mapping = _touch_mapping(company, cmo, columns)
    content = "Kontakt,Zeit,Kanal\nL1,2026-03-04 10:22,Webinar\nL1,2026-03-04 10:23,Webinar\n"
    result = both(content, kind="touchpoints", source="custom", mapping=mapping)
    assert result["status"] == CrmImport.Status.DONE, result["errors"]
    duplicate = content + "L1,04.03.2026 10:22,Webinar\n"  # the same id as row 2
    result = both(duplicate, kind="touchpoints", source="custom", mapping=mapping)
    assert [(e["row"], e["column"]) for e in result["errors"]] == [(4, "")]


def test_touchpoint_errors_with_unknown_leads_last(company, cmo, both, leads):
    mapping = _touch_mapping(company, cmo)
    content = (
        "Id;Kontakt;Zeit;Kanal;Kampagne\n"
        "T1;L9;2026-03-04 10:22;Webinar;\n"  # unknown lead: reported after the others
        "T2;L1;gestern;Webinar;\n"
        "T3;L8;gestern;;\n"  # bad date, no channel and an unknown lead
        f"T4;{'L' * 65};2026-03-04;Webinar;\n"
        "T5;;2026-03-04;Webinar;\n"
        "T5;L1;2026-03-04;Webinar;\n"
        "T5;L1;2026-03-04;Webinar;\n"
        " ; ; ;\t; \n"
        f"T6;L1;2026-03-04;{'W' * 121};{'c' * 201}\n"
    )
    result = both(content, kind="touchpoints", source="custom", mapping=mapping)
    assert [(e["row"], e["column"]) for e in result["errors"]] == [
        (3, "Zeit"),
        (4, "Zeit"),
        (4, "Kanal"),
        (5, "Kontakt"),
        (6, "Kontakt"),
        (8, "Id"),
        (10, "Kanal"),
        (10, "Kampagne"),
        (2, "Kontakt"),
        (4, "Kontakt"),
    ]
    assert result["errors"][-1]["message"] == "No lead with id “L8”."


def test_unknown_leads_are_reported_after_each_batch(company, cmo, both, leads, monkeypatch):
    from crm.services import import_run

    monkeypatch.setattr(imports_pg_related_check, "BATCH_SIZE", 3)
    monkeypatch.setattr(import_run, "BATCH_SIZE", 3)
    mapping = _touch_mapping(company, cmo)
    lines = [f"T{n};{'L1' if n % 2 else 'L9'};{'gestern' if n % 3 == 1 else '2026-03-04'};Web;" for n in range(10)]
    result = both("Id;Kontakt;Zeit;Kanal;Kampagne\n" + "\n".join(lines) + "\n", kind="touchpoints", source="custom",
                  mapping=mapping)  # fmt: skip
    # Python checks the leads of every BATCH_SIZE rows naming one after the last of them (here 3: rows 4, 7, 10)
    assert [(e["row"], e["column"]) for e in result["errors"]] == [
        (3, "Zeit"),
        (2, "Kontakt"),
        (4, "Kontakt"),
        (6, "Zeit"),
        (6, "Kontakt"),
        (9, "Zeit"),
        (8, "Kontakt"),
        (10, "Kontakt"),
    ]


def test_errors_are_capped_with_the_total(both, leads, monkeypatch):
    from crm.services import import_run

    monkeypatch.setattr(imports_pg_related_check, "MAX_STORED_ERRORS", 5)
    monkeypatch.setattr(import_run, "MAX_STORED_ERRORS", 5)
    result = both(SALESFORCE + "".join(f"00{n};gestern;1;;;;;\n" for n in range(12)))
    assert result["error_count"] == 12
    assert [e["row"] for e in result["errors"]] == [2, 3, 4, 5, 6]


@pytest.mark.parametrize(
    ("content", "sql"),
    [
        (SALESFORCE + '006A;"2026-03-01;1\n', False),  # unterminated quote
        (SALESFORCE + "006A;2026-03-01;1;;;;;\n\n", False),  # an empty line
        (SALESFORCE + "006A;2026-03-01;1;;;;;;extra\n", False),
        (SALESFORCE + f"006A;2026-03-01;1;;;;;{'x' * 131073}\n", False),  # a field beyond the csv module
        (SALESFORCE, True),  # no data rows: rejected by the SQL path
        ("Name;Amount\nX;1\n", None),  # column missing
    ],
)
def test_files_copy_cannot_read_are_handed_to_the_python_path(both, content, sql):
    both(content, sql=sql)


AMOUNTS = st.one_of(
    st.from_regex(r"\A[+-]?[0-9]{1,4}([.,][0-9]{1,4})?\Z"),
    st.from_regex(r"\A[+-]?[0-9]{1,3}([.,][0-9]{3}){1,3}([.,][0-9]{1,3})?\Z"),
    st.text(alphabet="0123456789.,-+€ '", max_size=14),
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amounts=st.lists(AMOUNTS, min_size=1, max_size=12))
def test_generated_amounts_read_the_same(both, amounts):
    rows = "".join(f'00{n};2026-03-05;"{a}";;;;;\n' for n, a in enumerate(amounts))
    both(SALESFORCE + rows)


STAGES = st.one_of(
    st.sampled_from(["Closed Won", "closedwon", "Closed-Lost", "Gewonnen", "VERLOREN", "Angebot", "Wön", "loﬆ"]),
    st.text(alphabet="abcdeilnorstwüßGWLO _-\t", max_size=14),
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stages=st.lists(STAGES, min_size=1, max_size=12))
def test_generated_stage_names_give_the_same_status(both, stages):
    rows = "".join(f'{n},"{s}",1,2026-03-01,2026-03-02,,\n' for n, s in enumerate(stages))
    both(HUBSPOT + rows, source="hubspot")


def _readable(value: str) -> bool:
    try:
        reader.parse_datetime(value)
    except reader.ValueError_:
        return False
    return True


def test_every_date_form_gives_the_same_touchpoint_ids(company, cmo, both, leads):
    mapping = _touch_mapping(company, cmo, {"lead_external_id": "Kontakt", "occurred": "Zeit", "channel": "Kanal"})
    rows = "".join(f'L1,"{d}",Web{n}\n' for n, d in enumerate(DATES_OK[:-1]))
    result = both("Kontakt,Zeit,Kanal\n" + rows, kind="touchpoints", source="custom", mapping=mapping)
    assert result["status"] == CrmImport.Status.DONE, result["errors"]
    assert len(result["rows"]) == len(DATES_OK) - 1


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(dates=st.lists(DATE_PARTS, min_size=1, max_size=12))
def test_generated_times_give_the_same_touchpoint_ids(company, cmo, both, leads, dates):
    mapping = _touch_mapping(company, cmo, {"lead_external_id": "Kontakt", "occurred": "Zeit", "channel": "Kanal"})
    readable = [d for d in dates if _readable(d)]  # a file with an error writes nothing: no ids to compare
    assume(readable)
    rows = "".join(f'L1,"{d}",Web{n}\n' for n, d in enumerate(readable))
    both("Kontakt,Zeit,Kanal\n" + rows, kind="touchpoints", source="custom", mapping=mapping)


def test_connection_lost_while_writing_deals_writes_nothing_and_the_retry_works(
    company, cmo, leads, monkeypatch, django_capture_on_commit_callbacks
):
    from django.db import OperationalError

    from crm.tasks import crm_import_run

    real = related_pg._write_opportunities

    def lost(*args, **kwargs):
        real(*args, **kwargs)  # the rows are written, then the connection goes
        raise OperationalError("server closed the connection unexpectedly")

    upload = SimpleUploadedFile("deals.csv", (SALESFORCE + "006A;2026-03-04;1.234,56;;Prospecting;;;Web\n").encode())
    with django_capture_on_commit_callbacks(execute=False):
        job = crm_import_create(company=company, kind="opportunities", source="salesforce", uploaded_file=upload,
                                actor=cmo)  # fmt: skip
    with monkeypatch.context() as patch:
        patch.setattr(related_pg, "_write_opportunities", lost)
        with pytest.raises(OperationalError):
            crm_import_run.run(job.pk)
    job.refresh_from_db()
    assert job.status == CrmImport.Status.PENDING  # back to waiting: the task's retry picks it up
    assert not Opportunity.objects.filter(company=company).exists()
    assert crm_import_run.run(job.pk) == CrmImport.Status.DONE
    assert list(Opportunity.objects.filter(company=company).values_list("external_id", "amount")) == [
        ("006A", Decimal("1234.56"))
    ]


def test_a_stage_longer_than_its_column_fails_alike(both, leads):
    # The reader allows 120 characters, the stage column holds 80: both paths stop with the same message (the
    # Python path has stored the number of rows it validated before its write failed; the SQL path's is rolled back).
    result = both(SALESFORCE + f"006A;2026-03-04;1;;{'S' * 100};;;Web\n", sql="rejected", counts=False)
    assert result["status"] == CrmImport.Status.FAILED
    assert result["errors"][0]["message"].startswith("The import stopped unexpectedly")


def test_the_incremental_kpi_refresh_after_a_deal_import_starts_at_the_changed_month(company, cmo, leads, monkeypatch):
    from reporting.services import kpi_incremental

    real, calls = related_pg.import_related, []
    monkeypatch.setattr(related_pg, "import_related", lambda *a, **k: calls.append(1) or real(*a, **k))

    rows = "006A;2026-01-10;100;;Prospecting;;;Web\n006B;2026-03-10;200;;Prospecting;;;Web\n"

    def run(content: str) -> dict:
        job = crm_import_create(company=company, kind="opportunities", source="salesforce", schedule=False,
                                uploaded_file=SimpleUploadedFile("deals.csv", content.encode()), actor=cmo)  # fmt: skip
        assert crm_import_run(import_id=job.pk).status == CrmImport.Status.DONE
        return kpi_incremental.kpi_snapshots_refresh_changed(company=company)

    run(SALESFORCE + rows)
    assert run(SALESFORCE + rows)["since"] is None  # nothing changed
    assert run(SALESFORCE + rows.replace(";200;", ";250;"))["since"] == dt.date(2026, 3, 1)
    assert len(calls) == 3  # all through the SQL path


def test_capped_touchpoint_errors_keep_the_python_order(company, cmo, both, leads, monkeypatch):
    from crm.services import import_run

    monkeypatch.setattr(imports_pg_related_check, "MAX_STORED_ERRORS", 5)
    monkeypatch.setattr(import_run, "MAX_STORED_ERRORS", 5)
    mapping = _touch_mapping(company, cmo)
    lines = [f"T{n};L9;2026-03-04;Web;" for n in range(4)] + [f"U{n};L1;gestern;Web;" for n in range(4)]
    result = both("Id;Kontakt;Zeit;Kanal;Kampagne\n" + "\n".join(lines) + "\n", kind="touchpoints", source="custom",
                  mapping=mapping)  # fmt: skip
    assert result["error_count"] == 8
    # The unknown leads are checked at the end of the file: the stored five are the four dates, then row 2.
    assert [(e["row"], e["column"]) for e in result["errors"]] == [(6, "Zeit"), (7, "Zeit"), (8, "Zeit"),
                                                                   (9, "Zeit"), (2, "Kontakt")]  # fmt: skip
