"""CSV imports: all-or-nothing, row/column errors, encodings, German numbers and dates, the gate for imported lines;
the admin action and the management commands go through the same services."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.contrib.admin.sites import site
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client

from budgets import imports
from budgets.models import BudgetLine, SpendEntry

pytestmark = pytest.mark.django_db


def upload(text: str, encoding: str = "utf-8") -> io.BytesIO:
    return io.BytesIO(text.encode(encoding))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1234.56", "1234.56"),
        ("1.234,56", "1234.56"),
        ("1234,5", "1234.50"),
        ("1,234.56", "1234.56"),
        ("€ 1 234,56", "1234.56"),
        ("-250,00", "-250.00"),
    ],
)
def test_amounts_with_decimal_comma_or_point(raw, expected):
    assert imports.parse_amount(raw) == Decimal(expected)


@pytest.mark.parametrize("raw", ["", "abc", "12,3,4", "1.234.567,891"])
def test_bad_amounts_are_refused(raw):
    with pytest.raises(ValueError):
        imports.parse_amount(raw)


def test_spend_import_german_export_semicolon_cp1252(world):
    line = world.approved()
    text = f"Budgetzeile;Datum;Betrag;Referenz;Notiz\n{line.pk};15.03.2026;1.250,00;RE-1;Standmiete Hannover\n"
    text += f"{line.title};2026-04-01;99,5;RE-2;Größere Nachbuchung\n"
    count = imports.spend_import_csv(company=world.company, upload=upload(text, "cp1252"), actor=world.cmo)
    assert count == 2
    notes = set(SpendEntry.objects.values_list("note", flat=True))
    assert notes == {"Standmiete Hannover", "Größere Nachbuchung"}
    assert sum(SpendEntry.objects.values_list("amount", flat=True)) == Decimal("1349.50")


def test_spend_import_is_all_or_nothing_with_row_and_column_errors(world):
    line = world.approved()
    draft = world.line(submit=False, title="Entwurf")
    text = (
        "line,date,amount,reference\n"
        f"{line.pk},2026-03-01,100.00,OK\n"
        f"{line.pk},31.02.2026,100.00,bad date\n"
        f"{line.pk},2026-03-02,zwölf,bad number\n"
        "99999,2026-03-02,1,unknown line\n"
        f"{draft.pk},2026-03-02,1,not approved\n"
        f"{line.pk},2026-03-02,1,x,extra cell\n"
    )
    with pytest.raises(imports.ImportFailed) as exc:
        imports.spend_import_csv(company=world.company, upload=upload(text), actor=world.cmo)
    rows = exc.value.rows
    assert rows[0].startswith("row 3, column date: ")
    assert rows[1].startswith("row 4, column amount: ")
    assert rows[2] == "row 5, column line: no budget line “99999” in this company"
    assert rows[3] == "row 6, column line: Spend can only be booked on approved budget lines."
    assert rows[4].startswith("row 7: 5 cells")
    assert SpendEntry.objects.count() == 0


def test_spend_import_header_and_encoding_problems(world):
    with pytest.raises(imports.ImportFailed) as exc:
        imports.spend_import_csv(company=world.company, upload=upload("datum,betrag,foo\n"), actor=world.cmo)
    assert "missing column(s): line" in exc.value.rows[0] and "unknown column(s): foo" in exc.value.rows[0]
    with pytest.raises(imports.ImportFailed) as exc:
        imports.spend_import_csv(company=world.company, upload=io.BytesIO(b"PK\x03\x04\x00\x00binary"), actor=world.cmo)
    assert "not a text CSV" in exc.value.rows[0]
    with pytest.raises(imports.ImportFailed) as exc:
        imports.spend_import_csv(company=world.company, upload=upload(""), actor=world.cmo)
    assert exc.value.rows == ["The file is empty."]


def test_spend_import_page_shows_errors_and_imports(world):
    line = world.approved()
    client = Client()
    client.force_login(world.cmo)
    bad = SimpleUploadedFile("spend.csv", f"line;date;amount\n{line.pk};gestern;5\n".encode(), content_type="text/csv")
    response = client.post(f"/c/{world.company.slug}/budgets/import/", {"kind": "spend", "spend-file": bad})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Nothing was imported" in html and "row 2, column date:" in html
    good = SimpleUploadedFile("spend.csv", f"line;date;amount\n{line.pk};01.02.2026;5,00\n".encode(), "text/csv")
    response = client.post(f"/c/{world.company.slug}/budgets/import/", {"kind": "spend", "spend-file": good})
    assert response.status_code == 302
    assert SpendEntry.objects.get().amount == Decimal("5.00")


def test_line_import_submits_lines_in_the_importers_name(world):
    text = (
        "title,channel,amount,key_result,state,requester\n"
        f'Webinar,Messen,"8.500,00",{world.kr.title},submitted,cmo\n'
        "Podcast,Messen,9800,,,\n"
    )
    assert (
        imports.budget_lines_import_csv(
            company=world.company, upload=upload(text), actor=world.cmo, default_cycle=world.cycle
        )
        == 2
    )
    webinar, podcast = BudgetLine.objects.order_by("title").reverse()
    assert webinar.state == "submitted" and webinar.requester == world.cmo and webinar.key_result == world.kr
    assert webinar.planned_amount == Decimal("8500.00")
    assert podcast.state == "draft" and podcast.requester == world.cmo and podcast.key_result is None


def test_line_import_refuses_approved_rows_and_unknown_channel(world):
    text = f"title,channel,amount,key_result,state\nA,Messen,100,{world.kr.pk},approved\nB,Radio,100,,draft\n"
    with pytest.raises(imports.ImportFailed) as exc:
        imports.budget_lines_import_csv(
            company=world.company, upload=upload(text), actor=world.cmo, default_cycle=world.cycle
        )
    assert exc.value.rows[0].startswith("row 2, column state: “approved”: an import never approves budget lines.")
    assert exc.value.rows[1].startswith("row 3, column channel: unknown channel “Radio”")
    assert not BudgetLine.objects.exists()


def test_admin_approve_action_enforces_the_gate(world, django_user_model):
    admin_user = django_user_model.objects.create_superuser("admin", "admin@example.com", "pw")
    unbound = world.line(bound=False, title="Unbound")
    bound = world.line(title="Bound")
    client = Client()
    client.force_login(admin_user)
    response = client.post(
        "/admin/budgets/budgetline/",
        {"action": "approve_lines", "_selected_action": [unbound.pk, bound.pk]},
        follow=True,
    )
    html = response.content.decode()
    assert "Unbound: A budget line can only be approved once it is bound to a key result." in html
    unbound.refresh_from_db()
    bound.refresh_from_db()
    assert unbound.state == "submitted"
    assert bound.state == "approved" and bound.approver == admin_user
    # Workflow fields are read-only in the admin and the audit log cannot be changed there.
    model_admin = site._registry[BudgetLine]
    assert {"state", "approver", "approved_at"} <= set(model_admin.get_readonly_fields(None, bound))
    assert client.get(f"/admin/budgets/budgetauditentry/{bound.audit_entries.first().pk}/delete/").status_code == 403


def test_budget_approve_command_enforces_the_gate(world):
    unbound = world.line(bound=False)
    with pytest.raises(CommandError, match="only be approved once it is bound"):
        call_command("budget_approve", unbound.pk, "--as", "cmo")
    unbound.refresh_from_db()
    assert unbound.state == "submitted"
    bound = world.line(title="Bound")
    out = io.StringIO()
    call_command("budget_approve", bound.pk, "--as", "cmo", stdout=out)
    assert "Approved budget line" in out.getvalue()
    with pytest.raises(CommandError, match="does not allow"):
        call_command("budget_approve", world.line(title="Member").pk, "--as", "member")
    with pytest.raises(CommandError, match="requested"):
        call_command("budget_approve", world.line(title="Own", requester=world.cmo).pk, "--as", "cmo")


def test_spend_import_command(world, tmp_path):
    line = world.approved()
    path = tmp_path / "spend.csv"
    path.write_text(f"line;date;amount\n{line.pk};01.03.2026;1.000,00\n", encoding="utf-8")
    out = io.StringIO()
    call_command("spend_import", world.company.slug, str(path), stdout=out)
    assert "1 spend entries imported" in out.getvalue()
    path.write_text(f"line;date;amount\n{line.pk};01.03.2026;x\n", encoding="utf-8")
    with pytest.raises(CommandError, match="row 2, column amount"):
        call_command("spend_import", world.company.slug, str(path))
    assert SpendEntry.objects.get().amount == Decimal("1000.00")


def test_admin_add_and_change_go_through_the_services(world, django_user_model):
    admin_user = django_user_model.objects.create_superuser("admin", "admin@example.com", "pw")
    client = Client()
    client.force_login(admin_user)
    response = client.post(
        "/admin/budgets/budgetline/add/",
        {
            "company": world.company.pk,
            "cycle": world.cycle.pk,
            "title": "Aus dem Admin",
            "channel": world.channel.pk,
            "planned_amount": "1234.00",
            "key_result": world.kr.pk,
            "audit_entries-TOTAL_FORMS": "0",
            "audit_entries-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    line = BudgetLine.objects.get(title="Aus dem Admin")
    assert line.requester == admin_user and line.state == "draft"
    assert list(line.audit_entries.values_list("event", flat=True)) == ["create"]
    response = client.post(
        f"/admin/budgets/budgetline/{line.pk}/change/",
        {
            "title": "Umbenannt",
            "channel": world.channel.pk,
            "audit_entries-TOTAL_FORMS": "1",
            "audit_entries-INITIAL_FORMS": "1",
            "audit_entries-0-id": line.audit_entries.get().pk,
            "audit_entries-0-line": line.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    line.refresh_from_db()
    assert line.title == "Umbenannt" and line.version == 2
    assert list(line.audit_entries.values_list("event", flat=True)) == ["create", "edit"]
