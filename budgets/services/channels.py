"""Marketing channels of a company (the budget lines' categories)."""

from __future__ import annotations

from django.db import transaction

from companies.models import Company
from companies.permissions import Action, require_actor
from core import versions

from ..models import Channel

# Seeded on a company's first use of budgets. Channel names are company data (editable), not UI strings, so the
# German names of the demo stay as they are in every interface language.
DEFAULT_CHANNELS = ["Events", "Paid Digital", "Content", "Messen", "Agenturen", "PR & Sponsoring"]


@transaction.atomic
def channels_ensure_defaults(*, company: Company) -> list[Channel]:
    """Seed the default channels the first time a company uses budgets; a company's own list is left alone."""
    if not Channel.objects.for_company(company).exists():
        Channel.objects.bulk_create(
            [Channel(company=company, name=name, position=i * 10) for i, name in enumerate(DEFAULT_CHANNELS)],
            ignore_conflicts=True,
        )
        versions.bump("budgets", company_id=company.pk)  # bulk_create sends no signal
    return list(Channel.objects.for_company(company))


@transaction.atomic
def channel_create(*, company: Company, name: str, actor) -> Channel:
    require_actor(actor, company, Action.COMPANY_SETTINGS)
    position = (Channel.objects.for_company(company).order_by("-position").values_list("position", flat=True)).first()
    channel = Channel(company=company, name=name.strip(), position=(position or 0) + 10)
    channel.full_clean()
    channel.save()
    return channel


@transaction.atomic
def channel_update(*, channel: Channel, actor, name: str | None = None, is_active: bool | None = None) -> Channel:
    channel = Channel.objects.select_for_update().get(pk=channel.pk)
    require_actor(actor, channel.company, Action.COMPANY_SETTINGS)
    fields = []
    if name is not None and name.strip() != channel.name:
        channel.name = name.strip()
        fields.append("name")
    if is_active is not None and is_active != channel.is_active:
        channel.is_active = is_active
        fields.append("is_active")
    if fields:
        channel.full_clean()
        channel.save(update_fields=fields)
    return channel
