"""The weekly review's part of the reminder e-mail (core.reminders): each owner's open actions, oldest due first."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from .models import ReviewAction


def collect(*, company, now: dt.datetime) -> dict[int, tuple[object, list[ReviewAction]]]:
    """Every owner's open actions (one query)."""
    found: dict[int, tuple[object, list[ReviewAction]]] = {}
    rows = (
        ReviewAction.objects.for_company(company)
        .filter(status=ReviewAction.Status.OPEN)
        .select_related("owner", "owner__profile")
        .order_by("owner_id", "due_date", "id")
    )
    for action in rows:
        found.setdefault(action.owner_id, (action.owner, []))[1].append(action)
    return found


def render(*, company, user, items: list[ReviewAction], now: dt.datetime) -> str:
    today = timezone.localtime(now).date()
    link = settings.SITE_URL.rstrip("/") + reverse("review:week", kwargs={"company_slug": company.slug})
    context = {"actions": items, "today": today, "link": link, "company": company}
    return render_to_string("review/email/reminder_section.txt", context).strip()


class open_actions_section:  # a section object for core.reminders (a collect and a render)
    collect = staticmethod(collect)
    render = staticmethod(render)
