"""Budget pages and htmx partials: queue, bind picker, approve/reject in place, overview, detail, forms, export."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest
from django.test import Client

from budgets import services
from budgets.models import BudgetLine
from companies.permissions import Role
from tests.factories import KeyResultFactory
from tests.factories_budgets import BudgetLineFactory

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def page(world, suffix=""):
    return f"/c/{world.company.slug}/budgets/{suffix}"


HX = {"HTTP_HX_REQUEST": "true"}


def test_queue_shows_submitted_lines_with_key_result_objective_progress_and_flags_unbound(world):
    world.kr.current_value = Decimal("40")
    world.kr.save()
    world.line(title="Messestand Hannover")
    world.line(title="Podcast Staffel 2", bound=False)
    world.line(title="Noch ein Entwurf", submit=False)
    html = login(world.cmo).get(page(world)).content.decode()
    assert "Messestand Hannover" in html and "Podcast Staffel 2" in html
    assert "Noch ein Entwurf" not in html
    assert "500 qualifizierte Leads" in html and "Marktführer im Mittelstand" in html
    assert "40%" in html  # the key result's progress
    assert "Not bound to a key result" in html and "Bind to key result" in html
    assert "1</strong> not bound to a key result yet" in html
    # Unbound lines come first.
    assert html.index("Podcast Staffel 2") < html.index("Messestand Hannover")


def test_queue_empty_state_and_filters(world, make_member):
    c = login(world.cmo)
    assert "Nothing waiting for approval" in c.get(page(world)).content.decode()
    other_requester = make_member(world.company, Role.MEMBER, first_name="Anna", last_name="Fischer")
    world.line(title="Von Jonas")
    world.line(title="Von Anna", requester=other_requester)
    html = c.get(page(world), {"requester": other_requester.pk}, **HX, HTTP_HX_TARGET="queue-table").content.decode()
    assert "Von Anna" in html and "Von Jonas" not in html
    assert "<html" not in html  # only the table partial
    html = c.get(page(world), {"state": "approved"}).content.decode()
    assert "No budget lines match these filters" in html


def test_lines_awaiting_an_executive_are_marked(world):
    line = world.line(amount="80000.00", title="BDEW-Kongress")
    services.budget_line_approve(line=line, actor=world.cmo)
    html = login(world.cmo).get(page(world)).content.decode()
    assert "Awaiting executive" in html and "Above CMO limit" in html
    assert "CMO step done; an executive must approve." in html
    html = login(world.executive).get(page(world)).content.decode()
    assert f'hx-post="/c/{world.company.slug}/budgets/lines/{line.pk}/approve/"' in html


def test_key_result_search_finds_by_title_and_only_covering_cycles(world):
    line = world.line(bound=False)
    KeyResultFactory(objective=world.objective, company=world.company, title="Pipeline 2 Mio")
    html = login(world.cmo).get(page(world, "key-results/"), {"q": "pipeline", "line": line.pk}).content.decode()
    assert "Pipeline 2 Mio" in html and "500 qualifizierte Leads" not in html
    assert 'name="key_result"' in html
    html = login(world.cmo).get(page(world, "key-results/"), {"q": "nichts", "line": line.pk}).content.decode()
    assert "No key result matches" in html


def test_bind_and_approve_in_place_via_htmx(world):
    line = world.line(bound=False)
    c = login(world.cmo)
    response = c.post(page(world, f"lines/{line.pk}/bind/"), {"key_result": world.kr.pk, "version": line.version}, **HX)
    assert response.status_code == 200
    assert "500 qualifizierte Leads" in response.content.decode()
    assert "is now bound to" in json.loads(response["HX-Trigger"])["okr:toast"]["message"]
    assert "another person must approve it" in response.content.decode()  # the CMO bound this version
    line.refresh_from_db()
    response = login(world.executive).post(page(world, f"lines/{line.pk}/approve/"), {"version": line.version}, **HX)
    assert response.status_code == 200
    row = response.content.decode()
    assert row.startswith(f'<tr id="line-{line.pk}"') and "Approved" in row
    line.refresh_from_db()
    assert line.state == "approved" and line.approver == world.executive


def test_approving_an_unbound_line_on_the_page_is_refused_and_changes_nothing(world):
    line = world.line(bound=False)
    c = login(world.cmo)
    response = c.post(page(world, f"lines/{line.pk}/approve/"), {"version": line.version}, **HX)
    assert response.status_code == 400
    assert response["HX-Reswap"] == "none"
    toast = json.loads(response["HX-Trigger"])["okr:toast"]
    assert toast["level"] == "error" and "only be approved once it is bound to a key result" in toast["message"]
    # Without htmx the error page explains it.
    response = c.post(page(world, f"lines/{line.pk}/approve/"), {"version": line.version})
    assert response.status_code == 400
    assert "only be approved once it is bound to a key result" in response.content.decode()
    line.refresh_from_db()
    assert line.state == "submitted" and line.approver is None


def test_second_approver_on_the_page_gets_a_409_toast(world):
    line = world.line()
    version = line.version
    login(world.cmo).post(page(world, f"lines/{line.pk}/approve/"), {"version": version}, **HX)
    response = login(world.executive).post(page(world, f"lines/{line.pk}/approve/"), {"version": version}, **HX)
    assert response.status_code == 409
    assert "Already approved by Markus Hoffmann at" in json.loads(response["HX-Trigger"])["okr:toast"]["message"]


def test_reject_in_place_requires_a_reason(world):
    line = world.line()
    c = login(world.cmo)
    response = c.post(page(world, f"lines/{line.pk}/reject/"), {"reason": ""}, **HX)
    assert response.status_code == 400
    response = c.post(page(world, f"lines/{line.pk}/reject/"), {"reason": "Kein Leadziel"}, **HX)
    assert response.status_code == 200 and "Rejected" in response.content.decode()


def test_member_cannot_approve_on_the_page(world):
    line = world.line()
    assert login(world.member).post(page(world, f"lines/{line.pk}/approve/")).status_code == 403


def test_other_company_line_is_404_on_pages(world, other_company):
    foreign = BudgetLineFactory(company=other_company)
    c = login(world.cmo)
    assert c.get(page(world, f"lines/{foreign.pk}/")).status_code == 404
    assert c.post(page(world, f"lines/{foreign.pk}/approve/")).status_code == 404


def test_line_detail_shows_audit_trail_and_spend(world):
    line = world.approved()
    services.spend_entry_create(
        line=line, date=world.cycle.start_date, amount=Decimal("12000.00"), reference="RE-7", actor=world.cmo
    )
    html = login(world.cmo).get(page(world, f"lines/{line.pk}/")).content.decode()
    for text in (
        "Audit trail",
        "Created",
        "Submitted",
        "Approved",
        "Markus Hoffmann",
        "RE-7",
        "Overspent",
        "Book spend",
    ):
        assert text in html, text


def test_create_and_edit_line_forms(world):
    c = login(world.member)
    assert "Suggested by the initiative" not in c.get(page(world, "new/")).content.decode()
    response = c.post(
        page(world, "new/"),
        {
            "title": "Webinar",
            "cycle": world.cycle.pk,
            "channel": world.channel.pk,
            "planned_amount": "2500",
            "submit": "1",
        },
    )
    assert response.status_code == 302
    line = BudgetLine.objects.get(title="Webinar")
    assert line.state == "submitted" and line.requester == world.member
    response = c.post(
        page(world, f"lines/{line.pk}/edit/"),
        {
            "title": "Webinar",
            "cycle": world.cycle.pk,
            "channel": world.channel.pk,
            "planned_amount": "-5",
            "version": line.version,
        },
    )
    assert response.status_code == 200 and "greater than or equal to 0" in response.content.decode()
    response = c.post(
        page(world, f"lines/{line.pk}/edit/"),
        {
            "title": "Webinar",
            "cycle": world.cycle.pk,
            "channel": world.channel.pk,
            "planned_amount": "3000",
            "key_result": world.kr.pk,
            "version": line.version,
        },
    )
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.planned_amount == Decimal("3000.00") and line.key_result == world.kr


def test_initiative_suggests_its_key_results(world):
    from initiatives.models import Initiative

    initiative = Initiative.objects.create(company=world.company, cycle=world.cycle, title="Messen 2026")
    initiative.key_results.add(world.kr)
    html = login(world.member).get(page(world, "suggestions/"), {"initiative": initiative.pk}).content.decode()
    assert "500 qualifizierte Leads" in html and f'data-pick-kr="{world.kr.pk}"' in html


def test_spend_form_validates(world):
    line = world.approved()
    c = login(world.cmo)
    response = c.post(page(world, f"lines/{line.pk}/spend/"), {"date": "kein Datum", "amount": "10"})
    assert response.status_code == 400 and "Enter a valid date" in response.content.decode()
    response = c.post(
        page(world, f"lines/{line.pk}/spend/"), {"date": "2026-04-01", "amount": "99.50", "reference": "R"}
    )
    assert response.status_code == 302
    assert line.spend_entries.get().amount == Decimal("99.50")


def test_export_csv_escapes_formulas_and_xlsx_opens(world):
    world.line(title='=HYPERLINK("http://evil")')
    c = login(world.member)
    response = c.get(page(world, "export/"))
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:2] == ["ID", "Title"]
    assert rows[1][1] == '\'=HYPERLINK("http://evil")'
    assert rows[1][8] == "10000.00"
    response = c.get(page(world, "export/"), {"format": "xlsx"})
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.cell(row=2, column=2).value == '\'=HYPERLINK("http://evil")'
    assert sheet.cell(row=2, column=9).value == 10000


def test_settings_page_edits_channels_and_limit(world):
    c = login(world.cmo)
    assert c.post(page(world, "settings/"), {"action": "add_channel", "channel-name": "Webinare"}).status_code == 302
    executive = login(world.executive)
    response = executive.post(page(world, "settings/"), {"action": "limit", "limit-cmo_approval_limit": "25000"})
    assert response.status_code == 302
    html = c.get(page(world, "settings/")).content.decode()
    assert "Webinare" in html
    assert services.budget_settings_for(world.company).cmo_approval_limit == Decimal("25000.00")
    # A member sees the settings but cannot change them.
    assert (
        login(world.member).post(page(world, "settings/"), {"action": "add_channel", "channel-name": "X"}).status_code
        == 403
    )


def test_overview_totals_and_charts_match_hand_computed_values(world):
    other_kr = KeyResultFactory(objective=world.objective, company=world.company, title="Pipeline 2 Mio")
    a = world.approved(amount="30000.00", title="A")
    services.spend_entry_create(line=a, date=world.cycle.start_date, amount=Decimal("31000.00"), actor=world.cmo)
    world.line(amount="20000.00", title="B", key_result=other_kr)  # submitted, bound
    world.line(amount="10000.00", title="C", bound=False)  # submitted, unbound
    world.line(amount="40000.00", title="D", submit=False)  # draft, bound
    # planned 100.000, bound (submitted+approved) 50.000 → 50 %, approved 30.000, actual 31.000 (overspent)
    html = login(world.cmo).get(page(world, "overview/")).content.decode()
    assert 'data-testid="total-planned">€100,000.00<' in html
    assert 'data-testid="total-approved">€30,000.00<' in html
    assert 'data-testid="total-actual">€31,000.00<' in html
    assert 'data-testid="bound-share">50%<' in html
    assert "Overspent" in html
    assert 'id="chart-treemap" type="application/json"' in html
    assert "<script>" not in html.split("<body")[1].replace('<script id="', "")  # no inline executable script


@pytest.mark.parametrize("size", [2, 20])
def test_queue_and_overview_query_counts_are_constant(world, size, django_assert_max_num_queries):
    for i in range(size):
        line = world.line(title=f"Line {i}", bound=bool(i % 3) or i % 4 == 1)
        if i % 4 == 1:
            line = services.budget_line_approve(line=line, actor=world.cmo)
            services.spend_entry_create(line=line, date=world.cycle.start_date, amount=Decimal("5"), actor=world.cmo)
    c = login(world.cmo)
    c.get(page(world))  # warm the session
    with django_assert_max_num_queries(14) as queue_queries:
        assert c.get(page(world), {"state": "all"}).status_code == 200
    with django_assert_max_num_queries(18) as overview_queries:
        assert c.get(page(world, "overview/")).status_code == 200
    print(f"queries at {size} lines: queue {len(queue_queries)}, overview {len(overview_queries)}")


def test_member_sees_the_queue_without_decisions_and_submits_own_draft(world):
    world.line(title="Fremde Zeile", requester=world.cmo)
    draft = world.line(title="Mein Entwurf", submit=False)
    c = login(world.member)
    html = c.get(page(world)).content.decode()
    assert "Fremde Zeile" in html and "/approve/" not in html and "Bind to key result" not in html
    html = c.get(page(world, f"lines/{draft.pk}/")).content.decode()
    assert "Submit for approval" in html
    response = c.post(page(world, f"lines/{draft.pk}/submit/"), {"version": draft.version})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.state == "submitted"
    # A stale second submit is explained, not a 500.
    response = c.post(page(world, f"lines/{draft.pk}/submit/"), {"version": draft.version - 1})
    assert response.status_code == 409 and "Changed in the meantime" in response.content.decode()


def test_binding_from_the_detail_page_refreshes_it(world):
    line = world.line(bound=False)
    response = login(world.cmo).post(
        page(world, f"lines/{line.pk}/bind/"), {"key_result": world.kr.pk, "from": "detail"}, **HX
    )
    assert response.status_code == 204 and response["HX-Refresh"] == "true"
    line.refresh_from_db()
    assert line.key_result == world.kr
    response = login(world.cmo).post(page(world, f"lines/{line.pk}/bind/"), {"key_result": "999999"}, **HX)
    assert response.status_code == 404


def test_overview_without_budget_shows_an_empty_state(world):
    html = login(world.cmo).get(page(world, "overview/")).content.decode()
    assert "No budget planned in this cycle yet." in html


def test_queue_rows_show_actual_spend_and_overspend(world):
    line = world.approved(amount="1000.00", title="Kleine Zeile")
    services.spend_entry_create(line=line, date=world.cycle.start_date, amount=Decimal("1200.00"), actor=world.cmo)
    html = login(world.cmo).get(page(world), {"state": "approved"}).content.decode()
    assert "actual €1,200.00" in html and "Overspent" in html


@pytest.mark.parametrize(
    ("language", "typed", "expected"),
    [
        ("de", "12.500,50", "12500.50"),
        ("de", "12500", "12500.00"),
        ("en", "12,500.50", "12500.50"),
        ("en", "€12,500", "12500.00"),
    ],
)
def test_amounts_are_read_as_people_type_them(world, language, typed, expected):
    from django.utils import translation

    from budgets.forms import SpendEntryForm

    with translation.override(language):
        form = SpendEntryForm({"date": "2026-03-01", "amount": typed})
        assert form.is_valid(), form.errors
    assert form.cleaned_data["amount"] == Decimal(expected)


def test_changing_the_amount_of_an_approved_line_on_the_page_sends_it_back(world):
    line = world.approved()
    c = login(world.member)
    response = c.post(
        page(world, f"lines/{line.pk}/edit/"),
        {
            "title": line.title,
            "cycle": world.cycle.pk,
            "channel": world.channel.pk,
            "planned_amount": "11000",
            "key_result": world.kr.pk,
            "version": line.version,
        },
        follow=True,
    )
    assert "sent back for re-approval" in response.content.decode()
    line.refresh_from_db()
    assert line.state == "submitted" and line.approver is None
