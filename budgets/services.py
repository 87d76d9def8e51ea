"""Every state change of budget lines, approvals, channels and spend. Interfaces (pages, API, admin, commands,
imports) call these functions and never repeat a rule.

The core rule — a line can only be approved once it is bound to a key result of the same company whose cycle
covers the line's period — is checked here with a clear message and, for every other path into the data, held by
the database constraint ``budget_line_approved_is_bound``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from companies.models import Company
from companies.permissions import Action, can, require_actor, role_of
from core import versions
from core.errors import Conflict, PermissionDenied, StaleVersion
from core.people import display_name
from history.tracking import history_actor, history_system
from initiatives.models import Initiative
from objectives.models import Cycle, KeyResult
from objectives.models.cascade import dates_cover

from .models import BudgetAuditEntry, BudgetLine, BudgetSettings, Channel, SpendEntry

State = BudgetLine.State
Event = BudgetAuditEntry.Event

BINDING_REQUIRED = _("A budget line can only be approved once it is bound to a key result.")
BINDING_OTHER_COMPANY = _("The key result belongs to another company.")
BINDING_CYCLE = _(
    "The key result's cycle (%(kr_cycle)s) does not cover the budget line's cycle (%(line_cycle)s); "
    "a budget line can only be approved against a key result whose cycle covers its period."
)
SELF_APPROVAL = _("Nobody may approve or reject a budget line they requested.")
OWN_VERSION = _(
    "You last changed the amount or the key result of this version of the budget line; another person must approve it."
)
SAME_PERSON_TWO_STEPS = _(
    "You gave the CMO approval of this budget line; the executive approval must come from another person."
)

# Seeded on a company's first use of budgets. Channel names are company data (editable), not UI strings, so the
# German names of the demo stay as they are in every interface language.
DEFAULT_CHANNELS = ["Events", "Paid Digital", "Content", "Messen", "Agenturen", "PR & Sponsoring"]


# --- helpers -------------------------------------------------------------------------------------------------------


def _display(user) -> str:
    return display_name(user, nobody=gettext("the system"))


def _clock(moment: dt.datetime | None) -> str:
    return time_format(timezone.localtime(moment), "H:i") if moment else "?"


def _audit(
    line: BudgetLine, event: str, actor, *, state_before: str, reason: str = "", state_after: str | None = None
) -> BudgetAuditEntry:
    kr = line.key_result if line.key_result_id else None
    return BudgetAuditEntry.objects.create(
        company_id=line.company_id,
        line=line,
        event=event,
        actor=actor if getattr(actor, "pk", None) else None,
        amount=line.planned_amount,
        key_result=kr,
        key_result_title=kr.title if kr else "",
        state_before=state_before,
        state_after=line.state if state_after is None else state_after,
        reason=reason,
    )


def _lock(line: BudgetLine | int, *, key_results: tuple[int | None, ...] = ()) -> BudgetLine:
    """Re-read the line under a row lock: concurrent decisions on the same line queue up here.

    One lock order for everything that locks a key result and its lines: the key result rows first (by id), then
    the line. Deleting or moving a key result locks the key result and then its lines (objectives' services, the
    pre_delete signal); locking the line first here and reaching for the key result later (the audit entry's
    foreign key) deadlocked (issue 12, finding 8). ``FOR NO KEY UPDATE`` on the key result conflicts with its
    deletion and move, not with check-ins' reads or other lines' foreign keys. ``key_results``: further key results
    the caller is about to bind.
    """
    pk = line.pk if isinstance(line, BudgetLine) else line
    for _attempt in range(3):
        bound = BudgetLine.objects.filter(pk=pk).values_list("key_result_id", flat=True).get()
        wanted = sorted({kr for kr in (bound, *key_results) if kr})
        if wanted:
            list(
                KeyResult.objects.select_for_update(no_key=True)
                .filter(pk__in=wanted)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        locked = BudgetLine.objects.select_for_update().get(pk=pk)
        if locked.key_result_id == bound:
            return locked
        # Rebound between the two reads: take the new key result's lock too, in order, and look again.
    raise _decided_conflict(locked)


def _last_change(line: BudgetLine) -> BudgetAuditEntry | None:
    return BudgetAuditEntry.objects.filter(line=line).select_related("actor").order_by("-at", "-id").first()


def _check_version(line: BudgetLine, version: int | None) -> None:
    if version is None or int(version) == line.version:
        return
    last = _last_change(line)
    raise StaleVersion(
        changed_by=_display(last.actor) if last else "?",
        changed_at=last.at if last else line.updated_at,
        current={"version": line.version, "state": line.state, "planned_amount": str(line.planned_amount)},
    )


def _decided_conflict(line: BudgetLine) -> Conflict:
    """Tell the loser of a race what happened: who decided, when, and what."""
    last = _last_change(line)
    who, when = (_display(last.actor), _clock(last.at)) if last else ("?", "?")
    if line.state == State.APPROVED:
        message = gettext("Already approved by %(who)s at %(when)s.")
    elif line.state == State.REJECTED:
        message = gettext("Already rejected by %(who)s at %(when)s.")
    elif line.cmo_approved_by_id:
        message = gettext("Already approved by %(who)s at %(when)s; an executive must still approve it.")
    else:
        message = gettext("Changed by %(who)s at %(when)s.")
    return Conflict(
        message % {"who": who, "when": when},
        extra={"state": line.state, "version": line.version, "changed_by": who, "changed_at": when},
    )


def _require_edit(actor, line: BudgetLine) -> None:
    """Requesters edit their own lines; approvers (CMO, executive) edit any line of their company."""
    if actor is None or getattr(actor, "is_superuser", False):
        return
    role = role_of(actor, line.company)
    if can(role, Action.BUDGET_APPROVE):
        return
    require_actor(actor, line.company, Action.BUDGET_REQUEST)
    if line.requester_id != actor.pk:
        raise PermissionDenied(_("Only the requester or an approver may change this budget line."))


def budget_settings_for(company: Company) -> BudgetSettings:
    """The company's budget settings, created with the default limit on first use. Nobody chose that default, so
    the history attributes the creation to the system, not to whoever happened to open the page."""
    settings = BudgetSettings.objects.filter(company=company).first()
    if settings is None:
        with history_system():
            settings, _created = BudgetSettings.objects.get_or_create(company=company)
    return settings


def key_result_binding_errors(*, line: BudgetLine, key_result: KeyResult | None) -> list[str]:
    """Why ``key_result`` cannot carry the approval of ``line`` (empty when it can)."""
    if key_result is None:
        return [str(BINDING_REQUIRED)]
    if key_result.company_id != line.company_id:
        return [str(BINDING_OTHER_COMPANY)]
    kr_cycle = key_result.objective.cycle
    line_cycle = line.cycle
    if not kr_cycle.covers_cycle(line_cycle):
        return [str(BINDING_CYCLE % {"kr_cycle": kr_cycle.name, "line_cycle": line_cycle.name})]
    return []


def _check_key_result_company(company_id: int, key_result: KeyResult | None) -> None:
    if key_result is not None and key_result.company_id != company_id:
        raise ValidationError({"key_result": [BINDING_OTHER_COMPANY]})


# --- channels ------------------------------------------------------------------------------------------------------


@transaction.atomic
def channels_ensure_defaults(*, company: Company) -> list[Channel]:
    """Seed the default channels the first time a company uses budgets; a company's own list is left alone."""
    if not Channel.objects.filter(company=company).exists():
        Channel.objects.bulk_create(
            [Channel(company=company, name=name, position=i * 10) for i, name in enumerate(DEFAULT_CHANNELS)],
            ignore_conflicts=True,
        )
        versions.bump("budgets", company_id=company.pk)  # bulk_create sends no signal
    return list(Channel.objects.filter(company=company))


