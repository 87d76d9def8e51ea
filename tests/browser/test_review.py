"""The weekly review in a real browser over a slow network (every request held 300 ms): a CMO (German) opens it from
the navigation, sees the action carried over from last week and the KPI alert, logs a new action, edits it, marks the
carried one done and acknowledges the alert, all in place (htmx); a member (English) completes their own action and
cannot log one; the handout prints on at most two A4 pages; no serious axe violations in either language."""

from __future__ import annotations

import datetime as dt
import io
import time

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from companies.models import Profile
from companies.permissions import Role
from reporting.models import KpiAlert
from review.models import ReviewAction
from tests.browser.test_accessibility import serious_violations
from tests.factories import CompanyFactory, KeyResultFactory, MembershipFactory, ObjectiveFactory, UserFactory
from tests.factories_cascade import active_cycle
from tests.factories_review import KpiAlertFactory, ReviewActionFactory, monday

pytestmark = pytest.mark.django_db(transaction=True)


def _slow(page, delay_s: float = 0.3):
    def handle(route):
        time.sleep(delay_s)
        route.continue_()

    page.route("**/*", handle)


@pytest.fixture
def team():
    today = timezone.localdate()
    company = CompanyFactory(name="Voltaria Energie AG", slug="voltaria")
    cycle = active_cycle(company, name="Geschäftsjahr", start_date=dt.date(today.year, 1, 1),
                         end_date=dt.date(today.year, 12, 31))  # fmt: skip
    objective = ObjectiveFactory(cycle=cycle, title="Pipeline ausbauen")
    cmo = UserFactory(username="markus", first_name="Markus", last_name="Hoffmann")
    jonas = UserFactory(username="jonas", first_name="Jonas", last_name="Weber")
    MembershipFactory(user=cmo, company=company, role=Role.CMO)
    MembershipFactory(user=jonas, company=company, role=Role.MEMBER)
    Profile.objects.create(user=cmo, language="de")
    Profile.objects.create(user=jonas, language="en")
    key_result = KeyResultFactory(objective=objective, owner=jonas, title="500 qualifizierte Leads")
    carried = ReviewActionFactory(company=company, owner=jonas, title="Webinar-Leads nachfassen",
                                  week_start=monday(today) - dt.timedelta(days=7),
                                  due_date=today + dt.timedelta(days=2))  # fmt: skip
    alert = KpiAlertFactory(company=company, kpi="pipeline_contribution", period_label="November 2026")
    return {"company": company, "cmo": cmo, "jonas": jonas, "key_result": key_result, "carried": carried,
            "alert": alert}  # fmt: skip


def _sign_in(page, url, username):
    page.goto(f"{url}/login/")
    page.get_by_label("Username").or_(page.get_by_label("Benutzername")).fill(username)
    page.get_by_label("Password").or_(page.get_by_label("Passwort")).fill("pw")
    page.get_by_role("button", name="Sign in").or_(page.get_by_role("button", name="Anmelden")).click()
    page.wait_for_load_state("domcontentloaded")


