"""Hostile and broken files for every import (cascade XLSX/CSV, CRM CSV, spend CSV): each is refused with a clear
error naming row and column where there is one, and nothing is written. Exports neutralise spreadsheet formulas."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from budgets import imports as budget_imports
from budgets.models import BudgetLine, SpendEntry
from companies.permissions import Role
from crm.models import CrmImport, Lead
from crm.services import crm_import_create
from objectives.models import KeyResult, Objective
from objectives.services import cascade_io
from tests.factories import CycleFactory, ObjectiveFactory
from tests.factories_budgets import BudgetLineFactory, ChannelFactory

pytestmark = pytest.mark.django_db

CASCADE_OK = "path,type,title,kind,target_value\n1,objective,Grow pipeline,,\n1.K1,key result,SQLs,increase_to,120\n"
CRM_OK = "Record ID,First Name,Create Date,Lifecycle Stage\n101,Anna,2026-03-04 10:22,lead\n"
SPEND_OK = "line,date,amount,reference\n{line},2026-03-04,1200.50,INV-1\n"


@dataclass
class Importer:
    name: str
    filename: str
    valid: str

    def run(self, ctx, content: bytes, filename: str | None = None) -> list[str]:
        """Import; return the error messages ([] when it succeeded)."""
        filename = filename or self.filename
        upload = SimpleUploadedFile(filename, content)
        if self.name == "cascade":
            try:
                cascade_io.cascade_import(company=ctx["company"], cycle=ctx["cycle"], file=upload, filename=filename,
                                          actor=ctx["facilitator"])  # fmt: skip
            except ValidationError as exc:
                return exc.messages
            return []
        if self.name == "crm":
            try:
                with ctx["capture"](execute=True):
                    job = crm_import_create(company=ctx["company"], kind="leads", source="hubspot",
                                            uploaded_file=upload, actor=ctx["cmo"])  # fmt: skip
            except ValidationError as exc:
                return exc.messages
            job.refresh_from_db()
            if job.status == CrmImport.Status.DONE:
                return []
            return [f"row {e['row']}, column {e['column']}: {e['message']}" for e in job.errors]
        try:
            budget_imports.spend_import_csv(company=ctx["company"], upload=upload, actor=ctx["cmo"])
        except ValidationError as exc:
            return exc.messages
        return []

    def rows(self, ctx) -> int:
        company = ctx["company"]
        return {
            "cascade": Objective.objects.filter(company=company).count()
            + KeyResult.objects.filter(company=company).count(),
            "crm": Lead.objects.filter(company=company).count(),
            "spend": SpendEntry.objects.filter(company=company).count(),
        }[self.name]  # fmt: skip


IMPORTERS = {
    "cascade": Importer("cascade", "cascade.csv", CASCADE_OK),
    "crm": Importer("crm", "contacts.csv", CRM_OK),
    "spend": Importer("spend", "spend.csv", SPEND_OK),
}


@pytest.fixture
def ctx(company, make_member, settings, tmp_path, django_capture_on_commit_callbacks):
    from budgets import services as budget_services

    settings.CRM_IMPORT_ROOT = tmp_path / "uploads"
    facilitator = make_member(company, Role.FACILITATOR)
    cmo = make_member(company, Role.CMO)
    cycle = CycleFactory(company=company)
    kr = KeyResult.objects.create(company=company, objective=ObjectiveFactory(cycle=cycle), title="Bound")
    line = BudgetLineFactory(company=company, cycle=cycle, channel=ChannelFactory(company=company),
                             requester=facilitator, state="submitted", key_result=kr)  # fmt: skip
    budget_services.budget_line_approve(line=line, actor=cmo)
    return {"company": company, "cycle": cycle, "facilitator": facilitator, "cmo": cmo, "line": line,
            "capture": django_capture_on_commit_callbacks}  # fmt: skip


def _valid(importer: Importer, ctx) -> str:
    return importer.valid.format(line=ctx["line"].pk)


def _assert_refused(importer, ctx, content: bytes, *expected: str, filename: str | None = None) -> str:
    before = importer.rows(ctx)
    messages = importer.run(ctx, content, filename)
    text = " | ".join(messages)
    assert messages, "the file was accepted"
    for part in expected:
        assert part.lower() in text.lower(), text
    assert importer.rows(ctx) == before, "something was written"
    return text


@pytest.mark.parametrize("name", IMPORTERS)
def test_the_valid_file_imports(ctx, name):
    importer = IMPORTERS[name]
    before = importer.rows(ctx)
    assert importer.run(ctx, _valid(importer, ctx).encode()) == []
    assert importer.rows(ctx) > before


@pytest.mark.parametrize("name", IMPORTERS)
def test_utf16_file_is_refused(ctx, name):
    importer = IMPORTERS[name]
    _assert_refused(importer, ctx, _valid(importer, ctx).encode("utf-16"))


@pytest.mark.parametrize("name", IMPORTERS)
def test_binary_garbage_is_refused(ctx, name):
    garbage = bytes(range(256)) * 40
    _assert_refused(IMPORTERS[name], ctx, garbage)


@pytest.mark.parametrize(
    ("name", "content", "column"),
    [
        ("cascade", "path,kind,name\n1,objective,Grow\n", "type"),
        ("crm", "First Name,Create Date\nAnna,2026-03-04\n", "Record ID"),
        ("spend", "line,amount\n1,100\n", "date"),
    ],
)
def test_missing_columns_are_named(ctx, name, content, column):
    text = _assert_refused(IMPORTERS[name], ctx, content.encode(), column)
    assert "row 1" in text.lower() or "header" in text.lower()


@pytest.mark.parametrize(
    ("name", "content", "row", "column"),
    [
        ("cascade", "path,type,title\n1,objective,A\n1,objective,B\n", "3", "path"),
        ("crm", "Record ID,First Name,Create Date,Lifecycle Stage\n7,A,2026-03-04,lead\n7,B,2026-03-05,lead\n", "3",
         "Record ID"),
    ],
)  # fmt: skip
def test_duplicated_ids_are_named(ctx, name, content, row, column):
    _assert_refused(IMPORTERS[name], ctx, content.encode(), f"row {row}", column)


@pytest.mark.parametrize(
    ("name", "content", "column"),
    [
        ("crm", "Record ID,First Name,Create Date,Lifecycle Stage\n7,A,31.02.2026,lead\n", "Create Date"),
        ("spend", "line,date,amount\n{line},2026-13-45,100\n", "date"),
    ],
)
def test_malformed_dates_are_named(ctx, name, content, column):
    _assert_refused(IMPORTERS[name], ctx, content.format(line=ctx["line"].pk).encode(), "row 2", column)


@pytest.mark.parametrize(
    ("name", "content", "column"),
    [
        ("cascade", "path,type,title,target_value\n1,objective,A,\n1.K1,key result,KR,12x\n", "target_value"),
        ("crm", "Record ID,Deal Stage,Amount,Create Date,Close Date\n9,closedwon,zwölf,2026-03-01,2026-03-02\n",
         "Amount"),
        ("spend", "line,date,amount\n{line},2026-03-04,1.2.3\n", "amount"),
    ],
)  # fmt: skip
def test_malformed_numbers_are_named(ctx, name, content, column):
    importer = IMPORTERS[name]
    if name == "crm":
        before = CrmImport.objects.count()
        upload = SimpleUploadedFile("deals.csv", content.encode())
        with ctx["capture"](execute=True):
            job = crm_import_create(company=ctx["company"], kind="opportunities", source="hubspot",
                                    uploaded_file=upload, actor=ctx["cmo"])  # fmt: skip
        job.refresh_from_db()
        assert job.status == CrmImport.Status.FAILED and CrmImport.objects.count() == before + 1
        assert (2, column) in {(e["row"], e["column"]) for e in job.errors}
        return
    row = "3" if name == "cascade" else "2"
    _assert_refused(importer, ctx, content.format(line=ctx["line"].pk).encode(), f"row {row}", column)


@pytest.mark.parametrize("name", IMPORTERS)
def test_a_file_above_the_limit_is_refused_before_it_is_read(ctx, name, settings):
    settings.IMPORT_MAX_BYTES = 2048
    settings.CRM_IMPORT_MAX_BYTES = 2048
    importer = IMPORTERS[name]
    valid = _valid(importer, ctx)
    header, row = valid.split("\n", 1)
    big = (header + "\n" + row * (4096 // len(row) + 1)).encode()
    text = _assert_refused(importer, ctx, big)
    assert "limit" in text or "at most" in text


def test_upload_forms_say_the_limit_up_front(company, client_for, settings):
    settings.IMPORT_MAX_BYTES = 3 * 1024 * 1024
    CycleFactory(company=company)
    page = client_for(company, Role.FACILITATOR).get(
        reverse("objectives:cascade_import", kwargs={"company_slug": "acme"})
    )
    assert "Files up to 3 MB." in page.content.decode()
    page = client_for(company, Role.CMO).get(reverse("budgets:import", kwargs={"company_slug": "acme"}))
    assert "Files up to 3 MB." in page.content.decode()


def _xlsx_bomb() -> bytes:
    """A valid-looking workbook whose sheet unpacks to ~50 MB of XML (compresses to ~50 KB)."""
    from openpyxl import Workbook

    buffer = io.BytesIO()
    Workbook().save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                cells = '<row r="1"><c r="A1" t="inlineStr"><is><t>path</t></is></c></row>'
                filler = '<row><c t="inlineStr"><is><t>x</t></is></c></row>' * 1_000_000
                data = data.replace(b"<sheetData></sheetData>", f"<sheetData>{cells}{filler}</sheetData>".encode())
            bomb.writestr(item, data)
    return out.getvalue()


def test_xlsx_zip_bomb_is_refused_without_unpacking(ctx, settings):
    settings.IMPORT_MAX_BYTES = 1024 * 1024  # unpacked, a workbook may hold 20 times that
    importer = IMPORTERS["cascade"]
    bomb = _xlsx_bomb()
    assert len(bomb) < 1024 * 1024
    _assert_refused(importer, ctx, bomb, "unpacks", filename="cascade.xlsx")


def test_broken_xlsx_is_refused(ctx):
    _assert_refused(IMPORTERS["cascade"], ctx, b"PK\x03\x04 not really a zip", "xlsx", filename="cascade.xlsx")


FORMULAS = ['=HYPERLINK("http://evil")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


@pytest.mark.parametrize("payload", FORMULAS)
def test_exports_neutralise_formulas(ctx, payload, client_for):
    company = ctx["company"]
    Objective.objects.filter(company=company).update(title=payload)
    BudgetLine.objects.filter(pk=ctx["line"].pk).update(title=payload)
    export = cascade_io.cascade_export_csv(company=company, cycle=ctx["cycle"]).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(export)))
    titles = [row[2] for row in rows[1:] if row[1] == "objective"]
    assert titles and all(t == "'" + payload for t in titles)

    client = client_for(company, Role.CMO)
    response = client.get(reverse("budgets:export", kwargs={"company_slug": "acme"}))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(text), delimiter=";" if ";" in text.split("\n")[0] else ",")
             for cell in row]  # fmt: skip
    assert "'" + payload in cells
    assert payload not in cells
