"""Live CRM connections: connect (test the credentials, store them encrypted), sync, disconnect.

A sync reads each stream of the source from its cursor, page by page. Every page is one transaction: its records are
parsed by the file import's rules (crm.reader.parse_record) and upserted by the same path as a file and the bulk API
(crm.services.records), and the stream's cursor moves to the page's last modification time in that same
transaction — a sync that stops anywhere (rate limit, expired token, a crash) resumes at the last written page, and
the upsert by CRM id makes re-reading the boundary records harmless. A record the import rules refuse is skipped and
listed in the run's errors; the others are written. Once rows were written the apps above hear of it
(crm.signals.crm_data_changed: reporting recomputes only the KPI periods the changed rows touch).
"""

from __future__ import annotations

import datetime as dt
import logging

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from companies.permissions import Action, require_actor
from core.errors import DomainError

from ..connectors import AuthExpired, ConnectorError, Page, RateLimited, credentials
from ..connectors.hubspot import HubSpotSource
from ..connectors.salesforce import SalesforceSource
from ..models import CrmConnection, CrmKind, CrmSyncRun
from ..reader import MAX_STORED_ERRORS, ParseContext, parse_record
from ..signals import crm_data_changed_on_commit
from ..sources import company_sources
from .records import MODELS, _link_converted_opportunities, _missing_leads, _upsert_batch

logger = logging.getLogger(__name__)

KIND_ORDER = (CrmKind.LEADS, CrmKind.OPPORTUNITIES, CrmKind.TOUCHPOINTS)
# A run that made no progress for this long was interrupted (a worker died): the next sync may start.
STALE_AFTER = dt.timedelta(minutes=30)
CREDENTIAL_FIELDS = {
    CrmConnection.Kind.HUBSPOT: ("token",),
    CrmConnection.Kind.SALESFORCE: ("login_url", "consumer_key", "consumer_secret", "refresh_token"),
}


class SyncStopped(Exception):
    """The connection was disconnected or lost its authorisation while a sync ran."""


def make_source(kind: str, secrets: dict):
    if kind == CrmConnection.Kind.HUBSPOT:
        return HubSpotSource(secrets)
    return SalesforceSource(secrets)


def _clean_credentials(kind: str, values: dict) -> dict:
    cleaned = {name: str(values.get(name) or "").strip() for name in CREDENTIAL_FIELDS[kind]}
    errors: dict[str, list[str]] = {}
    required = {"token"} if kind == CrmConnection.Kind.HUBSPOT else {"login_url", "consumer_key", "consumer_secret"}
    for name in required:
        if not cleaned[name]:
            errors[name] = [forms.Field.default_error_messages["required"]]
    if kind == CrmConnection.Kind.SALESFORCE and cleaned["login_url"]:
        cleaned["login_url"] = cleaned["login_url"].rstrip("/")
        if not cleaned["login_url"].startswith("https://"):
            errors["login_url"] = [_("Enter the https:// address of the Salesforce login (or your My Domain).")]
    if errors:
        raise ValidationError(errors)
    return cleaned


def crm_connection_connect(*, company, kind: str, values: dict, actor) -> CrmConnection:
    """Test the credentials against the CRM, then store them encrypted and schedule the first sync. A connection
    that needed connecting again keeps its cursors (the sync goes on where it stopped); a new one starts from the
    beginning. Raises ValidationError with the CRM's answer when it refuses them."""
    require_actor(actor, company, Action.CRM_IMPORT)
    if kind not in CrmConnection.Kind.values:
        raise DomainError(_("Unknown CRM."), field="kind")
    secrets = _clean_credentials(kind, values)
    try:
        label = make_source(kind, secrets).check()  # outside any transaction: it talks to the CRM
    except ConnectorError as exc:
        raise ValidationError(_("The CRM did not accept the connection: %(reason)s") % {"reason": exc.message}) from exc
    with transaction.atomic():
        connection, _created = CrmConnection.objects.select_for_update().get_or_create(
            company=company, kind=kind, defaults={"credentials": "pending"}
        )
        if connection.status == CrmConnection.Status.REVOKED or _created:
            connection.cursors = {}
        connection.credentials = credentials.encrypt(secrets)
        connection.status = CrmConnection.Status.ACTIVE
        connection.label = label[:200]
        connection.connected_at = timezone.now()
        connection.connected_by = actor
        connection.last_error = ""
        connection.revoked_at = None
        connection.full_clean()
        connection.save()
        _schedule_sync(connection, CrmSyncRun.Trigger.CONNECT)
    return connection