@transaction.atomic
def channel_create(*, company: Company, name: str, actor) -> Channel:
    require_actor(actor, company, Action.COMPANY_SETTINGS)
    position = (
        Channel.objects.filter(company=company).order_by("-position").values_list("position", flat=True)
    ).first()
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


# --- budget lines --------------------------------------------------------------------------------------------------


@transaction.atomic
def budget_line_create(
    *,
    company: Company,
    cycle: Cycle,
    title: str,
    channel: Channel,
    planned_amount: Decimal,
    actor,
    initiative: Initiative | None = None,
    key_result: KeyResult | None = None,
    requester=None,
    submit: bool = False,
) -> BudgetLine:
    """Draft a line (and submit it right away with ``submit=True``). Binding is optional until approval.

    The requester is the acting user: nobody files a line in another person's name. Only the system itself
    (``actor=None``: demo data, an operator's script) names a ``requester``."""
    require_actor(actor, company, Action.BUDGET_REQUEST)
    if requester is not None and actor is not None and requester.pk != actor.pk:
        raise PermissionDenied(_("You can only request budget lines in your own name."), field="requester")
    requester = requester or actor
    if requester is None:
        raise ValidationError({"requester": [_("A budget line needs a requester.")]})
    errors: dict[str, list] = {}
    if cycle.company_id != company.pk:
        errors["cycle"] = [_("The cycle belongs to another company.")]
    if channel.company_id != company.pk:
        errors["channel"] = [_("The channel belongs to another company.")]
    if initiative is not None and initiative.company_id != company.pk:
        errors["initiative"] = [_("The initiative belongs to another company.")]
    if key_result is not None and key_result.company_id != company.pk:
        errors["key_result"] = [BINDING_OTHER_COMPANY]
    if errors:
        raise ValidationError(errors)
    line = BudgetLine(
        company=company,
        cycle=cycle,
        title=(title or "").strip(),
        channel=channel,
        initiative=initiative,
        key_result=key_result,
        planned_amount=planned_amount,
        requester=requester,
        last_changed_by=requester,
    )
    line.full_clean()
    line.save()
    _audit(line, Event.CREATE, actor, state_before="")
    if submit:
        line = budget_line_submit(line=line, actor=actor)
    return line


