"""Check-ins: a new value (and confidence) for a key result, by its owner, whoever may check in on any, or a
partner working on it."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from companies.permissions import Action, can, require_actor, role_of
from core.errors import NotFound, PermissionDenied
from core.safety import validate_dates_in_range

from ...guards import partner_may_check_in
from ...models import CheckIn, Cycle, KeyResult
from .common import ONE, ZERO, _decimal, _full_clean, _lock_key_result

# ---------------------------------------------------------------------------------------------------- check-ins


@transaction.atomic
def check_in_create(
    *,
    key_result: KeyResult,
    value,
    confidence,
    comment: str = "",
    actor,
    is_automatic: bool = False,
    at: dt.datetime | None = None,
) -> CheckIn:
    """Append a check-in. The owner of the key result checks in (CHECKIN_OWN), facilitators and CMOs on any key
    result (CHECKIN_ANY). Allowed in planning and active cycles, refused in closed ones. The key result's current
    value and confidence follow the newest check-in (a back-dated one via ``at`` only adds history)."""
    company = key_result.company
    if actor is not None and not getattr(actor, "is_superuser", False):
        role = role_of(actor, company)
        if can(role, Action.PARTNER_WORK):
            # A partner checks in on the key results their initiatives feed; any other is not there for them.
            if not partner_may_check_in(user=actor, key_result=key_result):
                raise NotFound()
        elif not can(role, Action.CHECKIN_ANY):
            require_actor(actor, company, Action.CHECKIN_OWN)
            if key_result.owner_id != actor.pk:
                raise PermissionDenied(_("Only the owner of this key result can check in on it."))
    locked = _lock_key_result(key_result)
    if locked.objective.cycle.state == Cycle.State.CLOSED:
        raise ValidationError(
            _("The cycle “%(cycle)s” is closed: no more check-ins.") % {"cycle": locked.objective.cycle.name},
            code="locked",
        )
    value = _decimal(value, "value")
    confidence = _decimal(confidence, "confidence")
    if not (ZERO <= confidence <= ONE):
        raise ValidationError({"confidence": _("Confidence lies between 0.0 and 1.0.")})
    if locked.kind == KeyResult.Kind.MILESTONE and value not in (ZERO, ONE):
        raise ValidationError({"value": _("A milestone is either done (1) or not done (0).")})
    at = at or timezone.now()
    validate_dates_in_range(created_at=at)
    check_in = CheckIn(
        company=company,
        key_result=locked,
        value=value,
        confidence=confidence,
        comment=(comment or "").strip(),
        author=actor,
        is_automatic=is_automatic,
        created_at=at,
    )
    _full_clean(check_in, exclude=["company", "key_result", "author"])
    check_in.save(force_insert=True)
    # A check-in is not an edit of the key result: it leaves `version` alone (no false conflicts for someone
    # editing the title meanwhile) but moves `updated_at`, so the cascade signature changes.
    if locked.last_check_in_at is None or at >= locked.last_check_in_at:
        locked.current_value = value
        locked.confidence = confidence
        locked.last_check_in_at = at
        locked.save(update_fields=["current_value", "confidence", "last_check_in_at", "updated_at"])
    else:
        locked.save(update_fields=["updated_at"])
    return check_in
