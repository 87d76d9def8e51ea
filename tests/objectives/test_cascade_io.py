"""Import and export: round trip (XLSX and CSV), formula escaping, rejection with row/column errors, API."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from companies.permissions import Role
from core.errors import PermissionDenied
from objectives.models import CheckIn, KeyResult, Objective, ObjectiveLink
from objectives.services import cascade as svc
from objectives.services import cascade_io
from tests.factories_cascade import CycleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def facilitator(company, make_member):
    return make_member(company, Role.FACILITATOR, username="lena")


@pytest.fixture
def source(company, facilitator, make_member):
    """A small cascade with every kind of key result, an alignment and a title a spreadsheet would execute."""
    anna = make_member(company, Role.MEMBER, username="anna")
    cycle = CycleFactory(company=company, name="FY 2026")
    top = svc.objective_create(cycle=cycle, title="Profitabel wachsen", owner=facilitator, actor=facilitator)
    second = svc.objective_create(cycle=cycle, title='=HYPERLINK("http://evil")', actor=facilitator)
    marketing = svc.objective_create(
        cycle=cycle, title="Leads aus Fokussegmenten", parent=top, team="marketing", owner=anna, actor=facilitator
    )
    svc.objective_update(
        objective=marketing, version=1, actor=facilitator, state="committed", rollup="krs", description="-intern"
    )
    svc.objective_links_set(objective=marketing, targets=[second], actor=facilitator)
    svc.objective_create(cycle=cycle, title="Unter-Ziel", parent=marketing, actor=facilitator)
    kinds = [
        ("Qualifizierte Leads +18 %", "increase_to", "percent", "0", "18", "7.5"),
        ("Kosten je Lead", "decrease_to", "currency", "250", "180", "-10"),
        ("NPS über 40", "stay_above", "number", "0", "40", "45"),
        ("Churn unter 5 %", "stay_below", "percent", "0", "5", None),
        ("@Vorstandsreporting", "milestone", "number", "0", "1", "1"),
    ]
    for title, kind, unit, start, target, current in kinds:
        if kind == "decrease_to":
            start, target = "250", "-20"  # a negative number must survive the round trip
        kr = svc.key_result_create(
            objective=marketing,
            title=title,
            kind=kind,
            unit=unit,
            start_value=start,
            target_value=target,
            weight="2" if kind == "increase_to" else "1",
            owner=anna,
            confidence="0.6",
            actor=facilitator,
        )
        if current is not None:
            svc.check_in_create(key_result=kr, value=current, confidence="0.7", actor=facilitator)
    return cycle


def _comparable(rows):
    return [dict(row) for row in rows]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_round_trip_reproduces_the_cascade(company, facilitator, source, fmt):
    rows = cascade_io.cascade_export_rows(company=company, cycle=source)
    assert [r["path"] for r in rows] == ["1", "1.1", "1.1.K1", "1.1.K2", "1.1.K3", "1.1.K4", "1.1.K5", "1.1.1", "2"]
    if fmt == "xlsx":
        data = cascade_io.cascade_export_xlsx(company=company, cycle=source)
    else:
        data = cascade_io.cascade_export_csv(company=company, cycle=source).encode()
    target = CycleFactory(company=company, name="Copy")
    result = cascade_io.cascade_import(
        company=company, cycle=target, file=io.BytesIO(data), filename=f"export.{fmt}", actor=facilitator
    )
    assert (result.objectives, result.key_results, result.check_ins) == (4, 5, 4)
    assert _comparable(cascade_io.cascade_export_rows(company=company, cycle=target)) == _comparable(rows)
    copy = Objective.objects.get(cycle=target, title="Leads aus Fokussegmenten")
    assert (copy.state, copy.rollup, copy.description, copy.owner.username) == ("committed", "krs", "-intern", "anna")
    assert ObjectiveLink.objects.get(source=copy).target.title == '=HYPERLINK("http://evil")'
    assert KeyResult.objects.get(objective=copy, kind="decrease_to").current_value == Decimal("-10")
    assert CheckIn.objects.filter(key_result__objective=copy, is_automatic=True).count() == 4


def test_export_escapes_formula_cells(company, source):
    text = cascade_io.cascade_export_csv(company=company, cycle=source)
    rows = list(csv.reader(io.StringIO(text)))
    titles = [row[2] for row in rows]
    assert '\'=HYPERLINK("http://evil")' in titles
    assert "'@Vorstandsreporting" in titles
    assert any(row[3] == "'-intern" for row in rows)
    decrease = next(row for row in rows if row[9] == "decrease_to")
    assert decrease[12] == "-20" and decrease[13] == "-10"  # numbers stay numbers
    workbook = load_workbook(io.BytesIO(cascade_io.cascade_export_xlsx(company=company, cycle=source)))
    sheet = workbook.active
    values = [cell.value for cell in sheet["C"]]
    assert '\'=HYPERLINK("http://evil")' in values
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def _csv(rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(cascade_io.COLUMNS)
    for row in rows:
        writer.writerow([row.get(c, "") for c in cascade_io.COLUMNS])
    return io.BytesIO(buffer.getvalue().encode())


def test_import_rejects_bad_rows_with_row_and_column_and_creates_nothing(company, facilitator):
    cycle = CycleFactory(company=company)
    file = _csv(
        [
            {"path": "1", "type": "objective", "title": "Gut"},
            {"path": "1.1", "type": "objective", "title": ""},
            {"path": "3.1", "type": "objective", "title": "Waise"},
            {"path": "1.K1", "type": "key result", "title": "KR", "kind": "increase_to", "target_value": "abc"},
            {"path": "1.K2", "type": "key result", "title": "KR", "kind": "increase_to", "start_value": "5"},
            {"path": "1.K3", "type": "key result", "title": "KR", "kind": "sometimes", "target_value": "5"},
            {"path": "1.K4", "type": "key result", "title": "KR", "kind": "milestone", "current_value": "0.5"},
            {"path": "1.K5", "type": "key result", "title": "KR", "kind": "stay_above", "weight": "0", "owner": "x"},
            {"path": "1", "type": "initiative", "title": "?"},
            {"path": "2", "type": "objective", "title": "Zwei", "contributes_to": "9"},
        ]
    )
    with pytest.raises(ValidationError) as exc:
        cascade_io.cascade_import(company=company, cycle=cycle, file=file, filename="x.csv", actor=facilitator)
    messages = exc.value.messages
    expected = [
        "row 3, column title: a title is required.",
        "row 4, column path: the parent objective 3 is not listed above.",
        "row 5, column target_value: “abc” is not a number.",
        "row 6, column target_value: a target is required.",
        "row 7, column kind: use one of:",
        "row 8, column current_value: a milestone is 1 (done) or 0 (not done).",
        "row 9, column owner: “x” is not a member of this company.",
        "row 9, column weight: must be greater than 0.",
        "row 10, column type: use “objective” or “key result”",
        "row 11, column contributes_to: the objective 9 is not in the file.",
    ]
    for start in expected:
        assert any(m.startswith(start) for m in messages), (start, messages)
    assert not Objective.objects.exists() and not KeyResult.objects.exists()


def test_import_refuses_loops_duplicates_depth_and_formats(company, facilitator):
    cycle = CycleFactory(company=company)
    file = _csv(
        [
            {"path": "1", "type": "objective", "title": "A", "contributes_to": "2"},
            {"path": "2", "type": "objective", "title": "B", "contributes_to": "1"},
            {"path": "2", "type": "objective", "title": "B again"},
            *[{"path": ".".join(["1"] * n), "type": "objective", "title": f"L{n}"} for n in range(2, 8)],
        ]
    )
    with pytest.raises(ValidationError) as exc:
        cascade_io.cascade_import(company=company, cycle=cycle, file=file, filename="x.csv", actor=facilitator)
    text = "\n".join(exc.value.messages)
    assert "this would create a loop" in text
    assert "row 4, column path: the path 2 appears twice." in text
    assert "row 10, column path: a cascade has at most 6 levels." in text
    assert text.index("row 2,") < text.index("row 4,") < text.index("row 10,")
    with pytest.raises(ValidationError) as exc:
        cascade_io.cascade_import(
            company=company, cycle=cycle, file=io.BytesIO(b"x"), filename="x.pdf", actor=facilitator
        )
    assert exc.value.messages == ["Upload an .xlsx or .csv file."]
    with pytest.raises(ValidationError):
        cascade_io.cascade_import(
            company=company, cycle=cycle, file=io.BytesIO(b"garbage"), filename="x.xlsx", actor=facilitator
        )
    with pytest.raises(ValidationError) as exc:
        cascade_io.cascade_import(
            company=company, cycle=cycle, file=io.BytesIO(b"title;type\nA;objective"), filename="x.csv", actor=None
        )
    assert exc.value.messages == ["row 1, column path: this column is missing from the header row."]
    assert not Objective.objects.exists()


def test_import_accepts_semicolons_decimal_commas_and_appends(company, facilitator):
    cycle = CycleFactory(company=company)
    svc.objective_create(cycle=cycle, title="Existing", actor=facilitator)
    content = (
        b"path;type;title;kind;start_value;target_value;current_value\n"
        b"1;objective;Neu;;;;\n"
        b"1.K1;key result;Quote;increase_to;0;12,5;2,5\n"
    )
    result = cascade_io.cascade_import(
        company=company, cycle=cycle, file=io.BytesIO(content), filename="de.csv", actor=facilitator
    )
    assert result.objectives == 1
    assert list(Objective.objects.filter(cycle=cycle).order_by("position").values_list("title", flat=True)) == [
        "Existing",
        "Neu",
    ]
    kr = KeyResult.objects.get()
    assert (kr.target_value, kr.current_value) == (Decimal("12.5"), Decimal("2.5"))


def test_import_needs_edit_rights_and_a_planning_cycle(company, make_member):
    cycle = CycleFactory(company=company, state="active")
    file = _csv([{"path": "1", "type": "objective", "title": "A"}])
    with pytest.raises(PermissionDenied):
        cascade_io.cascade_import(
            company=company, cycle=cycle, file=file, filename="x.csv", actor=make_member(company, Role.EXECUTIVE)
        )
    with pytest.raises(ValidationError) as exc:
        cascade_io.cascade_import(company=company, cycle=cycle, file=file, filename="x.csv", actor=None)
    assert "cycle" in exc.value.message_dict


def test_export_and_import_api(company, source, api_client_for):
    client = api_client_for(company, Role.CMO)
    base = f"/api/v1/companies/{company.slug}/cascade"
    xlsx = client.get(f"{base}/export.xlsx", {"cycle": source.pk})
    assert xlsx.status_code == 200 and xlsx["Content-Type"] == cascade_io.XLSX_TYPE
    assert 'filename="cascade-fy-2026.xlsx"' in xlsx["Content-Disposition"]
    csv_response = client.get(f"{base}/export.csv", {"cycle": source.pk})
    assert csv_response.status_code == 200
    assert csv_response.content.decode("utf-8").startswith("\ufeffpath,type,title")
    target = CycleFactory(company=company, name="API copy")
    upload = SimpleUploadedFile("cascade.csv", csv_response.content, content_type="text/csv")
    imported = client.post(f"{base}/import/", {"cycle": target.pk, "file": upload}, format="multipart")
    assert imported.status_code == 201, imported.json()
    assert imported.json() == {"objectives": 4, "key_results": 5, "teams_created": []}
    bad = SimpleUploadedFile("bad.csv", b"path,type,title\n1,objective,\n", content_type="text/csv")
    refused = client.post(f"{base}/import/", {"cycle": target.pk, "file": bad}, format="multipart")
    assert refused.status_code == 400
    assert refused.json()["file"] == ["row 2, column title: a title is required."]
    member = api_client_for(company, Role.MEMBER)
    upload = SimpleUploadedFile("cascade.csv", csv_response.content, content_type="text/csv")
    assert member.post(f"{base}/import/", {"cycle": target.pk, "file": upload}).status_code == 403