_EDITABLE = ("title", "channel", "initiative", "key_result", "planned_amount", "cycle")


@transaction.atomic
def budget_line_update(*, line: BudgetLine | int, actor, version: int | None = None, **changes: Any) -> BudgetLine:
    """Change a line's details. Changing the amount or the key result of an approved line sends it back to
    ``submitted`` for re-approval (audit "reopen"); on a line half-way through the two-step approval the CMO's
    step is void as well. ``version`` (optimistic concurrency) answers a stale edit with a 409."""
    unknown = set(changes) - set(_EDITABLE)
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed here.")] for name in sorted(unknown)})
    line = _lock(line, key_results=(_key(changes.get("key_result")),))
    _require_edit(actor, line)
    _check_version(line, version)
    changed = [name for name, value in changes.items() if _value(line, name) != _key(value)]
    if not changed:
        return line
    company_id = line.company_id
    if "key_result" in changed:
        _check_key_result_company(company_id, changes["key_result"])
    for name in ("cycle", "channel", "initiative"):
        if name in changed and changes[name] is not None and changes[name].company_id != company_id:
            raise ValidationError({name: [_("This belongs to another company.")]})
    if "cycle" in changed and line.state != State.DRAFT:
        raise ValidationError({"cycle": [_("The cycle can only be changed while the line is a draft.")]})
    state_before = line.state
    for name in changed:
        setattr(line, name, changes[name])
    money_or_binding = {"planned_amount", "key_result"} & set(changed)
    fields = [*changed, "version", "updated_at"]
    if money_or_binding and getattr(actor, "pk", None):
        # A new version: its author may not approve it (budget_line_no_approval_by_last_changer).
        line.last_changed_by = actor
        fields.append("last_changed_by")
    reopened = False
    if money_or_binding and line.state == State.APPROVED:
        line.state = State.SUBMITTED
        line.approver = None
        line.approved_at = None
        line.cmo_approved_by = None
        line.cmo_approved_at = None
        fields += ["state", "approver", "approved_at", "cmo_approved_by", "cmo_approved_at"]
        reopened = True
    elif money_or_binding and line.cmo_approved_by_id:
        line.cmo_approved_by = None
        line.cmo_approved_at = None
        fields += ["cmo_approved_by", "cmo_approved_at"]
    line.version += 1
    line.full_clean()
    line.save(update_fields=fields)
    # The details first, in the state they were made in; the state change itself is the "reopen" entry, so the
    # trail reads as one unbroken chain of state_before → state_after.
    if "key_result" in changed:
        _audit(line, Event.BIND, actor, state_before=state_before, state_after=state_before)
    if "planned_amount" in changed:
        _audit(line, Event.AMOUNT, actor, state_before=state_before, state_after=state_before)
    if set(changed) - money_or_binding:
        _audit(line, Event.EDIT, actor, state_before=state_before, state_after=state_before)
    if reopened:
        _audit(line, Event.REOPEN, actor, state_before=state_before)
    return line