def crm_connection_revoke(*, connection: CrmConnection, actor) -> CrmConnection:
    """Disconnect: the stored credentials are deleted and no sync runs any more; the data already synced and the
    sync history stay."""
    require_actor(actor, connection.company, Action.CRM_IMPORT)
    with transaction.atomic():
        connection = CrmConnection.objects.select_for_update().get(pk=connection.pk)
        if connection.status == CrmConnection.Status.REVOKED:
            raise DomainError(_("This CRM is not connected."))
        connection.status = CrmConnection.Status.REVOKED
        connection.credentials = ""
        connection.cursors = {}
        connection.revoked_at = timezone.now()
        connection.save(update_fields=["status", "credentials", "cursors", "revoked_at"])
    return connection


def crm_connection_sync_request(*, connection: CrmConnection, actor) -> None:
    """ "Sync now": schedule a sync of this connection (it starts unless one is running)."""
    require_actor(actor, connection.company, Action.CRM_IMPORT)
    if connection.status != CrmConnection.Status.ACTIVE:
        raise DomainError(_("Connect the CRM again before syncing."))
    _schedule_sync(connection, CrmSyncRun.Trigger.MANUAL)


def _schedule_sync(connection: CrmConnection, trigger: str) -> None:
    from ..tasks import crm_connection_sync  # tasks import the services: a cycle at module level

    transaction.on_commit(lambda: crm_connection_sync.delay(connection.pk, trigger))


def crm_connections_due() -> list[int]:
    """The ids of the connections the scheduled sync covers."""
    return list(CrmConnection.objects.filter(status=CrmConnection.Status.ACTIVE).values_list("pk", flat=True))


# -------------------------------------------------------------------------------------------------------- the sync


def _claim(connection_id: int, trigger: str) -> CrmSyncRun | None:
    """Start a run, unless the connection is not active or another run is making progress (one sync per connection
    at a time); a run without progress for STALE_AFTER was interrupted and is closed as failed."""
    with transaction.atomic():
        connection = CrmConnection.objects.select_for_update().filter(pk=connection_id).first()
        if connection is None or connection.status != CrmConnection.Status.ACTIVE:
            return None
        now = timezone.now()
        for run in connection.runs.filter(status=CrmSyncRun.Status.RUNNING):
            if run.heartbeat_at > now - STALE_AFTER:
                return None
            run.status = CrmSyncRun.Status.FAILED
            run.finished_at = now
            run.message = _("Interrupted (the worker stopped); the next sync went on from the last written page.")
            run.save(update_fields=["status", "finished_at", "message", "heartbeat_at"])
        return CrmSyncRun.objects.create(connection=connection, company_id=connection.company_id, trigger=trigger)


def crm_connection_sync(*, connection_id: int, trigger: str = CrmSyncRun.Trigger.SCHEDULE) -> CrmSyncRun | None:
    """One sync of one connection (the Celery task's service). Returns the run, or None when none started."""
    run = _claim(connection_id, trigger)
    if run is None:
        return None
    connection = run.connection
    outcome, message = CrmSyncRun.Status.DONE, ""
    try:
        source = make_source(connection.kind, credentials.decrypt(connection.credentials))
        ctx = ParseContext(sources=company_sources(connection.company))
        for stream in source.streams:
            wrote_leads = False
            for page in source.pages(stream, connection.cursors.get(stream)):
                wrote_leads |= _write_page(run, connection, page, ctx)
            if wrote_leads:
                with transaction.atomic():
                    _link_converted_opportunities(connection.company)
        # Records deleted (archived) in the CRM go here too, after the changes: a record changed and then deleted
        # since the last sync ends deleted.
        for stream in getattr(source, "deletion_streams", ()):
            for page in source.deleted_pages(stream, connection.cursors.get(stream)):
                _write_page(run, connection, page, ctx)
    except AuthExpired as exc:
        outcome, message = CrmSyncRun.Status.FAILED, str(exc.message)
        CrmConnection.objects.filter(pk=connection.pk, status=CrmConnection.Status.ACTIVE).update(
            status=CrmConnection.Status.NEEDS_AUTH, last_error=message
        )
    except RateLimited as exc:
        outcome = CrmSyncRun.Status.PAUSED
        message = _("%(reason)s The next sync goes on where this one stopped.") % {"reason": exc.message}
    except ConnectorError as exc:
        outcome, message = CrmSyncRun.Status.FAILED, str(exc.message)
    except SyncStopped:
        outcome, message = CrmSyncRun.Status.FAILED, _("The connection was disconnected while the sync ran.")
    except Exception:
        logger.exception("CRM sync %s of connection %s failed", run.pk, connection.pk)
        outcome = CrmSyncRun.Status.FAILED
        message = _("The sync stopped on an unexpected error; the next sync goes on from the last written page.")
    run.status, run.message, run.finished_at = outcome, message, timezone.now()
    run.save(update_fields=["status", "message", "finished_at", "heartbeat_at"])
    CrmConnection.objects.filter(pk=connection.pk, status=CrmConnection.Status.ACTIVE).update(
        last_error=message if outcome == CrmSyncRun.Status.FAILED else ""
    )
    if run.rows_written:
        crm_data_changed_on_commit(connection.company_id)
    return run