def test_a_cmo_runs_the_weekly_review_in_german(team, live_server, browser):
    page = browser.new_context(locale="de-DE").new_page()
    _slow(page)
    _sign_in(page, live_server.url, "markus")
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Wochen-Review").click()
    expect(page.get_by_test_id("review-title")).to_contain_text("Wochen-Review · KW")
    log = page.get_by_test_id("action-log")
    carried_row = log.get_by_test_id("review-action").filter(has_text="Webinar-Leads nachfassen")
    expect(carried_row.get_by_test_id("carried-over")).to_contain_text("übernommen aus der Woche vom")
    expect(page.get_by_test_id("review-alerts")).to_contain_text("Marketing-Beitrag zur Pipeline")
    expect(page.get_by_test_id("review-alerts")).to_contain_text("Unter dem üblichen Bereich")
    assert serious_violations(page) == []

    # log a new action (typed at human speed)
    form = page.get_by_test_id("action-new")
    form.get_by_label("Was").press_sequentially("Leadqualität mit Vertrieb klären", delay=30)
    form.get_by_label("Wer").select_option(label="Jonas Weber")
    due = timezone.localdate() + dt.timedelta(days=4)
    form.get_by_label("Bis wann").fill(due.isoformat())
    form.get_by_label("Key Result").select_option(label=str(team["key_result"]))
    form.get_by_role("button", name="Ins Protokoll aufnehmen").click()
    expect(log.get_by_test_id("review-action").filter(has_text="Leadqualität mit Vertrieb klären")).to_be_visible()
    expect(page.get_by_role("status").first).to_contain_text("Die Maßnahme steht im Protokoll.")
    new = ReviewAction.objects.get(title="Leadqualität mit Vertrieb klären")
    assert (new.owner, new.due_date, new.key_result) == (team["jonas"], due, team["key_result"])

    # edit it in place
    row = log.get_by_test_id("review-action").filter(has_text="Leadqualität mit Vertrieb klären")
    row.get_by_test_id("action-edit").click()
    editor = page.get_by_test_id("review-action-edit")
    editor.get_by_label("Was").fill("Leadqualität mit dem Vertrieb klären")
    editor.get_by_test_id("action-save").click()
    expect(log.get_by_test_id("review-action").filter(has_text="Leadqualität mit dem Vertrieb klären")).to_be_visible()
    new.refresh_from_db()
    assert new.title == "Leadqualität mit dem Vertrieb klären"

    # the carried action is done
    carried_row.get_by_test_id("action-complete").click()
    expect(carried_row.get_by_test_id("action-status")).to_have_text("Erledigt")
    team["carried"].refresh_from_db()
    assert team["carried"].status == "done"

    # acknowledge the alert with a note, in place
    alerts = page.get_by_test_id("review-alerts")
    alerts.get_by_label("Notiz (was dagegen getan wird)").fill("Zwei Großprojekte verschoben; Review am Freitag")
    alerts.get_by_role("button", name="Bestätigen").click()
    expect(alerts.get_by_test_id("alert-note")).to_contain_text("Zwei Großprojekte verschoben")
    assert KpiAlert.objects.get().status == "acknowledged"

    # the previous week
    number = int(page.get_by_test_id("review-title").inner_text().split("KW ")[1].split(" ")[0])
    page.get_by_test_id("week-previous").click()
    expect(page.get_by_test_id("review-title")).to_contain_text(f"KW {number - 1 if number > 1 else ''}")


def test_a_member_completes_own_actions_in_english_and_the_handout_fits_two_pages(team, live_server, browser):
    page = browser.new_context(locale="en-US").new_page()
    _slow(page)
    _sign_in(page, live_server.url, "jonas")
    page.goto(f"{live_server.url}/c/voltaria/review/")
    expect(page.get_by_test_id("review-title")).to_contain_text("Weekly review · week")
    expect(page.get_by_test_id("action-new")).to_have_count(0)  # members do not keep the log
    expect(page.get_by_test_id("review-alerts").get_by_role("button", name="Acknowledge")).to_have_count(0)
    assert serious_violations(page) == []
    row = page.get_by_test_id("review-action").filter(has_text="Webinar-Leads nachfassen")
    row.get_by_test_id("action-complete").click()
    expect(row.get_by_test_id("action-status")).to_have_text("Done")
    expect(page.get_by_role("status").first).to_contain_text("The action is done.")
    row.get_by_test_id("action-reopen").click()
    expect(row.get_by_test_id("action-status")).to_have_text("Open")

    page.get_by_test_id("review-print-link").click()
    expect(page.get_by_test_id("review-title")).to_contain_text("Voltaria Energie AG")
    page.emulate_media(media="print")
    reader = PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True, print_background=True)))
    assert 1 <= len(reader.pages) <= 2
    sizes = {(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in reader.pages}
    assert sizes == {(595, 842)}  # A4 portrait
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    assert "Webinar-Leads nachfassen" in text and "Decisions and actions" in text and "KPI alerts" in text
