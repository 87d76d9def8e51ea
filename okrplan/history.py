"""Change history of objectives, key results, initiatives and budget lines (who, when, before/after).

Signals record every save and delete of the tracked models into ``ChangeRecord``, whatever the path (page, API,
admin, import, command, task), so the services need no cooperation. The actor is the signed-in user of the
current request (``HistoryActorMiddleware`` keeps the request in a context variable; DRF's token authentication
sets ``user`` on that same request later, so it is read lazily), else ``history_actor(user)`` set by a command or
task, else the row's own ``updated_by``. Queryset ``update()`` calls bypass signals and are not recorded.
"""

from __future__ import annotations

import contextvars
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model, QuerySet, signals
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

TRACKED = {
    "objective": ("objectives", "Objective", _("Objective")),
    "keyresult": ("objectives", "KeyResult", _("Key result")),
    "initiative": ("objectives", "Initiative", _("Initiative")),
    "budgetline": ("budgets", "BudgetLine", _("Budget line")),
    # The CMO approval limit: four eyes on money needs every change of it on record.
    "budgetsettings": ("budgets", "BudgetSettings", _("Budget settings")),
    # Targets decide the board's traffic lights: who moved a target, and from what, is on record.
    "kpitarget": ("reporting", "KpiTarget", _("KPI target")),
}
# Bookkeeping that changes on every save and says nothing to a reader of the history.
IGNORED_FIELDS = {"id", "company", "created_at", "updated_at", "version"}

_request_var: contextvars.ContextVar = contextvars.ContextVar("history_request", default=None)
_actor_var: contextvars.ContextVar = contextvars.ContextVar("history_actor", default=None)
_SYSTEM = object()


@contextmanager
def history_actor(user) -> Iterator[None]:
    """Attribute the changes made inside the block to ``user`` (commands, tasks, imports outside a request)."""
    token = _actor_var.set(user)
    try:
        yield
    finally:
        _actor_var.reset(token)


@contextmanager
def history_system() -> Iterator[None]:
    """Attribute the changes made inside the block to the system (defaults nobody chose), even inside a request."""
    token = _actor_var.set(_SYSTEM)
    try:
        yield
    finally:
        _actor_var.reset(token)


class HistoryActorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request_var.set(request)
        try:
            return self.get_response(request)
        finally:
            _request_var.reset(token)


def _current_actor_id(instance: Model) -> int | None:
    actor = _actor_var.get()
    if actor is _SYSTEM:
        return None
    if actor is None:
        request = _request_var.get()
        user = getattr(request, "user", None) if request is not None else None
        if user is not None and user.is_authenticated:
            actor = user
    if actor is not None:
        return actor.pk
    return getattr(instance, "updated_by_id", None)


def tracked_models() -> list[type[Model]]:
    return [apps.get_model(app_label, model_name) for app_label, model_name, _label in TRACKED.values()]


def _fields(model: type[Model]) -> list:
    return [f for f in model._meta.concrete_fields if f.name not in IGNORED_FIELDS]


def _json(value):
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    return str(value)


def _snapshot(instance: Model) -> dict:
    return {f.name: _json(getattr(instance, f.attname)) for f in _fields(type(instance))}


def _on_pre_save(sender, instance, raw=False, **kwargs) -> None:
    if raw or instance.pk is None:
        instance._history_before = None
        return
    names = [f.attname for f in _fields(sender)]
    row = sender._base_manager.filter(pk=instance.pk).values(*names).first()
    if row is None:
        instance._history_before = None
        return
    by_attname = {f.attname: f.name for f in _fields(sender)}
    instance._history_before = {by_attname[k]: _json(v) for k, v in row.items()}


def _record(instance: Model, action: str, changes: dict) -> None:
    from .models import ChangeRecord

    ChangeRecord.objects.create(
        company_id=instance.company_id,
        content_type=ContentType.objects.get_for_model(type(instance)),
        object_id=instance.pk,
        object_label=str(instance)[:255],
        action=action,
        actor_id=_current_actor_id(instance),
        at=timezone.now(),
        changes=changes,
    )


def _on_post_save(sender, instance, created, raw=False, **kwargs) -> None:
    if raw:
        return
    after = _snapshot(instance)
    before = getattr(instance, "_history_before", None)
    instance._history_before = None
    if created or before is None:
        changes = {name: [None, value] for name, value in after.items() if value not in (None, "")}
        _record(instance, "created", changes)
        return
    changes = {name: [before.get(name), value] for name, value in after.items() if before.get(name) != value}
    if changes:
        _record(instance, "updated", changes)


_deleting_companies: contextvars.ContextVar = contextvars.ContextVar("history_deleting_companies", default=frozenset())


def _on_company_pre_delete(sender, instance, **kwargs) -> None:
    # Django sends every pre_delete of a cascade before deleting anything, and the company's post_delete last.
    _deleting_companies.set(_deleting_companies.get() | {instance.pk})


def _on_company_post_delete(sender, instance, **kwargs) -> None:
    _deleting_companies.set(_deleting_companies.get() - {instance.pk})


def _on_post_delete(sender, instance, **kwargs) -> None:
    if instance.company_id in _deleting_companies.get():
        return  # the whole company is being deleted: its history goes with it
    before = _snapshot(instance)
    _record(instance, "deleted", {name: [value, None] for name, value in before.items() if value not in (None, "")})


def connect() -> None:
    company = apps.get_model("objectives", "Company")
    signals.pre_delete.connect(_on_company_pre_delete, sender=company, dispatch_uid="okrplan.history.company.pre")
    signals.post_delete.connect(_on_company_post_delete, sender=company, dispatch_uid="okrplan.history.company.post")
    for model in tracked_models():
        uid = f"okrplan.history.{model._meta.label}"
        signals.pre_save.connect(_on_pre_save, sender=model, dispatch_uid=uid + ".pre_save")
        signals.post_save.connect(_on_post_save, sender=model, dispatch_uid=uid + ".post_save")
        signals.post_delete.connect(_on_post_delete, sender=model, dispatch_uid=uid + ".post_delete")


# ------------------------------------------------------------------------------------------------------- selectors


def type_choices() -> list[tuple[str, str]]:
    return [(key, label) for key, (_app, _model, label) in TRACKED.items()]


def history_for(*, company, kind: str = "", object_id: int | None = None) -> QuerySet:
    """The company's change records, newest first, optionally of one type and one object (constant queries)."""
    from .models import ChangeRecord

    records = ChangeRecord.objects.filter(company=company).select_related("actor", "content_type")
    if kind in TRACKED:
        app_label, model_name, _label = TRACKED[kind]
        records = records.filter(content_type__app_label=app_label, content_type__model=model_name.lower())
        if object_id is not None:
            records = records.filter(object_id=object_id)
    return records.order_by("-at", "-id")


def type_key(record) -> str:
    return record.content_type.model


def type_label(record) -> str:
    entry = TRACKED.get(record.content_type.model)
    return str(entry[2]) if entry else record.content_type.model


def field_label(record, name: str) -> str:
    """The field's name as the forms show it ("CMO approval limit", not "cmo_approval_limit"); no query."""
    model = record.content_type.model_class()
    try:
        field = model._meta.get_field(name) if model is not None else None
    except FieldDoesNotExist:
        field = None
    label = str(getattr(field, "verbose_name", "") or name)
    return label[:1].upper() + label[1:]
