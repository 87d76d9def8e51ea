"""The weekly KPI e-mail: opt-in, in the user's language, with the tiles and a link, at most once per ISO week."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail

from companies.models import Profile
from companies.permissions import Role
from reporting.models import DigestSubscription
from reporting.services.digest import digest_subscription_set, iso_week, kpi_digest_send_week
from reporting.tasks import kpi as tasks_kpi
from tests.factories_board import KpiSnapshotFactory
from tests.reporting.board_fixtures import fake_kpis_fixture  # noqa: F401

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 11, 23)


@pytest.fixture
def figures(company, fake_kpis):
    KpiSnapshotFactory(company=company, kpi="fake_leads", value=Decimal("1180"), target=Decimal("1000"))
    KpiSnapshotFactory(company=company, kpi="fake_cost", unit="currency", value=Decimal("312.5"), target=Decimal("250"))


def subscribe(company, make_member, role=Role.EXECUTIVE, language="en", **kwargs):
    user = make_member(company, role, **kwargs)
    Profile.objects.create(user=user, language=language)
    DigestSubscription.objects.create(user=user, company=company, weekly=True)
    return user


def test_digest_goes_to_subscribers_with_tiles_and_link(company, make_member, figures, settings):
    settings.SITE_URL = "https://okr.example.com"
    user = subscribe(company, make_member, first_name="Petra", last_name="Schulz")
    make_member(company, Role.EXECUTIVE)  # not subscribed
    assert kpi_digest_send_week(today=MONDAY) == 1
    [message] = mail.outbox
    assert message.to == [user.email]
    assert message.subject == "Acme Energie: board KPIs of week 2026-W48"
    assert "Hello Petra Schulz," in message.body
    assert "- Fake qualified leads: 1,180 (target 1,000) · on track" in message.body
    assert "- Fake cost per lead: €312.50 (target €250.00) · behind" in message.body
    assert "https://okr.example.com/c/acme/board/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert 'href="https://okr.example.com/c/acme/board/"' in html
    assert "on track" in html and "€312.50" in html


def test_digest_speaks_the_users_language(company, make_member, figures):
    subscribe(company, make_member, language="de")
    kpi_digest_send_week(today=MONDAY)
    [message] = mail.outbox
    assert "1.180 (Ziel 1.000)" in message.body
    assert "312,50\xa0€" in message.body
    assert "im Plan" in message.body
    assert message.subject == "Acme Energie: Board-KPIs der Woche 2026-W48"


def test_digest_is_sent_once_per_week(company, make_member, figures):
    subscribe(company, make_member)
    assert kpi_digest_send_week(today=MONDAY) == 1
    assert kpi_digest_send_week(today=MONDAY + dt.timedelta(days=2)) == 0  # same ISO week
    assert len(mail.outbox) == 1
    assert DigestSubscription.objects.get().last_sent_week == iso_week(MONDAY) == "2026-W48"
    assert kpi_digest_send_week(today=MONDAY + dt.timedelta(days=7)) == 1
    assert len(mail.outbox) == 2


def test_digest_skips_opted_out_roles_without_board_and_inactive_users(company, make_member, figures):
    subscribe(company, make_member, role=Role.MEMBER)  # subscribed, but may not read the board (role changed)
    inactive = subscribe(company, make_member)
    inactive.is_active = False
    inactive.save()
    opted_out = subscribe(company, make_member)
    DigestSubscription.objects.filter(user=opted_out).update(weekly=False)
    assert kpi_digest_send_week(today=MONDAY) == 0
    assert mail.outbox == []


def test_a_failed_mail_is_retried_next_run(company, make_member, figures, monkeypatch):
    subscribe(company, make_member)

    def broken_send(self, *args, **kwargs):
        raise OSError("SMTP down")

    from django.core.mail import EmailMultiAlternatives

    monkeypatch.setattr(EmailMultiAlternatives, "send", broken_send)
    assert kpi_digest_send_week(today=MONDAY) == 0
    assert DigestSubscription.objects.get().last_sent_week == ""
    monkeypatch.undo()
    assert kpi_digest_send_week(today=MONDAY) == 1


def test_digest_without_figures_says_so(company, make_member):
    subscribe(company, make_member)
    kpi_digest_send_week(today=MONDAY)
    assert "There are no KPI figures for Acme Energie yet." in mail.outbox[0].body


def test_weekly_task_sends_the_digest(company, make_member, figures):
    subscribe(company, make_member)
    assert tasks_kpi.kpi_digest_send.delay().get() == 1
    assert tasks_kpi.kpi_digest_send.delay().get() == 0


def test_subscription_service_checks_the_role(company, make_member):
    from core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        digest_subscription_set(company=company, user=make_member(company, Role.MEMBER), weekly=True)
    user = make_member(company, Role.CMO)
    assert digest_subscription_set(company=company, user=user, weekly=True).weekly is True
    assert digest_subscription_set(company=company, user=user, weekly=False).weekly is False
    assert DigestSubscription.objects.filter(user=user).count() == 1