def _write_page(run: CrmSyncRun, connection: CrmConnection, page: Page, ctx: ParseContext) -> bool:
    """Write one page and move its stream's cursor, in one transaction. Returns whether leads were written."""
    company = connection.company
    wrote_leads = False
    with transaction.atomic():
        locked = CrmConnection.objects.select_for_update().only("status", "cursors").get(pk=connection.pk)
        if locked.status != CrmConnection.Status.ACTIVE:
            raise SyncStopped
        for kind in KIND_ORDER:
            parsed = _parsed_rows(run, page, kind, ctx)
            if kind == CrmKind.TOUCHPOINTS and parsed:
                missing = _missing_leads(company, [values["lead_external_id"] for values in parsed])
                for values in [v for v in parsed if v["lead_external_id"] in missing]:
                    _error(
                        run,
                        page.stream,
                        values["external_id"],
                        "lead_external_id",
                        _("No lead with id “%(id)s”.") % {"id": values["lead_external_id"]},
                    )
                parsed = [v for v in parsed if v["lead_external_id"] not in missing]
            if not parsed:
                continue
            created = _upsert_batch(company, kind, parsed, ctx)
            counts = run.counts.setdefault(kind, {"created": 0, "updated": 0})
            counts["created"] += created
            counts["updated"] += len(parsed) - created
            wrote_leads |= kind == CrmKind.LEADS
        for kind, ids in page.deleted.items():
            _delete(run, company, kind, ids)
        if page.cursor:
            locked.cursors[page.stream] = page.cursor
            locked.save(update_fields=["cursors"])
            connection.cursors = locked.cursors
        run.save(update_fields=["counts", "errors", "error_count", "heartbeat_at"])
    return wrote_leads


def _delete(run: CrmSyncRun, company, kind: str, ids: list[str]) -> None:
    """Delete the company's records of ``kind`` with these CRM ids (a lead takes its touchpoints with it; its
    opportunities stay, without the lead) and count them on the run."""
    model = MODELS[kind]
    _total, by_model = model.objects.filter(company=company, external_id__in=ids).delete()
    for other_kind, other in MODELS.items():
        gone = by_model.get(other._meta.label, 0)
        if gone:
            counts = run.counts.setdefault(other_kind, {"created": 0, "updated": 0})
            counts["deleted"] = counts.get("deleted", 0) + gone


def _parsed_rows(run: CrmSyncRun, page: Page, kind: str, ctx: ParseContext) -> list[dict]:
    """The page's rows of ``kind`` as model values (one per CRM id, the last wins); refused rows go to the run's
    errors."""
    by_id: dict[str, dict] = {}
    for row in page.rows.get(kind) or []:
        values, errors = parse_record(kind, row, ctx)
        if errors:
            for field, message in errors:
                _error(run, page.stream, str(row.get("external_id") or ""), field, message)
            continue
        by_id[values["external_id"]] = values
    return list(by_id.values())


def _error(run: CrmSyncRun, stream: str, record: str, field: str, message) -> None:
    run.error_count += 1
    if len(run.errors) < MAX_STORED_ERRORS:
        run.errors.append({"stream": stream, "record": record[:64], "field": field, "message": str(message)})


def crm_credentials_rotate() -> int:
    """Re-encrypt every stored credential with the first key of CRM_CREDENTIALS_KEYS; returns how many."""
    done = 0
    for connection in CrmConnection.objects.exclude(credentials="").only("credentials"):
        connection.credentials = credentials.rotate(connection.credentials)
        connection.save(update_fields=["credentials"])
        done += 1
    return done
