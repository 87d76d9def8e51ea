"""KPI alerts: raised by the check after a refresh (once per KPI), resolved, acknowledged with a note (service, page,
API), shown on the board, e-mailed to subscribers in their language through a real SMTP server."""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from companies.models import Profile
from companies.permissions import Role
from core.errors import PermissionDenied
from reporting.models import KpiAlert, KpiAlertSubscription
from reporting.services import alerts as services_alerts
from tests.factories_board import KpiSnapshotFactory

pytestmark = pytest.mark.django_db

KPI = "pipeline_contribution"  # a sum in currency, higher is better
ON = dt.date(2026, 12, 6)
MONTHS = [(2026, m) for m in range(5, 12)]  # May .. November 2026; November is the latest complete month


def month(company, year, number, value, *, kpi=KPI, target=None, unit="currency"):
    start = dt.date(year, number, 1)
    end = dt.date(year, number, calendar.monthrange(year, number)[1])
    return KpiSnapshotFactory(
        company=company,
        kpi=kpi,
        period_start=start,
        period_end=end,
        value=value,
        target=target,
        unit=unit,
        period_label=start.strftime("%B %Y"),
    )


def history(company, latest, *, kpi=KPI, target=None):
    # 100 110 90 105 95 100 -> median 100, MAD 5: with k = 3 the usual range is 85 .. 115
    for (year, number), value in zip(MONTHS[:-1], [100, 110, 90, 105, 95, 100], strict=True):
        month(company, year, number, D(value), kpi=kpi)
    return month(company, 2026, 11, D(latest), kpi=kpi, target=target)


def test_an_outlier_raises_one_alert_with_its_inputs(company):
    history(company, 40)
    raised = services_alerts.kpi_alerts_check(company=company, on=ON)
    assert [(a.kpi, a.period_key, a.reasons) for a in raised] == [(KPI, "2026-11", ["history"])]
    alert = KpiAlert.objects.get()
    assert alert.status == "open" and alert.value == D(40)
    assert D(alert.inputs["median"]) == D(100) and D(alert.inputs["mad"]) == D(5)
    assert D(alert.inputs["lower"]) == D(85) and alert.inputs["direction"] == "below"
    assert [h["value"] for h in alert.inputs["history"]] == [
        "100.0000",
        "110.0000",
        "90.0000",
        "105.0000",
        "95.0000",
        "100.0000",
    ]
    # the hourly refresh checks again: no second alert
    assert services_alerts.kpi_alerts_check(company=company, on=ON) == []
    assert KpiAlert.objects.count() == 1


def test_a_value_inside_its_bounds_and_on_target_raises_nothing(company):
    history(company, 101, target=D(100))
    assert services_alerts.kpi_alerts_check(company=company, on=ON) == []


def test_at_risk_against_the_target_raises_an_alert(company):
    history(company, 100, target=D(200))  # attainment 50 %
    (alert,) = services_alerts.kpi_alerts_check(company=company, on=ON)
    assert alert.reasons == ["target"] and alert.inputs["attainment"] == "50.0"


def test_an_open_alert_is_resolved_when_the_kpi_is_back_and_its_period_never_fires_again(company):
    latest = history(company, 40)
    services_alerts.kpi_alerts_check(company=company, on=ON)
    latest.value = D(100)
    latest.save()
    assert services_alerts.kpi_alerts_check(company=company, on=ON) == []
    alert = KpiAlert.objects.get()
    assert alert.status == "resolved" and alert.resolved_at is not None
    latest.value = D(40)
    latest.save()
    assert services_alerts.kpi_alerts_check(company=company, on=ON) == []  # November raised once already
    assert KpiAlert.objects.count() == 1


def test_one_open_alert_per_kpi_until_acknowledged(company, make_member):
    history(company, 40)
    services_alerts.kpi_alerts_check(company=company, on=ON)
    month(company, 2026, 12, D(10))  # December: also an outlier, but the KPI's alert is still open
    assert services_alerts.kpi_alerts_check(company=company, on=dt.date(2027, 1, 5)) == []
    cmo = make_member(company, Role.CMO)
    services_alerts.kpi_alert_acknowledge(
        company=company, actor=cmo, alert_id=KpiAlert.objects.get().pk, note="Sales pipeline review on Friday"
    )
    (december,) = services_alerts.kpi_alerts_check(company=company, on=dt.date(2027, 1, 5))
    assert december.period_key == "2026-12"
    assert KpiAlert.objects.filter(status="open").count() == 1


