"""KPI alerts: raised by the check after each KPI refresh (reporting.alert_rule states the rule), acknowledged with a
note, e-mailed to the KPI's subscribers in their language, and the per-KPI settings and subscriptions.

No alert storm: at most one open alert per KPI (held by a partial unique constraint), and a KPI's period that raised
an alert never raises a second one (unique per KPI and period), so neither the hourly refresh nor a redelivered
task repeats an alert or its e-mail. An open alert whose KPI is back inside its bounds is resolved by the next check.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from companies.models import Company, Membership
from companies.permissions import Action, can, require_actor
from core.errors import NotFound

from .. import alert_rule, kpis, periods
from ..models_alerts import DEFAULT_K, DEFAULT_N, MAX_N, KpiAlert, KpiAlertSetting, KpiAlertSubscription
from ..models_snapshots import KpiSnapshot, PeriodKind
from .digest import _language_of  # the one rule for a recipient's language (profile, else default)

logger = logging.getLogger(__name__)

NOTE_MAX_LENGTH = 2000


def alert_settings(company: Company) -> dict[str, tuple[Decimal, int, bool]]:
    """(k, n, enabled) per KPI: the stored setting, else the defaults (k = 3, n = 6, on)."""
    stored = {s.kpi: (s.k, s.n, s.enabled) for s in KpiAlertSetting.objects.filter(company=company)}
    return {key: stored.get(key, (DEFAULT_K, DEFAULT_N, True)) for key in kpis.KPIS}


def kpi_alerts_check(*, company: Company, on: dt.date | None = None) -> list[KpiAlert]:
    """Check every KPI's latest complete month against its target and its own history; raise the alerts that fire
    (at most one open per KPI), resolve open alerts whose KPI no longer fires. Called by the KPI refresh inside its
    transaction, after the snapshots are written; the e-mails go out after commit. Returns the alerts raised.

    Four queries whatever the data: the monthly snapshots (a window keeps the last n + 1 per KPI), the settings,
    the alerts that matter, and the writes."""
    on = on or timezone.localdate()
    rows = list(
        KpiSnapshot.objects.filter(
            company=company, period_kind=PeriodKind.MONTH, period_end__lt=on, data_through__isnull=True
        )
        .annotate(
            rank=Window(RowNumber(), partition_by=[F("kpi")], order_by=[F("period_start").desc(), F("pk").desc()])
        )
        .filter(rank__lte=MAX_N + 1)
        .order_by("kpi", "period_start", "pk")
        .values_list("kpi", "period_key", "period_label", "period_start", "period_end", "value", "target")
    )
    by_kpi: dict[str, list[tuple]] = {}
    for row in rows:
        by_kpi.setdefault(row[0], []).append(row)
    rule_settings = alert_settings(company)
    latest = {key: series[-1] for key, series in by_kpi.items() if key in kpis.KPIS}
    existing = {
        (a.kpi, a.period_key): a
        for a in KpiAlert.objects.filter(company=company, kpi__in=list(latest)).filter(status=KpiAlert.Status.OPEN)
        | KpiAlert.objects.filter(company=company, period_key__in={r[1] for r in latest.values()})
    }
    open_by_kpi = {a.kpi: a for a in existing.values() if a.status == KpiAlert.Status.OPEN}
    now = timezone.now()
    raised: list[KpiAlert] = []
    resolved: list[int] = []
    for key, (_kpi, period_key, label, start, end, value, target) in latest.items():
        k, n, enabled = rule_settings[key]
        if value is None or not enabled:
            continue
        definition = kpis.KPIS[key]
        history = [(r[1], r[2], r[5]) for r in by_kpi[key][:-1]]
        check = alert_rule.check_value(
            value=value, target=target, higher_is_better=definition.higher_is_better, history=history, k=k, n=n
        )
        open_alert = open_by_kpi.get(key)
        if not check.fired:
            if open_alert is not None:
                resolved.append(open_alert.pk)
            continue
        if open_alert is not None or (key, period_key) in existing:
            continue  # one open alert per KPI; a period raises at most one alert
        alert = KpiAlert(
            company=company,
            kpi=key,
            period_key=period_key,
            period_label=label,
            period_start=start,
            period_end=end,
            value=value,
            unit=definition.unit,
            reasons=check.reasons,
            inputs=check.inputs,
            raised_at=now,
        )
        alert.full_clean(exclude=["company"], validate_unique=False, validate_constraints=False)
        raised.append(alert)
    if resolved:
        KpiAlert.objects.filter(pk__in=resolved, status=KpiAlert.Status.OPEN).update(
            status=KpiAlert.Status.RESOLVED, resolved_at=now
        )
    if raised:
        raised = KpiAlert.objects.bulk_create(raised)
        for alert in raised:
            transaction.on_commit(partial(_enqueue_notify, alert.pk))
        logger.info("KPI alerts raised for company %s: %s", company.pk, ", ".join(a.kpi for a in raised))
    return raised


def _enqueue_notify(alert_id: int) -> None:
    from ..tasks.kpi import kpi_alert_notify  # tasks.kpi imports the services: a cycle

    try:
        kpi_alert_notify.delay(alert_id)
    except Exception:  # the broker is down: the alert stands on the board; its e-mail is retried by the next check
        logger.warning("KPI alert %s: e-mail task could not be queued", alert_id)


def kpi_alert_acknowledge(*, company: Company, actor, alert_id: int, note: str) -> KpiAlert:
    """Acknowledge an open alert with a note (what is being done about it). The KPI can raise a new alert for a
    later period afterwards. ValidationError for an empty note or an alert that is no longer open."""
    require_actor(actor, company, Action.KPI_ALERT_ACKNOWLEDGE)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Say what is being done about it (the note is required).")})
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationError({"note": _("Keep the note under %(count)s characters.") % {"count": NOTE_MAX_LENGTH}})
    with transaction.atomic():
        alert = KpiAlert.objects.select_for_update().filter(company=company, pk=alert_id).first()
        if alert is None:
            raise NotFound(_("No such alert."))
        if alert.status != KpiAlert.Status.OPEN:
            raise ValidationError(
                {"note": _("This alert is already %(status)s.") % {"status": alert.get_status_display().lower()}}
            )
        alert.status = KpiAlert.Status.ACKNOWLEDGED
        alert.note = note
        alert.acknowledged_by = actor
        alert.acknowledged_at = timezone.now()
        alert.full_clean(exclude=["company", "acknowledged_by"])
        alert.save(update_fields=["status", "note", "acknowledged_by", "acknowledged_at"])
    return alert


@transaction.atomic
def kpi_alert_subscription_set(*, company: Company, user, kpi: str, subscribed: bool) -> bool:
    """Opt in to (or out of) the e-mails of one KPI's alerts. Board readers only. Returns the new state."""
    require_actor(user, company, Action.BOARD_VIEW)
    if kpi not in kpis.KPIS:
        raise ValidationError({"kpi": _("Unknown KPI “%(kpi)s”.") % {"kpi": kpi}})
    if subscribed:
        KpiAlertSubscription.objects.get_or_create(user=user, company=company, kpi=kpi)
    else:
        KpiAlertSubscription.objects.filter(user=user, company=company, kpi=kpi).delete()
    return subscribed