def _key(value):
    return getattr(value, "pk", value)


def _value(line: BudgetLine, name: str):
    if name in ("channel", "initiative", "key_result", "cycle"):
        return getattr(line, f"{name}_id")
    if name == "planned_amount":
        return line.planned_amount
    return getattr(line, name)


def budget_line_bind(*, line: BudgetLine | int, key_result: KeyResult | None, actor, version: int | None = None):
    """Bind a line to a key result (or unbind it with ``None``)."""
    return budget_line_update(line=line, actor=actor, version=version, key_result=key_result)


@transaction.atomic
def budget_line_submit(*, line: BudgetLine | int, actor, version: int | None = None) -> BudgetLine:
    """draft or rejected → submitted. Unbound lines may be submitted; they wait for binding in the queue."""
    line = _lock(line)
    _require_edit(actor, line)
    _check_version(line, version)
    if line.state == State.SUBMITTED:
        raise ValidationError({"state": [_("This budget line is already submitted.")]})
    if line.state == State.APPROVED:
        raise _decided_conflict(line)
    state_before = line.state
    line.state = State.SUBMITTED
    line.cmo_approved_by = None
    line.cmo_approved_at = None
    line.version += 1
    line.full_clean()
    line.save(update_fields=["state", "cmo_approved_by", "cmo_approved_at", "version", "updated_at"])
    _audit(line, Event.SUBMIT, actor, state_before=state_before)
    return line


def _require_decider(actor, line: BudgetLine) -> None:
    if actor is None or not getattr(actor, "pk", None):
        raise ValidationError({"approver": [_("An approval needs a person who approves.")]})
    require_actor(actor, line.company, Action.BUDGET_APPROVE)
    if line.requester_id == actor.pk:
        raise PermissionDenied(SELF_APPROVAL, field="approver")


def approval_refusal(*, line: BudgetLine, user) -> str | None:
    """Why ``user`` may not approve this version of ``line`` although their role could (four eyes), else None.
    Pages use it to offer the approve button only to someone who may press it."""
    if user is None or not getattr(user, "pk", None):
        return None
    if line.requester_id == user.pk:
        return str(SELF_APPROVAL)
    if line.last_changed_by_id == user.pk:
        return str(OWN_VERSION)
    if line.cmo_approved_by_id == user.pk:
        return str(SAME_PERSON_TWO_STEPS)
    return None