def test_per_kpi_settings_change_k_and_n_or_switch_alerts_off(company, make_member):
    history(company, 80)  # outside 85 .. 115 with k = 3
    cmo = make_member(company, Role.CMO)
    services_alerts.kpi_alert_setting_set(company=company, actor=cmo, kpi=KPI, k=D(5))  # 75 .. 125
    assert services_alerts.kpi_alerts_check(company=company, on=ON) == []
    services_alerts.kpi_alert_setting_set(company=company, actor=cmo, kpi=KPI, k=D(3), enabled=False)
    assert services_alerts.kpi_alerts_check(company=company, on=ON) == []
    with pytest.raises(ValidationError) as error:
        services_alerts.kpi_alert_setting_set(company=company, actor=cmo, kpi=KPI, n=2)
    assert "n" in error.value.message_dict
    member = make_member(company, Role.MEMBER)
    with pytest.raises(PermissionDenied):
        services_alerts.kpi_alert_setting_set(company=company, actor=member, kpi=KPI, k=D(2))


def test_acknowledging_needs_a_note_and_the_right_role(company, make_member):
    history(company, 40)
    services_alerts.kpi_alerts_check(company=company, on=ON)
    alert = KpiAlert.objects.get()
    with pytest.raises(ValidationError):
        services_alerts.kpi_alert_acknowledge(
            company=company, actor=make_member(company, Role.CMO), alert_id=alert.pk, note="   "
        )
    with pytest.raises(PermissionDenied):
        services_alerts.kpi_alert_acknowledge(
            company=company, actor=make_member(company, Role.MEMBER), alert_id=alert.pk, note="mine"
        )
    assert KpiAlert.objects.get().status == "open"


