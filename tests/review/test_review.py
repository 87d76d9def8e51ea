"""The weekly execution review: what needs attention in a week (hand-computed), the action log (services,
permissions, carry-over, history, API), other companies (404), query counts at two data sizes, the reminder e-mail."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from companies.models import Profile
from companies.permissions import Role
from core.errors import NotFound, PermissionDenied
from history.models import ChangeRecord
from objectives.models import KeyResult
from objectives.services.cascade_reminders import key_result_reminders_send
from review import selectors, services
from review.models import ReviewAction
from tests.factories_budgets import BudgetLineFactory, SpendEntryFactory
from tests.factories_cascade import CheckInFactory, KeyResultFactory, ObjectiveFactory, active_cycle
from tests.factories_crm import LeadFactory
from tests.factories_review import KpiAlertFactory, ReviewActionFactory
from tests.initiatives.factories import InitiativeFactory

pytestmark = pytest.mark.django_db

TZ = timezone.get_default_timezone()
WEEK = selectors.week_of(dt.date(2026, 12, 2))  # ISO week 49: Monday 30 Nov – Sunday 6 Dec 2026
NOW = dt.datetime(2026, 12, 4, 12, 0, tzinfo=TZ)  # Friday of that week


def at(month: int, day: int) -> dt.datetime:
    return dt.datetime(2026, month, day, 10, 0, tzinfo=TZ)


def _kr(objective, owner, title, *, created: dt.datetime | None = None):
    kr = KeyResultFactory(objective=objective, owner=owner, title=title)
    KeyResult.objects.filter(pk=kr.pk).update(created_at=created or at(1, 5))
    kr.refresh_from_db()
    return kr


@pytest.fixture
def scenario(company, make_member):
    anna = make_member(company, Role.MEMBER, first_name="Anna", last_name="Alt")
    ben = make_member(company, Role.MEMBER, first_name="Ben", last_name="Berg")
    cycle = active_cycle(company, name="FY 2026")  # 1 Jan – 31 Dec 2026
    objective = ObjectiveFactory(cycle=cycle, title="Grow pipeline")
    steady = _kr(objective, anna, "Steady KR")
    CheckInFactory(key_result=steady, value=D(90), confidence=D("0.8"), created_at=at(11, 20))
    CheckInFactory(key_result=steady, value=D(92), confidence=D("0.5"), created_at=at(12, 2))
    lagging = _kr(objective, ben, "Lagging KR")
    CheckInFactory(key_result=lagging, value=D(30), confidence=D("0.6"), created_at=at(11, 10))
    silent = _kr(objective, ben, "Silent KR")
    _kr(objective, ben, "Created after the week", created=at(12, 8))
    behind_initiative = InitiativeFactory(
        cycle=cycle, title="Webinar series", state="active", owner=anna, key_results=[lagging]
    )
    costly = InitiativeFactory(cycle=cycle, title="Trade fair", state="active", owner=ben)
    InitiativeFactory(cycle=cycle, title="Quiet initiative", state="active")
    line = BudgetLineFactory(
        company=company,
        cycle=cycle,
        title="Fair booth",
        state="submitted",
        requester=ben,
        initiative=costly,
        planned_amount=D("5000"),
    )
    SpendEntryFactory(line=line, amount=D("1200.00"), date=dt.date(2026, 11, 15))
    LeadFactory(company=company, external_id="L-LATE", owner="Sabine Sales", created=at(11, 30),
                mql_at=dt.datetime(2026, 11, 30, 9, 0, tzinfo=TZ))  # fmt: skip
    return {
        "anna": anna,
        "ben": ben,
        "cycle": cycle,
        "objective": objective,
        "steady": steady,
        "lagging": lagging,
        "silent": silent,
        "behind_initiative": behind_initiative,
        "costly": costly,
        "line": line,
    }


def test_the_week_review_by_hand(company, scenario):
    review = selectors.week_review(company=company, week=WEEK, now=NOW)
    # Steady: 80 % → 50 % in this week's check-in of 2 Dec
    assert [(i.title, i.detail, i.owner) for i in review.confidence_dropped] == [
        ("Steady KR", "Confidence 80% → 50%", "Anna Alt")
    ]
    # expected on 4 Dec: 337 of 364 days = 93 %; Lagging 30 % (pace 0.32: at risk), Silent 0 %; Steady 92 % is fine
    assert [(i.title, i.detail) for i in review.behind_trajectory] == [
        ("Lagging KR", "At risk: progress 30%, expected 93% by 12/04/2026"),
        ("Silent KR", "At risk: progress 0%, expected 93% by 12/04/2026"),
    ]
    # no check-in for 7 days on 4 Dec 12:00 (cut-off 27 Nov 12:00): Lagging (10 Nov) and Silent (never)
    assert [(i.title, i.detail, i.owner) for i in review.missing_check_ins] == [
        ("Lagging KR", "Last check-in 11/10/2026", "Ben Berg"),
        ("Silent KR", "No check-in yet", "Ben Berg"),
    ]
    assert [(i.title, i.detail, i.owner) for i in review.initiatives] == [
        ("Trade fair", "over budget: €1,200.00 spent of €0.00 approved", "Ben Berg"),
        ("Webinar series", "feeds a key result behind its trajectory", "Anna Alt"),
    ]
    assert [(i.title, i.owner) for i in review.budget_lines] == [("Fair booth", "Ben Berg")]
    assert "€5,000.00" in review.budget_lines[0].detail
    # the SLA app's open breaches at the week's end (here: now, Friday noon): the MQL of Monday 9:00 was never
    # accepted or rejected within 24 working hours
    assert [(i.title, i.owner) for i in review.sla_breaches] == [
        ("MQL accepted or rejected by sales: L-LATE", "Sabine Sales")
    ]
    assert "working hours overdue" in review.sla_breaches[0].detail


def test_without_the_sla_app_the_section_is_absent(company, scenario, settings, client_for):
    settings.INSTALLED_APPS = [app for app in settings.INSTALLED_APPS if app != "sla"]
    assert selectors.week_review(company=company, week=WEEK, now=NOW).sla_breaches is None


def test_actions_of_the_week_and_open_ones_carried_over(company, scenario):
    anna = scenario["anna"]
    last_week = WEEK.previous.start
    carried = ReviewActionFactory(company=company, owner=anna, title="Carried", week_start=last_week)
    ReviewActionFactory(
        company=company, owner=anna, title="Done before", week_start=last_week, status="done", completed_at=at(11, 27)
    )
    done_during = ReviewActionFactory(
        company=company, owner=anna, title="Done during", week_start=last_week, status="done", completed_at=at(12, 1)
    )
    this = ReviewActionFactory(company=company, owner=anna, title="This week", week_start=WEEK.start)
    ReviewActionFactory(company=company, owner=anna, title="Next week", week_start=WEEK.next.start)
    rows = selectors.week_actions(company=company, week=WEEK)
    assert {r.title: r.carried_over for r in rows} == {"Carried": True, "Done during": True, "This week": False}
    assert rows[-1].pk == done_during.pk  # open ones first
    assert {r.pk for r in rows} == {carried.pk, done_during.pk, this.pk}


def test_services_create_edit_complete_with_history(company, scenario, make_member):
    facilitator = make_member(company, Role.FACILITATOR)
    action = services.review_action_create(
        company=company,
        actor=facilitator,
        title="  Call the agency ",
        owner=scenario["anna"],
        due_date=dt.date(2026, 12, 11),
        key_result=scenario["lagging"],
        week_start=dt.date(2026, 12, 3),
    )
    assert action.title == "Call the agency" and action.week_start == WEEK.start
    assert action.objective_id == scenario["objective"].pk  # the key result's objective
    services.review_action_update(
        company=company, actor=facilitator, action_id=action.pk, due_date=dt.date(2026, 12, 18)
    )
    services.review_action_set_done(company=company, actor=scenario["anna"], action_id=action.pk, done=True)
    action.refresh_from_db()
    assert action.status == "done" and action.completed_at is not None
    records = ChangeRecord.objects.filter(object_id=action.pk, content_type__model="reviewaction").order_by("at", "id")
    assert [r.action for r in records][:1] == ["created"] and records.count() == 3
    # the owner must be a member; links must be the company's
    outsider_kr = KeyResultFactory()
    with pytest.raises(Exception) as error:
        services.review_action_create(
            company=company,
            actor=facilitator,
            title="x",
            owner=scenario["anna"],
            due_date=dt.date(2026, 12, 11),
            key_result=outsider_kr.pk,
        )
    assert "key_result" in error.value.message_dict
    with pytest.raises(Exception) as error:
        services.review_action_create(
            company=company,
            actor=facilitator,
            title="x",
            owner=outsider_kr.objective.cycle.company.memberships.first() or 999999,
            due_date=None,
        )
    assert set(error.value.message_dict) & {"owner", "due_date"}


def test_only_owners_and_log_keepers_complete_and_only_log_keepers_edit(company, scenario, make_member):
    action = ReviewActionFactory(company=company, owner=scenario["anna"])
    with pytest.raises(PermissionDenied):
        services.review_action_set_done(company=company, actor=scenario["ben"], action_id=action.pk, done=True)
    with pytest.raises(PermissionDenied):
        services.review_action_update(company=company, actor=scenario["anna"], action_id=action.pk, title="mine now")
    with pytest.raises(PermissionDenied):
        services.review_action_create(
            company=company, actor=scenario["anna"], title="x", owner=scenario["anna"], due_date=dt.date(2026, 12, 11)
        )
    services.review_action_set_done(
        company=company, actor=make_member(company, Role.CMO), action_id=action.pk, done=True
    )
    assert ReviewAction.objects.get().status == "done"


def test_pages_and_htmx_action_log(company, scenario, client_for):
    cmo = client_for(company, Role.CMO)
    page = cmo.get(f"/c/acme/review/?week={WEEK.key}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Weekly review · week 49 (11/30/2026 – 12/06/2026)" in html
    assert "Lagging KR" in html and "Fair booth" in html and "SLA breaches" in html
    created = cmo.post(
        "/c/acme/review/actions/",
        {
            "week": WEEK.key,
            "title": "Rebook the booth",
            "owner": scenario["ben"].pk,
            "due_date": "2026-12-10",
            "initiative": scenario["costly"].pk,
        },
        HTTP_HX_REQUEST="true",
    )
    assert created.status_code == 200 and "Rebook the booth" in created.content.decode()
    action = ReviewAction.objects.get()
    assert (action.owner, action.week_start, action.initiative) == (scenario["ben"], WEEK.start, scenario["costly"])
    refused = cmo.post(
        "/c/acme/review/actions/",
        {"week": WEEK.key, "title": "", "owner": scenario["ben"].pk, "due_date": ""},
        HTTP_HX_REQUEST="true",
    )
    assert refused.status_code == 400 and ReviewAction.objects.count() == 1
    edit = cmo.get(f"/c/acme/review/actions/{action.pk}/?week={WEEK.key}", HTTP_HX_REQUEST="true")
    assert 'value="Rebook the booth"' in edit.content.decode()
    cmo.post(
        f"/c/acme/review/actions/{action.pk}/",
        {
            "week": WEEK.key,
            "title": "Rebook the booth for March",
            "owner": scenario["anna"].pk,
            "due_date": "2026-12-12",
        },
        HTTP_HX_REQUEST="true",
    )
    action.refresh_from_db()
    assert (action.title, action.owner, action.due_date) == (
        "Rebook the booth for March",
        scenario["anna"],
        dt.date(2026, 12, 12),
    )
    # Opened in a new tab or without JavaScript, the edit link is a whole page whose form posts without htmx.
    page = cmo.get(f"/c/acme/review/actions/{action.pk}/?week={WEEK.key}")
    html = page.content.decode()
    assert page.status_code == 200 and "<html" in html and 'value="Rebook the booth for March"' in html
    assert "hx-post" not in html.split('class="action-form"')[0].rsplit("<form", 1)[-1]
    plain = cmo.post(
        f"/c/acme/review/actions/{action.pk}/",
        {"week": WEEK.key, "title": "Rebook the booth", "owner": scenario["anna"].pk, "due_date": "2026-12-12"},
    )
    assert plain.status_code == 302 and plain["Location"].endswith(f"/c/acme/review/?week={WEEK.key}")
    assert ReviewAction.objects.get().title == "Rebook the booth"
    cmo.post(
        f"/c/acme/review/actions/{action.pk}/",
        {
            "week": WEEK.key,
            "title": "Rebook the booth for March",
            "owner": scenario["anna"].pk,
            "due_date": "2026-12-12",
        },
        HTTP_HX_REQUEST="true",
    )
    member = client_for(company, Role.MEMBER)
    assert member.get(f"/c/acme/review/?week={WEEK.key}").status_code == 200
    assert member.post("/c/acme/review/actions/", {"title": "x"}).status_code == 403
    assert member.post(f"/c/acme/review/actions/{action.pk}/done/", {"done": "1"}).status_code == 403
    done = cmo.post(
        f"/c/acme/review/actions/{action.pk}/done/", {"done": "1", "week": WEEK.key}, HTTP_HX_REQUEST="true"
    )
    assert done.status_code == 200 and ReviewAction.objects.get().status == "done"
    printed = cmo.get(f"/c/acme/review/print/?week={WEEK.key}").content.decode()
    assert "Rebook the booth for March" in printed and "Lagging KR" in printed


def test_other_companies_get_404(company, other_company, scenario, client_for, api_client_for):
    action = ReviewActionFactory(company=company, owner=scenario["anna"])
    outsider = client_for(other_company, Role.EXECUTIVE)
    assert outsider.get("/c/acme/review/").status_code == 404
    assert outsider.get(f"/c/other/review/actions/{action.pk}/").status_code == 404
    assert outsider.post(f"/c/other/review/actions/{action.pk}/done/", {"done": "1"}).status_code == 404
    api = api_client_for(other_company, Role.EXECUTIVE)
    assert api.get(f"/api/v1/companies/other/review/actions/{action.pk}/").status_code == 404
    assert api.patch(f"/api/v1/companies/other/review/actions/{action.pk}/", {"status": "done"}).status_code == 404
    assert ReviewAction.objects.get().status == "open"


def test_api_creates_lists_and_completes(company, scenario, api_client_for):
    api = api_client_for(company, Role.FACILITATOR)
    answer = api.post(
        "/api/v1/companies/acme/review/actions/",
        {
            "title": "Draft the brief",
            "owner": scenario["anna"].pk,
            "due_date": "2026-12-11",
            "week": WEEK.key,
            "key_result": scenario["steady"].pk,
        },
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["owner"] == "Anna Alt" and body["week_start"] == "2026-11-30" and body["objective"] is not None
    assert api.post("/api/v1/companies/acme/review/actions/", {"title": "x"}, format="json").status_code == 400
    listed = api.get(f"/api/v1/companies/acme/review/actions/?week={WEEK.next.key}").json()
    assert [(r["title"], r["carried_over"]) for r in listed] == [("Draft the brief", True)]
    owner_api = api_client_for(company, Role.MEMBER)
    pk = body["id"]
    assert owner_api.patch(f"/api/v1/companies/acme/review/actions/{pk}/", {"status": "done"}).status_code == 403
    ReviewAction.objects.filter(pk=pk).update(owner=owner_api.user)
    assert owner_api.patch(f"/api/v1/companies/acme/review/actions/{pk}/", {"title": "mine"}).status_code == 403
    done = owner_api.patch(f"/api/v1/companies/acme/review/actions/{pk}/", {"status": "done"})
    assert done.status_code == 200 and done.json()["status"] == "done"


def _grow(company, scenario, size: int, *, offset: int = 0) -> None:
    cycle, objective = scenario["cycle"], scenario["objective"]
    for n in range(offset, offset + size):
        kr = _kr(objective, scenario["ben"], f"Extra KR {n}")
        CheckInFactory(key_result=kr, value=D(10), confidence=D("0.7"), created_at=at(11, 20))
        CheckInFactory(key_result=kr, value=D(12), confidence=D("0.4"), created_at=at(12, 1))
        initiative = InitiativeFactory(cycle=cycle, state="active", owner=scenario["anna"], key_results=[kr])
        line = BudgetLineFactory(
            company=company, cycle=cycle, state="submitted", requester=scenario["ben"], initiative=initiative
        )
        SpendEntryFactory(line=line, amount=D("20000"), date=dt.date(2026, 11, 2))
        ReviewActionFactory(
            company=company,
            owner=scenario["anna"],
            week_start=WEEK.start,
            objective=objective,
            key_result=kr,
            initiative=initiative,
        )
        KpiAlertFactory(company=company, kpi=f"kpi_{n}", raised_at=at(12, 1))


def test_query_count_does_not_grow_with_the_data(company, scenario, client_for):
    client = client_for(company, Role.CMO)
    url = f"/c/acme/review/?week={WEEK.key}"
    _grow(company, scenario, 1)
    client.get(url)  # warm caches (session, content types)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _grow(company, scenario, 12, offset=1)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert response.content.decode().count('data-testid="review-action"') == 13
    assert len(large) == len(small), [q["sql"][:120] for q in large.captured_queries]


def test_owners_get_their_open_actions_in_the_reminder_email(company, scenario, mailoutbox):
    anna, ben = scenario["anna"], scenario["ben"]
    Profile.objects.create(user=anna, language="de")
    ReviewActionFactory(company=company, owner=anna, title="Agentur anrufen", due_date=dt.date(2026, 12, 1))
    ReviewActionFactory(company=company, owner=anna, title="Erledigt", status="done", completed_at=NOW)
    KeyResult.objects.filter(owner=ben).update(owner=None)
    KeyResult.objects.filter(owner=anna).update(last_check_in_at=NOW)  # Anna has no stale key result
    assert key_result_reminders_send(now=NOW) == 1
    (mail,) = mailoutbox
    assert mail.to == [anna.email]
    assert "Ihre offenen Punkte dieser Woche" in mail.subject
    assert "Ihre offene Maßnahme aus dem Wochen-Review:" in mail.body
    assert "Agentur anrufen · fällig am 01.12.2026 (überfällig)" in mail.body and "Erledigt" not in mail.body
    assert "/c/acme/review/" in mail.body
    assert key_result_reminders_send(now=NOW) == 0  # once a week


def test_missing_action_is_404_for_services(company):
    with pytest.raises(NotFound):
        services.review_action_set_done(company=company, actor=None, action_id=999999, done=True)