@transaction.atomic
def budget_line_approve(
    *, line: BudgetLine | int, actor, version: int | None = None, now: dt.datetime | None = None
) -> BudgetLine:
    """Approve a submitted line.

    A CMO (BUDGET_APPROVE) approves up to the company's ``cmo_approval_limit``. Above it an executive
    (BUDGET_APPROVE_ABOVE_THRESHOLD) must approve: directly, or as a second step after the CMO's approval
    (recorded in ``cmo_approved_by/at`` and the audit event "approve_cmo"). The row lock plus the state and version
    check make two simultaneous approvers queue: exactly one decision wins, the other gets a Conflict that says
    who decided when.
    """
    line = _lock(line)
    _require_decider(actor, line)
    if line.state != State.SUBMITTED:
        if line.state in (State.APPROVED, State.REJECTED):
            raise _decided_conflict(line)
        raise ValidationError({"state": [_("Only submitted budget lines can be approved.")]})
    _check_version(line, version)
    if line.last_changed_by_id == actor.pk:
        raise PermissionDenied(OWN_VERSION, field="approver")
    kr = KeyResult.objects.select_related("objective__cycle").filter(pk=line.key_result_id).first()
    errors = key_result_binding_errors(line=line, key_result=kr)
    if errors:
        raise ValidationError({"key_result": errors})
    now = now or timezone.now()
    limit = budget_settings_for(line.company).cmo_approval_limit
    above_limit = line.planned_amount > limit
    may_approve_above = getattr(actor, "is_superuser", False) or can(
        role_of(actor, line.company), Action.BUDGET_APPROVE_ABOVE_THRESHOLD
    )
    state_before = line.state
    if above_limit and not may_approve_above:
        if line.cmo_approved_by_id:
            raise _decided_conflict(line)
        line.cmo_approved_by = actor
        line.cmo_approved_at = now
        line.version += 1
        line.full_clean()
        line.save(update_fields=["cmo_approved_by", "cmo_approved_at", "version", "updated_at"])
        _audit(line, Event.APPROVE_CMO, actor, state_before=state_before)
        return line
    if line.cmo_approved_by_id == actor.pk:
        raise PermissionDenied(SAME_PERSON_TWO_STEPS, field="approver")
    line.state = State.APPROVED
    line.approver = actor
    line.approved_at = now
    line.version += 1
    line.full_clean()
    line.save(update_fields=["state", "approver", "approved_at", "version", "updated_at"])
    _audit(line, Event.APPROVE, actor, state_before=state_before)
    return line


@transaction.atomic
def budget_line_reject(*, line: BudgetLine | int, actor, reason: str, version: int | None = None) -> BudgetLine:
    """Reject a submitted line with a reason. The requester can revise it and submit it again."""
    line = _lock(line)
    _require_decider(actor, line)
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Please give a reason for the rejection.")]})
    if line.state != State.SUBMITTED:
        if line.state in (State.APPROVED, State.REJECTED):
            raise _decided_conflict(line)
        raise ValidationError({"state": [_("Only submitted budget lines can be rejected.")]})
    _check_version(line, version)
    state_before = line.state
    line.state = State.REJECTED
    line.cmo_approved_by = None
    line.cmo_approved_at = None
    line.version += 1
    line.full_clean()
    line.save(update_fields=["state", "cmo_approved_by", "cmo_approved_at", "version", "updated_at"])
    _audit(line, Event.REJECT, actor, state_before=state_before, reason=reason.strip())
    return line


# --- settings ------------------------------------------------------------------------------------------------------


@transaction.atomic
def budget_settings_update(*, company: Company, cmo_approval_limit: Decimal, actor) -> BudgetSettings:
    """Change the CMO approval limit. The limit decides who may approve alone, so only executives change it
    (BUDGET_LIMITS_MANAGE, not the CMO's COMPANY_SETTINGS). The change history records who, when, before and after
    on every path, also outside a request (commands, tasks)."""
    require_actor(actor, company, Action.BUDGET_LIMITS_MANAGE)
    settings = budget_settings_for(company)
    settings = BudgetSettings.objects.select_for_update().get(pk=settings.pk)
    if cmo_approval_limit is not None and settings.cmo_approval_limit == cmo_approval_limit:
        return settings
    settings.cmo_approval_limit = cmo_approval_limit
    settings.full_clean()
    with history_actor(actor if getattr(actor, "pk", None) else None):
        settings.save(update_fields=["cmo_approval_limit"])
    return settings


