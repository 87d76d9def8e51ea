"""Binding guards: rules of other apps that a change of the cascade must not break, and what other apps know about
who may check in.

The cascade services cannot ask budgets whether a key result may move to another cycle or a cycle may change its
dates: budgets imports objectives, never the other way round. So budgets registers guards here when its app is ready
(``BudgetsConfig.ready``), and the cascade services call every registered guard inside their transaction, after
they have locked the key result or cycle. A guard refuses with a ``ValidationError`` (a field and a message that
names what is in the way); the service's transaction then changes nothing.

Partners (people of an agency) check in on the key results their initiatives feed. Which those are is known to the
initiatives app (which imports objectives), so it registers a rule here (``InitiativesConfig.ready``) that the
check-in service asks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

KeyResultCycleGuard = Callable[..., None]  # guard(*, key_result, cycle) -> None, raises ValidationError
CycleDatesGuard = Callable[..., None]  # guard(*, cycle, start_date, end_date) -> None, raises ValidationError
PartnerCheckInRule = Callable[..., bool]  # rule(*, user, key_result) -> bool

_key_result_cycle_guards: list[KeyResultCycleGuard] = []
_cycle_dates_guards: list[CycleDatesGuard] = []
_partner_check_in_rules: list[PartnerCheckInRule] = []


def register_key_result_cycle_guard(guard: KeyResultCycleGuard) -> KeyResultCycleGuard:
    """Call ``guard(key_result=..., cycle=...)`` before a key result moves to an objective of another cycle."""
    if guard not in _key_result_cycle_guards:
        _key_result_cycle_guards.append(guard)
    return guard


def register_cycle_dates_guard(guard: CycleDatesGuard) -> CycleDatesGuard:
    """Call ``guard(cycle=..., start_date=..., end_date=...)`` before a cycle's dates change."""
    if guard not in _cycle_dates_guards:
        _cycle_dates_guards.append(guard)
    return guard


def check_key_result_cycle(*, key_result: Any, cycle: Any) -> None:
    """``key_result`` is about to belong to ``cycle``; every guard may refuse."""
    for guard in list(_key_result_cycle_guards):
        guard(key_result=key_result, cycle=cycle)


def check_cycle_dates(*, cycle: Any, start_date: dt.date, end_date: dt.date) -> None:
    """``cycle`` is about to run from ``start_date`` to ``end_date``; every guard may refuse."""
    for guard in list(_cycle_dates_guards):
        guard(cycle=cycle, start_date=start_date, end_date=end_date)


def register_partner_check_in_rule(rule: PartnerCheckInRule) -> PartnerCheckInRule:
    """``rule(user=..., key_result=...)`` says whether a partner may check in on ``key_result``."""
    if rule not in _partner_check_in_rules:
        _partner_check_in_rules.append(rule)
    return rule


def partner_may_check_in(*, user: Any, key_result: Any) -> bool:
    """Whether the partner ``user`` may check in on ``key_result``: some registered rule allows it (none: no)."""
    return any(rule(user=user, key_result=key_result) for rule in list(_partner_check_in_rules))
