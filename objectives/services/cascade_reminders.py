"""The weekly check-in reminder: one e-mail per owner and company listing the owner's stale key results, in the
owner's language, at most once per ISO week (``ReminderLog`` makes a second run in the same week a no-op).

Other apps add sections to the same e-mail (core.reminders, e.g. the weekly review's open actions): someone with
items in a section gets the reminder even without a stale key result."""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation

from companies.models import Company
from core.reminders import REMINDER_SECTIONS

from ..models import CascadeSettings, ReminderLog
from ..selectors.cascade import reminder_after_days, stale_key_results

logger = logging.getLogger(__name__)


def iso_week(moment: dt.datetime) -> str:
    year, week, _weekday = timezone.localtime(moment).isocalendar()
    return f"{year}-W{week:02d}"


def _link(company: Company) -> str:
    try:
        path = reverse("objectives:my_key_results", kwargs={"company_slug": company.slug})
    except NoReverseMatch:
        path = reverse("company_home", kwargs={"company_slug": company.slug})
    return settings.SITE_URL.rstrip("/") + path


def _language(user) -> str:
    profile = getattr(user, "profile", None) if hasattr(user, "profile") else None
    return getattr(profile, "language", None) or settings.LANGUAGE_CODE


def key_result_reminders_send(*, now: dt.datetime | None = None, company_ids: list[int] | None = None) -> int:
    """E-mail every owner of key results without a check-in for the company's reminder period (7 days unless
    configured); returns the number of e-mails sent. Idempotent per owner, company and ISO week."""
    now = now or timezone.now()
    week = iso_week(now)
    companies = Company.objects.filter(is_active=True).order_by("pk")
    if company_ids is not None:
        companies = companies.filter(pk__in=company_ids)
    disabled = set(CascadeSettings.objects.filter(reminders_enabled=False).values_list("company_id", flat=True))
    sent = 0
    for company in companies:
        if company.pk in disabled:
            continue
        already = set(ReminderLog.objects.filter(company=company, week=week).values_list("user_id", flat=True))
        by_owner = defaultdict(list)
        owners = {}
        for key_result in stale_key_results(company=company, now=now):
            owners[key_result.owner_id] = key_result.owner
            by_owner[key_result.owner_id].append(key_result)
        extras: dict[int, list] = defaultdict(list)
        for section in REMINDER_SECTIONS:
            for user_id, (user, items) in section.collect(company=company, now=now).items():
                if items:
                    owners.setdefault(user_id, user)
                    extras[user_id].append((section, items))
        days = reminder_after_days(company)
        for owner_id, owner in owners.items():
            if owner_id in already or not owner.is_active or not owner.email:
                continue
            key_results = by_owner.get(owner_id, [])
            try:
                with transaction.atomic():
                    # The log row first: a parallel run hits the unique constraint instead of sending twice; a
                    # failing mail rolls the row back so next run tries again.
                    ReminderLog.objects.create(
                        company=company, user=owner, week=week, key_result_count=len(key_results)
                    )
                    _send(
                        company=company,
                        owner=owner,
                        key_results=key_results,
                        days=days,
                        now=now,
                        sections=extras.get(owner_id, []),
                    )
            except IntegrityError:
                continue
            sent += 1
    return sent


def _send(*, company: Company, owner, key_results: list, days: int, now: dt.datetime, sections=()) -> None:
    with translation.override(_language(owner)):
        context = {
            "company": company,
            "owner": owner,
            "key_results": [
                {
                    "title": kr.title,
                    "objective": kr.objective.title,
                    "cycle": kr.objective.cycle.name,
                    "last_check_in_at": kr.last_check_in_at,
                    "days": (now - kr.last_check_in_at).days if kr.last_check_in_at else None,
                }
                for kr in key_results
            ],
            "days": days,
            "link": _link(company),
            "sections": [
                section.render(company=company, user=owner, items=items, now=now) for section, items in sections
            ],
        }
        subject = " ".join(render_to_string("objectives/email/key_result_reminder_subject.txt", context).split())
        body = render_to_string("objectives/email/key_result_reminder_body.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [owner.email])
    logger.info(
        "check-in reminder sent to user %s for company %s (%d key results)", owner.pk, company.pk, len(key_results)
    )