# --- spend ---------------------------------------------------------------------------------------------------------


@transaction.atomic
def spend_entry_create(
    *,
    line: BudgetLine | int,
    date: dt.date,
    amount: Decimal,
    actor,
    reference: str = "",
    note: str = "",
    company: Company | None = None,
) -> SpendEntry:
    """Book actual spend against an approved line (money follows approved strategy)."""
    line = BudgetLine.objects.select_related("company", "cycle").get(pk=_key(line))
    if company is not None and line.company_id != company.pk:
        raise ValidationError({"line": [_("No such budget line in this company.")]})
    require_actor(actor, line.company, Action.SPEND_RECORD)
    if line.state != State.APPROVED:
        raise ValidationError({"line": [_("Spend can only be booked on approved budget lines.")]})
    if amount is None or amount == 0:
        raise ValidationError({"amount": [_("Enter an amount other than zero.")]})
    entry = SpendEntry(
        company_id=line.company_id,
        line=line,
        date=date,
        amount=amount,
        reference=(reference or "").strip(),
        note=(note or "").strip(),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    entry.full_clean()
    entry.save()
    return entry


# --- binding guards (registered with objectives.guards in BudgetsConfig.ready) --------------------------------------

KR_MOVE_UNCOVERED = _(
    "This key result carries approved budget (%(lines)s) for the cycle %(line_cycles)s, which the cycle “%(cycle)s” "
    "(%(range)s) does not cover. Bind those budget lines to another key result first; they then go back for "
    "re-approval."
)
CYCLE_DATES_UNCOVERED_KR = _(
    "Key results of this cycle carry approved budget (%(lines)s) for the cycle %(line_cycles)s, which %(range)s "
    "would no longer cover. Bind those budget lines to another key result first; they then go back for re-approval."
)
CYCLE_DATES_UNCOVERED_LINE = _(
    "Approved budget lines of this cycle (%(lines)s) are bound to key results of the cycle %(kr_cycles)s, which would "
    "no longer cover %(range)s. Bind those budget lines to another key result first; they then go back for "
    "re-approval."
)


def _quoted(name: str) -> str:
    return gettext("“%(name)s”") % {"name": name}


def _names(lines: list[BudgetLine]) -> str:
    shown = ", ".join(_quoted(line.title) for line in lines[:5])
    return shown + (" …" if len(lines) > 5 else "")


def _cycle_names(cycles) -> str:
    return ", ".join(_quoted(name) for name in sorted({c.name for c in cycles}))


def _range(start: dt.date, end: dt.date) -> str:
    return f"{start.isoformat()}–{end.isoformat()}"


def key_result_cycle_guard(*, key_result: KeyResult, cycle: Cycle) -> None:
    """A key result moves to an objective of ``cycle``: refuse while it carries approved budget whose cycle the new
    one does not cover (the binding rule would no longer hold for an approval already given). The caller holds the
    key result's row lock; the lines are locked after it (the one lock order, see _lock_for_decision)."""
    lines = list(
        BudgetLine.objects.select_for_update(of=("self",))
        .filter(key_result=key_result, state=State.APPROVED)
        .select_related("cycle")
        .order_by("pk")
    )
    uncovered = [line for line in lines if not cycle.covers(line.cycle.start_date, line.cycle.end_date)]
    if uncovered:
        raise ValidationError(
            {
                "objective": [
                    KR_MOVE_UNCOVERED
                    % {
                        "lines": _names(uncovered),
                        "line_cycles": _cycle_names(line.cycle for line in uncovered),
                        "cycle": cycle.name,
                        "range": _range(cycle.start_date, cycle.end_date),
                    }
                ]
            }
        )


def cycle_dates_guard(*, cycle: Cycle, start_date: dt.date, end_date: dt.date) -> None:
    """``cycle`` is about to run from ``start_date`` to ``end_date``: every approved line must stay bound to a key
    result whose cycle covers the line's cycle, on both sides of the binding."""
    field = "start_date" if start_date != cycle.start_date else "end_date"
    # Hold the lines an approval could be deciding right now (cycle_update holds the cycle; approvals take the key
    # result and the line and never a cycle, so no lock order is inverted): an approval in flight finishes first and
    # is seen below, or starts after the new dates are committed and checks against them.
    concerned = BudgetLine.objects.filter(
        Q(cycle=cycle) | Q(key_result__objective__cycle=cycle), state__in=[State.SUBMITTED, State.APPROVED]
    ).values("pk")
    list(BudgetLine.objects.select_for_update().filter(pk__in=concerned).order_by("pk").values_list("pk", flat=True))
    # Lines approved against key results of this cycle (their own cycle is another one; the same one moves along).
    on_krs = [
        line
        for line in BudgetLine.objects.filter(key_result__objective__cycle=cycle, state=State.APPROVED)
        .exclude(cycle=cycle)
        .select_related("cycle")
        .order_by("pk")
        if not dates_cover(start_date, end_date, line.cycle.start_date, line.cycle.end_date)
    ]
    if on_krs:
        raise ValidationError(
            {
                field: [
                    CYCLE_DATES_UNCOVERED_KR
                    % {
                        "lines": _names(on_krs),
                        "line_cycles": _cycle_names(line.cycle for line in on_krs),
                        "range": _range(start_date, end_date),
                    }
                ]
            }
        )
    # Lines of this cycle approved against key results of another cycle.
    of_cycle = [
        line
        for line in BudgetLine.objects.filter(cycle=cycle, state=State.APPROVED)
        .exclude(key_result__objective__cycle=cycle)
        .select_related("key_result__objective__cycle")
        .order_by("pk")
        if not line.key_result.objective.cycle.covers(start_date, end_date)
    ]
    if of_cycle:
        raise ValidationError(
            {
                field: [
                    CYCLE_DATES_UNCOVERED_LINE
                    % {
                        "lines": _names(of_cycle),
                        "kr_cycles": _cycle_names(line.key_result.objective.cycle for line in of_cycle),
                        "range": _range(start_date, end_date),
                    }
                ]
            }
        )


@transaction.atomic
def budget_lines_unbind_key_result(*, key_result: KeyResult, actor=None) -> int:
    """A key result is being deleted: its lines that are not approved lose the binding (and a CMO's first approval
    step) and wait for a new one; each gets a "bind" audit entry naming the deleted key result. Approved lines block
    the deletion in the first place (BudgetLine.key_result's on_delete)."""
    # The key result first, then its lines: the one lock order (_lock). The cascade services hold it already;
    # other deletion paths (a cascade from an objective or company) take it here.
    list(KeyResult.objects.select_for_update().filter(pk=key_result.pk).values_list("pk"))
    lines = list(
        BudgetLine.objects.select_for_update()
        .filter(key_result=key_result)
        .exclude(state=State.APPROVED)
        .order_by("pk")
    )
    for line in lines:
        state_before = line.state
        line.key_result = None
        line.cmo_approved_by = None
        line.cmo_approved_at = None
        line.version += 1
        line.save(update_fields=["key_result", "cmo_approved_by", "cmo_approved_at", "version", "updated_at"])
        _audit(
            line,
            Event.BIND,
            actor,
            state_before=state_before,
            reason=str(_("The key result “%(title)s” was deleted.") % {"title": key_result.title}),
        )
    return len(lines)