def test_the_alerts_page_acknowledges_with_a_note_and_the_board_shows_open_alerts(company, client_for):
    history(company, 40)
    services_alerts.kpi_alerts_check(company=company, on=ON)
    alert = KpiAlert.objects.get()
    client = client_for(company, Role.EXECUTIVE)
    board = client.get("/c/acme/board/").content.decode()
    assert 'data-testid="board-alert"' in board and "Below its usual range" in board
    page = client.get("/c/acme/board/alerts/").content.decode()
    assert "median ± k × MAD" in page and "Acknowledge" in page
    response = client.post(
        f"/c/acme/board/alerts/{alert.pk}/acknowledge/", {"note": "Two deals slipped"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "Two deals slipped" in response.content.decode()
    alert.refresh_from_db()
    assert alert.status == "acknowledged" and alert.acknowledged_by == client.user
    assert 'data-testid="board-alert"' not in client.get("/c/acme/board/").content.decode()


def test_members_read_alerts_but_cannot_acknowledge(company, client_for):
    history(company, 40)
    services_alerts.kpi_alerts_check(company=company, on=ON)
    alert = KpiAlert.objects.get()
    client = client_for(company, Role.MEMBER)
    assert client.get("/c/acme/board/alerts/").status_code == 403  # members do not read the board
    executive = client_for(company, Role.EXECUTIVE)
    page = executive.get("/c/acme/board/alerts/").content.decode()
    assert "Note (what is being done about it)" in page
    assert client.post(f"/c/acme/board/alerts/{alert.pk}/acknowledge/", {"note": "x"}).status_code == 403


def test_the_api_lists_explains_and_acknowledges(company, other_company, api_client_for):
    history(company, 40)
    services_alerts.kpi_alerts_check(company=company, on=ON)
    alert = KpiAlert.objects.get()
    api = api_client_for(company, Role.CMO)
    listed = api.get("/api/v1/companies/acme/kpi-alerts/").json()
    assert listed[0]["id"] == alert.pk and listed[0]["reasons"] == ["history"]
    assert "Below its usual range" in listed[0]["why"][0]
    assert api.post(f"/api/v1/companies/acme/kpi-alerts/{alert.pk}/acknowledge/", {"note": ""}).status_code == 400
    answer = api.post(f"/api/v1/companies/acme/kpi-alerts/{alert.pk}/acknowledge/", {"note": "Known: a big deal"})
    assert answer.status_code == 200 and answer.json()["status"] == "acknowledged"
    again = api.post(f"/api/v1/companies/acme/kpi-alerts/{alert.pk}/acknowledge/", {"note": "twice"})
    assert again.status_code == 400
    outsider = api_client_for(other_company, Role.CMO)
    assert outsider.get(f"/api/v1/companies/other/kpi-alerts/{alert.pk}/").status_code == 404
    assert outsider.get(f"/api/v1/companies/acme/kpi-alerts/{alert.pk}/").status_code == 404


def test_subscriptions_are_toggled_per_kpi_on_the_page_and_the_api(company, client_for, api_client_for):
    client = client_for(company, Role.EXECUTIVE)
    response = client.post("/c/acme/board/alerts/subscribe/", {"kpi": KPI, "subscribed": "1"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and 'aria-pressed="true"' in response.content.decode()
    assert list(KpiAlertSubscription.objects.values_list("user", "kpi")) == [(client.user.pk, KPI)]
    client.post("/c/acme/board/alerts/subscribe/", {"kpi": KPI, "subscribed": "0"})
    assert not KpiAlertSubscription.objects.exists()
    api = api_client_for(company, Role.CMO)
    assert (
        api.put(
            "/api/v1/companies/acme/kpi-alerts/subscriptions/", {"kpi": "nope", "subscribed": True}, format="json"
        ).status_code
        == 400
    )
    api.put("/api/v1/companies/acme/kpi-alerts/subscriptions/", {"kpi": KPI, "subscribed": True}, format="json")
    rows = {r["kpi"]: r["subscribed"] for r in api.get("/api/v1/companies/acme/kpi-alerts/subscriptions/").json()}
    assert rows[KPI] is True and rows["cost_per_qualified_lead"] is False


def test_subscribers_get_one_email_in_their_language(company, make_member, smtp, settings):
    settings.SITE_URL = "https://okr.example.com"
    anna = make_member(company, Role.CMO, first_name="Anna", email="anna@example.com")
    bob = make_member(company, Role.EXECUTIVE, first_name="Bob", email="bob@example.com")
    carl = make_member(company, Role.EXECUTIVE, first_name="Carl", email="carl@example.com")
    Profile.objects.create(user=anna, language="de")
    Profile.objects.create(user=bob, language="en")
    for user, kpi in ((anna, KPI), (bob, KPI), (carl, "cost_per_qualified_lead")):
        services_alerts.kpi_alert_subscription_set(company=company, user=user, kpi=kpi, subscribed=True)
    history(company, 40)
    (alert,) = services_alerts.kpi_alerts_check(company=company, on=ON)
    # the e-mail task is queued on commit, which this test's transaction never reaches: send as the task would
    assert services_alerts.kpi_alert_notify(alert_id=alert.pk) == 2
    messages = smtp.wait_for(2)
    assert sorted(m["To"] for m in messages) == ["anna@example.com", "bob@example.com"]
    by_to = {m["To"]: m for m in messages}
    german = by_to["anna@example.com"]
    assert "KPI-Warnung" in german["Subject"] and "Marketing-Beitrag zur Pipeline" in german["Subject"]
    body = german.get_body(preferencelist=("plain",)).get_content()
    assert "Hallo Anna" in body and "Unter dem üblichen Bereich" in body
    assert f"https://okr.example.com/c/acme/board/alerts/#alert-{alert.pk}" in smtp.links(german)
    english = by_to["bob@example.com"]
    assert english["Subject"].startswith("Acme Energie: KPI alert for Marketing contribution to pipeline")
    assert "Below its usual range" in english.get_body(preferencelist=("plain",)).get_content()
    # idempotent: the alert was claimed
    assert services_alerts.kpi_alert_notify(alert_id=alert.pk) == 0
    assert len(smtp.messages) == 2