@transaction.atomic
def kpi_alert_setting_set(*, company: Company, actor, kpi: str, k=None, n=None, enabled=None) -> KpiAlertSetting:
    """Change the history rule of one KPI (k multiples of the MAD, n previous months) or switch its alerts off.
    Those who set the board's targets do this; ValidationError naming the field for values out of range."""
    require_actor(actor, company, Action.KPI_TARGETS_MANAGE)
    if kpi not in kpis.KPIS:
        raise ValidationError({"kpi": _("Unknown KPI “%(kpi)s”.") % {"kpi": kpi}})
    setting = KpiAlertSetting.objects.select_for_update().filter(company=company, kpi=kpi).first()
    setting = setting or KpiAlertSetting(company=company, kpi=kpi)
    if k is not None:
        setting.k = k
    if n is not None:
        setting.n = n
    if enabled is not None:
        setting.enabled = bool(enabled)
    setting.updated_by = actor
    setting.full_clean(exclude=["company", "updated_by"])
    setting.save()
    return setting


# --- e-mail ------------------------------------------------------------------------------------------------------


def alert_message(*, alert: KpiAlert, user, language: str) -> EmailMultiAlternatives:
    """The e-mail of one alert for one subscriber, in ``language``."""
    from ..selectors.alerts import present_alert

    company = alert.company
    with translation.override(language):
        path = reverse("reporting:board_alerts", kwargs={"company_slug": company.slug})
        context = {
            "company": company,
            "user": user,
            "alert": present_alert(alert, currency=company.currency, language=language),
            "alerts_url": f"{settings.SITE_URL.rstrip('/')}{path}#alert-{alert.pk}",
            "board_url": settings.SITE_URL.rstrip("/")
            + reverse("reporting:board", kwargs={"company_slug": company.slug}),
        }
        subject = " ".join(render_to_string("reporting/email/alert_subject.txt", context).split())
        text = render_to_string("reporting/email/alert.txt", context)
        html = render_to_string("reporting/email/alert.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [user.email])
    message.attach_alternative(html, "text/html")
    return message


def kpi_alert_notify(*, alert_id: int) -> int:
    """E-mail an alert to the subscribers of its KPI who may read the board, each in their language. Idempotent:
    the alert is claimed (``notified_at``, compare-and-set) before anything is sent. Returns the mails sent."""
    claimed = KpiAlert.objects.filter(pk=alert_id, notified_at__isnull=True).update(notified_at=timezone.now())
    if not claimed:
        return 0
    alert = KpiAlert.objects.select_related("company").get(pk=alert_id)
    subscriptions = list(
        KpiAlertSubscription.objects.filter(company=alert.company, kpi=alert.kpi, user__is_active=True)
        .exclude(user__email="")
        .select_related("user", "user__profile")
        .order_by("pk")
    )
    roles = dict(
        Membership.objects.filter(company=alert.company, user_id__in=[s.user_id for s in subscriptions]).values_list(
            "user_id", "role"
        )
    )
    sent = 0
    for subscription in subscriptions:
        if not can(roles.get(subscription.user_id), Action.BOARD_VIEW):
            continue
        message = alert_message(alert=alert, user=subscription.user, language=_language_of(subscription.user))
        try:
            message.send()
        except Exception:
            logger.exception("KPI alert %s: e-mail to user %s failed", alert_id, subscription.user_id)
            continue
        sent += 1
    return sent


def period_label(alert: KpiAlert, *, fiscal_start_month: int = 1) -> str:
    return periods.localized_label(
        kind=PeriodKind.MONTH,
        key=alert.period_key,
        start=alert.period_start,
        stored=alert.period_label,
        fiscal_start_month=fiscal_start_month,
    )
