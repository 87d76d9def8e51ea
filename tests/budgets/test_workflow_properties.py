"""The budget workflow as a Hypothesis state machine (issue 12, "make the class testable").

Several actors of every role (a facilitator, two CMOs, two executives, two members, and an operator who is a
superuser for the Django admin) drive every write path — service call, API (APIClient), page (Django test Client,
plain and htmx), CSV import, admin action, the ``budget_approve`` command — through the rules: create a line,
change its amount, bind or unbind a key result, submit, approve, reject, change the CMO limit, move a key result to
another cycle, change a cycle's dates. Any 5xx fails the run (the test clients raise the server's exception).

After every step the machine checks, against its own record of who did what (not the implementation's fields):

1. every approved line is bound to a key result of the same company whose cycle covers the line's cycle;
2. no line is approved, nor has its CMO step, by its requester or by whoever last changed its amount or key result,
   and the CMO step and the executive step are two people; the requester is whoever created the line;
3. a line approved above the CMO limit (the limit of that moment) was approved by an executive (or the operator);
4. only executives (or the operator, through the admin) changed the limit, and every change is in History;
5. every state change has its audit entry: the audit trail of each line is an unbroken chain of state_before →
   state_after ending in the line's state, and the last approval entry names the approver;
6. the database's deferred constraints (foreign keys) hold.

Bounded in time: MAX_EXAMPLES × STEPS below (deadline off); the run prints how many examples and steps it explored
and how often each rule and path changed something, was refused, or did nothing. Shown to fail (and then removed)
against a key result move without the budget guard, a CMO holding the limit permission, and services that do not
record the author of a version.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
import time
from collections import Counter
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import Client
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from rest_framework.test import APIClient

from budgets import services
from budgets.models import BudgetAuditEntry, BudgetLine, BudgetSettings
from companies.permissions import Role
from core.errors import DomainError
from history.models import ChangeRecord
from objectives.models import Cycle, KeyResult, Objective
from objectives.services import cascade as cascade_services
from tests.factories import (
    CompanyFactory,
    CycleFactory,
    KeyResultFactory,
    MembershipFactory,
    ObjectiveFactory,
    UserFactory,
)
from tests.factories_budgets import BudgetSettingsFactory, ChannelFactory

pytestmark = pytest.mark.django_db

# About 15 examples × 60 steps ≈ 900 steps in 40–50 s on SQLite or PostgreSQL (2 cores); the PostgreSQL variant
# runs 8 longer sequences of 100 steps.
MAX_EXAMPLES = 15
STEPS = 60
PG_MAX_EXAMPLES = 8
PG_STEPS = 100

D = dt.date
ACTORS = [
    ("facilitator", Role.FACILITATOR),
    ("cmo1", Role.CMO),
    ("cmo2", Role.CMO),
    ("exec1", Role.EXECUTIVE),
    ("exec2", Role.EXECUTIVE),
    ("member1", Role.MEMBER),
    ("member2", Role.MEMBER),
]
ACTOR_NAMES = [name for name, _role in ACTORS]
# Everyone tries everything, but those whose role may do it a little more often: more steps get somewhere.
REQUESTERS = ["member1", "member2", "cmo1", "cmo2", *ACTOR_NAMES]
DECIDERS = ["cmo1", "cmo2", "exec1", "exec2", "cmo1", "exec2", *ACTOR_NAMES]
CASCADE_EDITORS = ["facilitator", "cmo1", "cmo2", *ACTOR_NAMES]
LIMIT_SETTERS = ["exec1", "exec2", *ACTOR_NAMES]
AMOUNTS = [Decimal(a) for a in ("1000.00", "30000.00", "50000.00", "50000.01", "80000.00", "900000.00")]
LIMITS = [Decimal(a) for a in ("10000.00", "50000.00", "100000.00", "999999999.00")]
CYCLES = {
    "FY 2026": [(D(2026, 1, 1), D(2026, 12, 31)), (D(2026, 4, 1), D(2026, 12, 31)), (D(2025, 10, 1), D(2026, 12, 31))],
    "Q1 2026": [(D(2026, 1, 1), D(2026, 3, 31)), (D(2026, 2, 1), D(2026, 3, 31)), (D(2025, 12, 1), D(2026, 3, 31))],
    "FY 2027": [(D(2027, 1, 1), D(2027, 12, 31)), (D(2026, 1, 1), D(2027, 12, 31)), (D(2027, 4, 1), D(2027, 12, 31))],
}
REFUSED = (ValidationError, DomainError, CommandError)

STATS: Counter = Counter()


def _ok_status(response) -> None:
    assert response.status_code < 500, (response.status_code, response.content[:500])


class BudgetWorkflow(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        STATS["examples"] += 1
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        n = STATS["examples"]
        self.company = CompanyFactory(name=f"Workflow {n}", slug=f"workflow-{n}")
        self.slug = self.company.slug
        self.users = {}
        self.role = {}
        for name, role in ACTORS:
            user = UserFactory(username=f"{name}-{n}", first_name=name, last_name=str(n))
            MembershipFactory(user=user, company=self.company, role=role)
            self.users[name] = user
            self.role[user.pk] = role
        self.operator = UserFactory(username=f"operator-{n}", is_staff=True, is_superuser=True)
        self.role[self.operator.pk] = "operator"
        self.cycles = {
            name: CycleFactory(company=self.company, name=name, start_date=dates[0][0], end_date=dates[0][1])
            for name, dates in CYCLES.items()
        }
        self.objectives = [
            ObjectiveFactory(company=self.company, cycle=cycle, title=f"Objective {name}")
            for name, cycle in self.cycles.items()
        ]
        self.objectives.append(ObjectiveFactory(company=self.company, cycle=self.cycles["FY 2026"], title="Second"))
        self.krs = [
            KeyResultFactory(company=self.company, objective=objective, title=f"KR {i}")
            for i, objective in enumerate(self.objectives)
        ]
        self.channel = ChannelFactory(company=self.company, name="Messen")
        BudgetSettingsFactory(company=self.company, cmo_approval_limit=Decimal("50000.00"))
        self.limit = Decimal("50000.00")
        self.requester: dict[int, int] = {}
        self.last_changer: dict[int, int] = {}
        self.approvals_checked: set[tuple[int, object]] = set()

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # ------------------------------------------------------------------------------------------------ helpers

    def _client(self, user, api: bool = False):
        client = APIClient() if api else Client()
        client.force_login(user) if not api else client.force_authenticate(user)
        return client

    def _api(self, suffix: str) -> str:
        return f"/api/v1/companies/{self.slug}/{suffix}"

    def _page(self, suffix: str) -> str:
        return f"/c/{self.slug}/{suffix}"

    def _snapshot(self) -> dict[int, tuple]:
        """Per line: (amount, key result) — the version's content — and (state, CMO step, approver)."""
        rows = BudgetLine.objects.filter(company=self.company).values_list(
            "pk", "planned_amount", "key_result_id", "state", "cmo_approved_by_id", "approver_id"
        )
        return {pk: ((amount, kr), rest) for pk, amount, kr, *rest in rows}

    def _line_pks(self, *states) -> list[int]:
        qs = BudgetLine.objects.filter(company=self.company)
        if states:
            qs = qs.filter(state__in=states)
        return list(qs.order_by("pk").values_list("pk", flat=True))

    def _act(self, rule_name: str, path: str, actor, action) -> None:
        """Run one write, record its outcome and update the model of who created and who last changed a line."""
        before = self._snapshot()
        try:
            action()
            outcome = "done"
        except REFUSED:
            outcome = "refused"
        after = self._snapshot()
        for pk, (version, _decision) in after.items():
            if pk not in before:
                self.requester[pk] = actor.pk
                self.last_changer[pk] = actor.pk
            elif version != before[pk][0]:
                self.last_changer[pk] = actor.pk
        changed = after != before
        STATS[f"{rule_name}:{path}:{'changed' if changed else outcome}"] += 1
        STATS["steps"] += 1

    # ------------------------------------------------------------------------------------------------ rules

    @initialize(
        requesters=st.lists(st.sampled_from(["member1", "member2", "cmo1", "cmo2"]), min_size=3, max_size=3),
        amounts=st.lists(st.sampled_from(AMOUNTS), min_size=3, max_size=3),
    )
    def seed(self, requesters, amounts):
        """Three submitted lines bound to key results of their cycle, so that decisions have material from step 1."""
        for n, (name, amount, kr) in enumerate(zip(requesters, amounts, self.krs, strict=False)):
            user = self.users[name]
            self._act(
                "seed",
                "service",
                user,
                lambda user=user, amount=amount, kr=kr, n=n: services.budget_line_create(
                    company=self.company,
                    cycle=kr.objective.cycle,
                    title=f"Seed {n}",
                    channel=self.channel,
                    planned_amount=amount,
                    key_result=kr,
                    actor=user,
                    submit=True,
                ),
            )

    @rule(
        actor=st.sampled_from(REQUESTERS),
        path=st.sampled_from(["service", "api", "page", "import", "admin"]),
        amount=st.sampled_from(AMOUNTS),
        kr_index=st.integers(min_value=-1, max_value=3),
        cycle=st.sampled_from(list(CYCLES)),
        submit=st.booleans(),
        import_requester=st.sampled_from([None, *ACTOR_NAMES]),
        import_state=st.sampled_from(["draft", "submitted", "approved"]),
    )
    def create(self, actor, path, amount, kr_index, cycle, submit, import_requester, import_state):
        user = self.operator if path == "admin" else self.users[actor]
        kr = self.krs[kr_index] if kr_index >= 0 else None
        cycle_obj = self.cycles[cycle]
        title = f"Line {STATS['steps']}"

        def run():
            if path == "service":
                services.budget_line_create(
                    company=self.company,
                    cycle=cycle_obj,
                    title=title,
                    channel=self.channel,
                    planned_amount=amount,
                    key_result=kr,
                    actor=user,
                    submit=submit,
                )
            elif path == "api":
                data = {
                    "title": title,
                    "cycle": cycle_obj.pk,
                    "channel": self.channel.pk,
                    "planned_amount": str(amount),
                }
                data.update({"key_result": kr.pk if kr else None, "submit": submit})
                _ok_status(self._client(user, api=True).post(self._api("budget-lines/"), data, format="json"))
            elif path == "page":
                data = {
                    "title": title,
                    "cycle": cycle_obj.pk,
                    "channel": self.channel.pk,
                    "planned_amount": str(amount),
                }
                data.update({"key_result": kr.pk if kr else "", "initiative": ""})
                if submit:
                    data["submit"] = "1"
                _ok_status(self._client(user).post(self._page("budgets/new/"), data))
            elif path == "import":
                requester = self.users[import_requester].username if import_requester else ""
                text = "title,channel,amount,cycle,key_result,state,requester\n"
                text += f"{title},Messen,{amount},{cycle},{kr.pk if kr else ''},{import_state},{requester}\n"
                upload = SimpleUploadedFile("lines.csv", text.encode(), "text/csv")
                _ok_status(
                    self._client(user).post(self._page("budgets/import/"), {"kind": "lines", "lines-file": upload})
                )
            else:
                data = {
                    "company": self.company.pk,
                    "cycle": cycle_obj.pk,
                    "title": title,
                    "channel": self.channel.pk,
                    "planned_amount": str(amount),
                    "key_result": kr.pk if kr else "",
                    "requester": self.users[actor].pk,
                    "state": "approved",
                    "audit_entries-TOTAL_FORMS": "0",
                    "audit_entries-INITIAL_FORMS": "0",
                }
                _ok_status(self._client(user).post("/admin/budgets/budgetline/add/", data))

        self._act("create", path, user, run)

    @precondition(lambda self: self._line_pks())
    @rule(
        data=st.data(),
        actor=st.sampled_from(REQUESTERS + DECIDERS),
        path=st.sampled_from(["service", "api", "page"]),
        amount=st.sampled_from(AMOUNTS),
    )
    def update_amount(self, data, actor, path, amount):
        line = BudgetLine.objects.get(pk=data.draw(st.sampled_from(self._line_pks())))
        user = self.users[actor]

        def run():
            if path == "service":
                services.budget_line_update(line=line.pk, actor=user, planned_amount=amount)
            elif path == "api":
                body = {"planned_amount": str(amount), "version": line.version}
                _ok_status(
                    self._client(user, api=True).patch(self._api(f"budget-lines/{line.pk}/"), body, format="json")
                )
            else:
                form = {
                    "title": line.title,
                    "cycle": line.cycle_id,
                    "channel": line.channel_id,
                    "planned_amount": str(amount),
                    "initiative": "",
                    "key_result": line.key_result_id or "",
                    "version": line.version,
                }
                _ok_status(self._client(user).post(self._page(f"budgets/lines/{line.pk}/edit/"), form))

        self._act("update_amount", path, user, run)

    @precondition(lambda self: self._line_pks())
    @rule(
        data=st.data(),
        actor=st.sampled_from(REQUESTERS + DECIDERS),
        path=st.sampled_from(["service", "api", "page", "htmx"]),
        kr_index=st.integers(min_value=-1, max_value=3),
    )
    def bind(self, data, actor, path, kr_index):
        line = BudgetLine.objects.get(pk=data.draw(st.sampled_from(self._line_pks())))
        user = self.users[actor]
        kr = self.krs[kr_index] if kr_index >= 0 else None

        def run():
            if path == "service":
                services.budget_line_bind(line=line.pk, key_result=kr, actor=user)
            elif path == "api":
                body = {"key_result": kr.pk if kr else None, "version": line.version}
                _ok_status(
                    self._client(user, api=True).patch(self._api(f"budget-lines/{line.pk}/"), body, format="json")
                )
            else:
                extra = {"HTTP_HX_REQUEST": "true"} if path == "htmx" else {}
                body = {"key_result": kr.pk if kr else "", "version": line.version}
                _ok_status(self._client(user).post(self._page(f"budgets/lines/{line.pk}/bind/"), body, **extra))

        self._act("bind", path, user, run)

    @precondition(lambda self: self._line_pks(BudgetLine.State.DRAFT, BudgetLine.State.REJECTED))
    @rule(data=st.data(), actor=st.sampled_from(REQUESTERS), path=st.sampled_from(["service", "api", "page", "admin"]))
    def submit(self, data, actor, path):
        pk = data.draw(st.sampled_from(self._line_pks(BudgetLine.State.DRAFT, BudgetLine.State.REJECTED)))
        user = self.operator if path == "admin" else self.users[actor]

        def run():
            if path == "service":
                services.budget_line_submit(line=pk, actor=user)
            elif path == "api":
                _ok_status(
                    self._client(user, api=True).post(self._api(f"budget-lines/{pk}/submit/"), {}, format="json")
                )
            elif path == "page":
                _ok_status(self._client(user).post(self._page(f"budgets/lines/{pk}/submit/")))
            else:
                body = {"action": "submit_lines", "_selected_action": [pk]}
                _ok_status(self._client(user).post("/admin/budgets/budgetline/", body))

        self._act("submit", path, user, run)

    def _user(self, pk: int):
        return self.operator if pk == self.operator.pk else next(u for u in self.users.values() if u.pk == pk)

    @precondition(lambda self: self._line_pks(BudgetLine.State.SUBMITTED))
    @rule(
        data=st.data(),
        actor=st.sampled_from(DECIDERS),
        # The obvious attacks: the requester, the author of this version, the CMO who gave the first step.
        who=st.sampled_from(["actor", "actor", "requester", "last_changer", "cmo_step"]),
        path=st.sampled_from(["service", "api", "page", "htmx", "admin", "command"]),
    )
    def approve(self, data, actor, who, path):
        pk = data.draw(st.sampled_from(self._line_pks(BudgetLine.State.SUBMITTED)))
        user = self.operator if path == "admin" else self.users[actor]
        line = BudgetLine.objects.get(pk=pk)
        attacker = {
            "requester": self.requester[pk],
            "last_changer": self.last_changer[pk],
            "cmo_step": line.cmo_approved_by_id,
        }.get(who)
        if attacker is not None:
            user = self._user(attacker)
            STATS[f"approve:by_{who}:{self.role[attacker]}"] += 1
            if (path == "admin" and user != self.operator) or (path != "admin" and user == self.operator):
                path = "admin" if user == self.operator else "service"

        def run():
            if path == "service":
                services.budget_line_approve(line=pk, actor=user)
            elif path == "api":
                _ok_status(
                    self._client(user, api=True).post(self._api(f"budget-lines/{pk}/approve/"), {}, format="json")
                )
            elif path in ("page", "htmx"):
                extra = {"HTTP_HX_REQUEST": "true"} if path == "htmx" else {}
                _ok_status(self._client(user).post(self._page(f"budgets/lines/{pk}/approve/"), {}, **extra))
            elif path == "admin":
                body = {"action": "approve_lines", "_selected_action": [pk]}
                _ok_status(self._client(user).post("/admin/budgets/budgetline/", body))
            else:
                call_command("budget_approve", str(pk), "--as", user.username, stdout=io.StringIO())

        before = BudgetLine.objects.values_list("state", "cmo_approved_by_id").get(pk=pk)
        self._act("approve", path, user, run)
        after = BudgetLine.objects.values_list("state", "cmo_approved_by_id").get(pk=pk)
        if after != before:
            STATS["approve:" + ("approved" if after[0] == "approved" else "cmo_step")] += 1

    @precondition(lambda self: self._line_pks(BudgetLine.State.SUBMITTED))
    @rule(
        data=st.data(),
        actor=st.sampled_from(DECIDERS),
        path=st.sampled_from(["service", "api", "page", "htmx"]),
        reason=st.sampled_from(["", "Zu teuer für den Nutzen."]),
    )
    def reject(self, data, actor, path, reason):
        pk = data.draw(st.sampled_from(self._line_pks(BudgetLine.State.SUBMITTED)))
        user = self.users[actor]

        def run():
            if path == "service":
                services.budget_line_reject(line=pk, actor=user, reason=reason)
            elif path == "api":
                body = {"reason": reason}
                _ok_status(
                    self._client(user, api=True).post(self._api(f"budget-lines/{pk}/reject/"), body, format="json")
                )
            else:
                extra = {"HTTP_HX_REQUEST": "true"} if path == "htmx" else {}
                _ok_status(
                    self._client(user).post(self._page(f"budgets/lines/{pk}/reject/"), {"reason": reason}, **extra)
                )

        self._act("reject", path, user, run)

    @rule(
        actor=st.sampled_from(LIMIT_SETTERS),
        path=st.sampled_from(["service", "api", "page", "admin"]),
        limit=st.sampled_from(LIMITS),
    )
    def change_limit(self, actor, path, limit):
        user = self.operator if path == "admin" else self.users[actor]
        settings_row = BudgetSettings.objects.get(company=self.company)

        def run():
            if path == "service":
                services.budget_settings_update(company=self.company, cmo_approval_limit=limit, actor=user)
            elif path == "api":
                body = {"cmo_approval_limit": str(limit)}
                _ok_status(self._client(user, api=True).patch(self._api("budget-settings/"), body, format="json"))
            elif path == "page":
                body = {"action": "limit", "limit-cmo_approval_limit": str(limit)}
                _ok_status(self._client(user).post(self._page("budgets/settings/"), body))
            else:
                body = {"cmo_approval_limit": str(limit)}
                _ok_status(self._client(user).post(f"/admin/budgets/budgetsettings/{settings_row.pk}/change/", body))

        self._act("change_limit", path, user, run)
        stored = BudgetSettings.objects.get(company=self.company).cmo_approval_limit
        may = self.role[user.pk] in (Role.EXECUTIVE, "operator")
        assert stored == (limit if may else self.limit), (self.role[user.pk], path, limit, stored)
        self.limit = stored

    def _carrying(self) -> list[int]:
        """Key results that carry approved or half-approved budget first: moving those is what can go wrong."""
        busy = BudgetLine.objects.filter(company=self.company, key_result__isnull=False).exclude(
            state__in=[BudgetLine.State.DRAFT, BudgetLine.State.REJECTED]
        )
        return sorted(set(busy.values_list("key_result_id", flat=True)))

    @rule(
        data=st.data(),
        actor=st.sampled_from(CASCADE_EDITORS),
        path=st.sampled_from(["service", "api", "page"]),
        objective_index=st.integers(min_value=0, max_value=3),
    )
    def move_key_result(self, data, actor, path, objective_index):
        pk = data.draw(st.sampled_from(self._carrying() + [kr.pk for kr in self.krs]), label="key_result")
        kr = KeyResult.objects.get(pk=pk)
        target = Objective.objects.get(pk=self.objectives[objective_index].pk)
        user = self.users[actor]

        def run():
            if path == "service":
                cascade_services.key_result_move(
                    key_result=kr, version=kr.version, objective=target, position=0, actor=user
                )
            elif path == "api":
                body = {"version": kr.version, "objective": target.pk, "position": 0}
                _ok_status(
                    self._client(user, api=True).post(self._api(f"key-results/{kr.pk}/move/"), body, format="json")
                )
            else:  # the cascade page: its save queue sends JSON to the API with the session
                body = json.dumps({"version": kr.version, "objective": target.pk, "position": 0})
                url = self._api(f"key-results/{kr.pk}/move/")
                _ok_status(self._client(user).post(url, body, content_type="application/json"))

        before = KeyResult.objects.values_list("objective_id", flat=True).get(pk=kr.pk)
        self._act("move_key_result", path, user, run)
        if KeyResult.objects.values_list("objective_id", flat=True).get(pk=kr.pk) != before:
            STATS["move_key_result:moved"] += 1

    @rule(
        actor=st.sampled_from(CASCADE_EDITORS),
        path=st.sampled_from(["service", "api", "page", "admin"]),
        cycle=st.sampled_from(list(CYCLES)),
        choice=st.integers(min_value=0, max_value=2),
    )
    def change_cycle_dates(self, actor, path, cycle, choice):
        start, end = CYCLES[cycle][choice]
        cycle_obj = Cycle.objects.get(pk=self.cycles[cycle].pk)
        user = self.operator if path == "admin" else self.users[actor]

        def run():
            if path == "service":
                cascade_services.cycle_update(cycle=cycle_obj, actor=user, start_date=start, end_date=end)
            elif path == "api":
                body = {"start_date": start.isoformat(), "end_date": end.isoformat()}
                _ok_status(
                    self._client(user, api=True).patch(self._api(f"cycles/{cycle_obj.pk}/"), body, format="json")
                )
            elif path == "page":
                body = {"name": cycle_obj.name, "start_date": start.isoformat(), "end_date": end.isoformat()}
                _ok_status(self._client(user).post(self._page(f"cascade/cycles/{cycle_obj.pk}/edit/"), body))
            else:
                body = {"name": cycle_obj.name, "start_date": start.isoformat(), "end_date": end.isoformat()}
                _ok_status(self._client(user).post(f"/admin/objectives/cycle/{cycle_obj.pk}/change/", body))

        before = (cycle_obj.start_date, cycle_obj.end_date)
        self._act("change_cycle_dates", path, user, run)
        if Cycle.objects.values_list("start_date", "end_date").get(pk=cycle_obj.pk) != before:
            STATS["change_cycle_dates:moved"] += 1

    # ------------------------------------------------------------------------------------------------ invariants

    @invariant()
    def the_rules_hold(self):
        lines = list(
            BudgetLine.objects.filter(company=self.company)
            .select_related("cycle", "key_result__objective__cycle")
            .prefetch_related("audit_entries")
        )
        limit = BudgetSettings.objects.get(company=self.company).cmo_approval_limit
        assert limit == self.limit
        for line in lines:
            # 1. The binding: approved ⇒ bound to a key result of the company whose cycle covers the line's.
            if line.state == BudgetLine.State.APPROVED:
                kr = line.key_result
                assert kr is not None, line
                assert kr.company_id == self.company.pk
                kr_cycle = kr.objective.cycle
                assert kr_cycle.covers(line.cycle.start_date, line.cycle.end_date), (
                    line.title,
                    (kr_cycle.name, kr_cycle.start_date, kr_cycle.end_date),
                    (line.cycle.name, line.cycle.start_date, line.cycle.end_date),
                )
                # 3. Above the limit of the moment of approval, an executive approved.
                key = (line.pk, line.approved_at)
                if key not in self.approvals_checked:
                    self.approvals_checked.add(key)
                    if line.planned_amount > limit:
                        assert self.role[line.approver_id] in (Role.EXECUTIVE, "operator"), (line.title, limit)
            # 2. Four eyes: requester and author of the version never decide; two steps, two people.
            assert line.requester_id == self.requester[line.pk], line.title
            author = self.last_changer[line.pk]
            assert line.last_changed_by_id == author, line.title
            for decider in (line.approver_id, line.cmo_approved_by_id):
                if decider is not None:
                    assert decider not in (line.requester_id, author), (line.title, decider)
            if line.approver_id and line.cmo_approved_by_id:
                assert line.approver_id != line.cmo_approved_by_id, line.title
            # 5. Every state change has its audit entry.
            entries = sorted(line.audit_entries.all(), key=lambda e: (e.at, e.pk))
            assert entries and entries[0].event == BudgetAuditEntry.Event.CREATE and entries[0].state_before == ""
            for previous, entry in itertools.pairwise(entries):
                assert entry.state_before == previous.state_after, (line.title, previous.event, entry.event)
            assert entries[-1].state_after == line.state, (line.title, entries[-1].event, line.state)
            if line.state == BudgetLine.State.APPROVED:
                approval = next(e for e in reversed(entries) if e.state_after != e.state_before)
                assert approval.event == BudgetAuditEntry.Event.APPROVE and approval.actor_id == line.approver_id
        # 4. Only executives (or the operator) changed the limit, each change in History.
        changes = ChangeRecord.objects.filter(
            company=self.company, content_type__model="budgetsettings", action="updated"
        )
        for record in changes:
            assert record.actor_id is not None and self.role[record.actor_id] in (Role.EXECUTIVE, "operator")
        # 6. Deferred constraints (foreign keys) hold too.
        connection.check_constraints()


def _run(max_examples: int, steps: int) -> None:
    STATS.clear()
    started = time.monotonic()
    run_state_machine_as_test(
        BudgetWorkflow,
        settings=settings(
            max_examples=max_examples,
            stateful_step_count=steps,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
        ),
    )
    seconds = time.monotonic() - started
    rules = {key: value for key, value in sorted(STATS.items()) if ":" in key}
    print(
        f"\nbudget workflow state machine on {connection.vendor}: {STATS['examples']} examples, {STATS['steps']} steps "
        f"in {seconds:.0f} s\n" + "\n".join(f"  {key}: {value}" for key, value in rules.items())
    )
    assert STATS["steps"] > 0


def test_budget_workflow_keeps_its_rules_on_every_path():
    _run(MAX_EXAMPLES, STEPS)


@pytest.mark.postgres("the workflow on PostgreSQL: real row locks, deferred foreign keys checked after every step")
def test_budget_workflow_keeps_its_rules_over_long_runs_on_postgresql():
    """Fewer, longer runs than above: workflows that go back and forth many times (reopen, rebind, re-approve)."""
    _run(PG_MAX_EXAMPLES, PG_STEPS)
