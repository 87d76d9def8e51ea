"""Assigning external partners (memberships with the partner role) to initiatives: what a partner sees follows from
these rows (initiatives.selectors.partners)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from companies.models import Membership
from companies.permissions import Action, Role, require_actor
from core.people import display_name

from ..models import Initiative, InitiativePartner


@transaction.atomic
def initiative_partner_assign(*, initiative: Initiative, membership: Membership, actor) -> InitiativePartner:
    """``membership`` (a partner of the initiative's company) works on ``initiative``. Assigning twice changes
    nothing."""
    company = initiative.company
    require_actor(actor, company, Action.PARTNERS_MANAGE)
    membership = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
    if membership.company_id != company.pk:
        raise ValidationError({"membership": _("Choose a partner of this company.")})
    if membership.role != Role.PARTNER:
        raise ValidationError(
            {
                "membership": _("%(name)s is not a partner: only partners are assigned to initiatives.")
                % {"name": display_name(membership.user)}
            }
        )
    assignment = InitiativePartner.objects.filter(initiative=initiative, membership=membership).first()
    if assignment is not None:
        return assignment
    assignment = InitiativePartner(
        company=company,
        initiative=initiative,
        membership=membership,
        assigned_by=actor if getattr(actor, "pk", None) else None,
    )
    assignment.full_clean()
    assignment.save()
    return assignment


@transaction.atomic
def initiative_partner_unassign(*, initiative: Initiative, membership: Membership, actor) -> None:
    """The partner no longer works on ``initiative``: it and its key results leave their view at once."""
    require_actor(actor, initiative.company, Action.PARTNERS_MANAGE)
    for assignment in InitiativePartner.objects.filter(initiative=initiative, membership=membership):
        assignment.delete()  # one by one: History records each
