"""The weekly check-in reminder: one mail per owner, in the owner's language, idempotent per ISO week."""

from __future__ import annotations

import datetime as dt

import pytest
from celery.schedules import crontab
from django.core import mail
from django.utils import timezone

from companies.models import Profile
from objectives.models import KeyResult, ReminderLog
from objectives.schedule import BEAT_SCHEDULE
from objectives.services.cascade_reminders import iso_week, key_result_reminders_send
from objectives.tasks import key_result_reminders_send as reminder_task
from okrplan.celery import collect_beat_schedule
from tests.factories_cascade import CascadeSettingsFactory, CycleFactory, KeyResultFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(company, make_member):
    now = timezone.now()
    old = now - dt.timedelta(days=10)
    anna = make_member(company, first_name="Anna", username="anna")
    bernd = make_member(company, first_name="Bernd", username="bernd")
    carla = make_member(company, first_name="Carla", username="carla")
    Profile.objects.create(user=anna, language="de")
    Profile.objects.create(user=bernd, language="en")
    cycle = CycleFactory(company=company, state="active", name="FY 2026")
    objective = ObjectiveFactory(cycle=cycle, title="Leads steigern")
    KeyResultFactory(objective=objective, owner=anna, title="Leads +18 %", last_check_in_at=old)
    never = KeyResultFactory(objective=objective, owner=anna, title="Webinare", last_check_in_at=None)
    KeyResult.objects.filter(pk=never.pk).update(created_at=old)  # created before the period, never checked in
    KeyResultFactory(objective=objective, owner=bernd, title="Pipeline", last_check_in_at=old)
    KeyResultFactory(objective=objective, owner=carla, title="Fresh", last_check_in_at=now)
    planning = ObjectiveFactory(cycle=CycleFactory(company=company, name="Next"))
    KeyResultFactory(objective=planning, owner=carla, title="Planning only", last_check_in_at=old)
    return {"anna": anna, "bernd": bernd, "carla": carla, "now": now}


def test_one_mail_per_owner_in_their_language(setup):
    sent = key_result_reminders_send(now=setup["now"])
    assert sent == 2
    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert set(by_recipient) == {setup["anna"].email, setup["bernd"].email}
    german = by_recipient[setup["anna"].email]
    assert "Leads +18 %" in german.body and "Webinare" in german.body
    assert "Hallo Anna" in german.body
    assert "2 Key Results" in german.subject
    assert "/c/acme/" in german.body
    english = by_recipient[setup["bernd"].email]
    assert "Hello Bernd" in english.body and "- Pipeline" in english.body and "Webinare" not in english.body
    assert "a key result is waiting for your check-in" in english.subject


def test_idempotent_per_iso_week(setup):
    assert key_result_reminders_send(now=setup["now"]) == 2
    assert key_result_reminders_send(now=setup["now"]) == 0
    assert len(mail.outbox) == 2
    assert ReminderLog.objects.filter(week=iso_week(setup["now"])).count() == 2
    next_week = setup["now"] + dt.timedelta(days=7)
    assert key_result_reminders_send(now=next_week) == 2


def test_reminder_period_and_switch_per_company(setup, company):
    CascadeSettingsFactory(company=company, reminder_after_days=14)
    assert key_result_reminders_send(now=setup["now"]) == 0
    settings_row = company.cascade_settings
    settings_row.reminder_after_days = 7
    settings_row.reminders_enabled = False
    settings_row.save()
    assert key_result_reminders_send(now=setup["now"]) == 0
    assert mail.outbox == []


def test_task_runs_the_service_and_beat_schedule_is_monday_eight(setup):
    assert reminder_task.delay().get() == 2
    entry = BEAT_SCHEDULE["key-result-reminders-weekly"]
    assert entry["task"] == reminder_task.name
    assert entry["schedule"] == crontab(minute=0, hour=8, day_of_week="mon")
    assert "key-result-reminders-weekly" in collect_beat_schedule()


def test_a_failing_mail_is_not_logged_and_retried_next_run(setup, monkeypatch):
    from objectives.services import cascade_reminders

    def broken(*args, **kwargs):
        raise ConnectionError("smtp down")

    monkeypatch.setattr(cascade_reminders, "send_mail", broken)
    with pytest.raises(ConnectionError):
        key_result_reminders_send(now=setup["now"])
    assert not ReminderLog.objects.exists()
    monkeypatch.undo()
    assert key_result_reminders_send(now=setup["now"]) == 2


def test_reminder_settings_via_api_and_service(company, api_client_for):
    from companies.permissions import Role

    url = f"/api/v1/companies/{company.slug}/cascade/settings/"
    member = api_client_for(company, Role.MEMBER)
    assert member.get(url).json() == {"reminder_after_days": 7, "reminders_enabled": True}
    assert member.patch(url, {"reminder_after_days": 10}, format="json").status_code == 403
    facilitator = api_client_for(company, Role.FACILITATOR)
    response = facilitator.patch(url, {"reminder_after_days": 14, "reminders_enabled": False}, format="json")
    assert response.status_code == 200 and response.json() == {"reminder_after_days": 14, "reminders_enabled": False}
    assert facilitator.patch(url, {"reminder_after_days": 0}, format="json").status_code == 400
    company.cascade_settings.refresh_from_db()
    assert company.cascade_settings.reminder_after_days == 14
