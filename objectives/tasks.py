"""Celery tasks of the planning domain: thin, taking ids (or nothing), each calling one service."""

from __future__ import annotations

from celery import shared_task

from .services.cascade_reminders import key_result_reminders_send as send


@shared_task(
    name="objectives.key_result_reminders_send",
    autoretry_for=(ConnectionError, TimeoutError, OSError),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def key_result_reminders_send(company_ids: list[int] | None = None) -> int:
    """Weekly: one e-mail per owner of stale key results (idempotent per ISO week)."""
    return send(company_ids=company_ids)
