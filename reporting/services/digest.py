"""The weekly KPI e-mail: opt-in per user and company, in the user's language, at most once per ISO week."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from companies.models import Company, Membership
from companies.permissions import Action, can, require_actor

from ..formatting import present_tile
from ..models_snapshots import DigestSubscription, PeriodKind
from ..selectors import kpi as selectors_kpi

logger = logging.getLogger(__name__)

DIGEST_PERIOD_KIND = PeriodKind.MONTH


def iso_week(day: dt.date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def digest_subscription_for(*, user, company: Company) -> DigestSubscription | None:
    return DigestSubscription.objects.filter(user=user, company=company).first()


@transaction.atomic
def digest_subscription_set(*, company: Company, user, weekly: bool) -> DigestSubscription:
    """Opt the user in to (or out of) the company's weekly KPI e-mail. Only board readers may subscribe."""
    require_actor(user, company, Action.BOARD_VIEW)
    subscription, created = DigestSubscription.objects.select_for_update().get_or_create(
        user=user, company=company, defaults={"weekly": weekly}
    )
    if not created and subscription.weekly != weekly:
        subscription.weekly = weekly
        subscription.full_clean()
        subscription.save(update_fields=["weekly", "updated_at"])
    return subscription


def _language_of(user) -> str:
    profile = getattr(user, "profile", None)
    language = getattr(profile, "language", None) or settings.LANGUAGE_CODE
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def digest_message(*, company: Company, user, tiles: list, language: str, week: str) -> EmailMultiAlternatives:
    """The e-mail for one subscriber (rendered in ``language``)."""
    with translation.override(language):
        board_url = settings.SITE_URL.rstrip("/") + reverse("reporting:board", kwargs={"company_slug": company.slug})
        context = {
            "company": company,
            "user": user,
            "week": week,
            "tiles": [present_tile(t, currency=company.currency, language=language) for t in tiles],
            "period_label": tiles[0].period_label if tiles else "",
            "computed_at": max((t.computed_at for t in tiles), default=None),
            "board_url": board_url,
            "settings_url": board_url + "#digest",
            "language": language,
        }
        subject = " ".join(render_to_string("reporting/email/digest_subject.txt", context).split())
        text = render_to_string("reporting/email/digest.txt", context)
        html = render_to_string("reporting/email/digest.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [user.email])
    message.attach_alternative(html, "text/html")
    return message


def kpi_digest_send_week(*, today: dt.date | None = None) -> int:
    """Send this week's digest to every opted-in board reader who has not had it this week. Returns mails sent.

    Idempotent per ISO week: each subscription is claimed with a compare-and-set update of ``last_sent_week``
    before its mail goes out, so a rerun, a retry or a second worker skips it. A mail that fails to send gives
    the claim back, so the next run tries again.
    """
    today = today or timezone.localdate()
    week = iso_week(today)
    subscriptions = list(
        DigestSubscription.objects.filter(weekly=True, company__is_active=True)
        .exclude(last_sent_week=week)
        .exclude(user__email="")
        .select_related("user", "user__profile", "company")
        .order_by("company_id", "pk")
    )
    roles = {
        (m["user_id"], m["company_id"]): m["role"]
        for m in Membership.objects.filter(
            user_id__in={s.user_id for s in subscriptions}, company_id__in={s.company_id for s in subscriptions}
        ).values("user_id", "company_id", "role")
    }
    tiles_by_company: dict[int, list] = {}
    sent = 0
    for subscription in subscriptions:
        role = roles.get((subscription.user_id, subscription.company_id))
        if not subscription.user.is_active or not can(role, Action.BOARD_VIEW):
            continue
        previous = subscription.last_sent_week
        claimed = (
            DigestSubscription.objects.filter(pk=subscription.pk, weekly=True)
            .exclude(last_sent_week=week)
            .update(last_sent_week=week, last_sent_at=timezone.now())
        )
        if not claimed:
            continue
        company = subscription.company
        if company.pk not in tiles_by_company:
            tiles_by_company[company.pk] = selectors_kpi.board_tiles(
                company=company, period_kind=DIGEST_PERIOD_KIND, on=today
            )
        message = digest_message(
            company=company,
            user=subscription.user,
            tiles=tiles_by_company[company.pk],
            language=_language_of(subscription.user),
            week=week,
        )
        try:
            message.send()
        except Exception:
            logger.exception("KPI digest to user %s failed; will retry next run", subscription.user_id)
            DigestSubscription.objects.filter(pk=subscription.pk, last_sent_week=week).update(last_sent_week=previous)
            continue
        sent += 1
    return sent
