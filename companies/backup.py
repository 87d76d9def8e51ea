"""Backup of one company as one JSON file, and its restore into another installation.

Generic over the model graph, so tables added later are included without touching this module: every model with
a foreign key to ``Company``, or to such a model (found transitively), is exported in dependency order. Users are
referred to by username (Django's natural keys) and written once in a ``users`` section; content types by their
natural key. Rows are streamed table by table (``.iterator()``), so big funnel tables never sit in memory whole.

The restore creates missing users by username with an unusable password (they set one through "forgot password"
or an admin), reuses existing ones, recreates memberships and inserts every row with a new id, rewriting foreign
keys, many-to-many sets and (``content_type``, ``object_id``) pairs to the new ids. It refuses a file whose
company slug exists already and writes everything in one transaction: all or nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import IO, Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

FORMAT = "okrplan-company-backup"
VERSION = 1
CHUNK = 2000


class BackupEncoder(DjangoJSONEncoder):
    """Like Django's, but datetimes keep their microseconds (Django's cuts them to milliseconds: a lossy restore)."""

    def default(self, o):
        if isinstance(o, dt.datetime):
            return o.isoformat().replace("+00:00", "Z")
        return super().default(o)


def former_labels() -> dict[str, str]:
    """Model labels of older backups → today's, from each app's ``AppConfig.former_labels`` (models that moved)."""
    aliases: dict[str, str] = {}
    for config in apps.get_app_configs():
        for old, model_name in getattr(config, "former_labels", {}).items():
            aliases[old.lower()] = f"{config.label}.{model_name}".lower()
    return aliases


def _current_label(label: str, aliases: dict[str, str]) -> str:
    return aliases.get(label.lower(), label)


def _company_model() -> type[models.Model]:
    return apps.get_model("companies", "Company")


def company_models() -> list[tuple[type[models.Model], str]]:
    """Every model holding company data with the ORM path from it to the company, in dependency order."""
    company = _company_model()
    paths: dict[type[models.Model], str] = {}
    candidates = [m for m in apps.get_models() if not m._meta.proxy and m is not company]
    changed = True
    while changed:
        changed = False
        for model in candidates:
            if model in paths:
                continue
            for field in model._meta.concrete_fields:
                if not field.is_relation or field.related_model is model:
                    continue
                if field.related_model is company:
                    paths[model] = field.name
                elif field.related_model in paths and not field.null:
                    paths[model] = f"{field.name}__{paths[field.related_model]}"
                else:
                    continue
                changed = True
                break
    return [(model, paths[model]) for model in _dependency_order(list(paths))]


def _dependency_order(found: list[type[models.Model]]) -> list[type[models.Model]]:
    ordered: list[type[models.Model]] = []
    pending = sorted(found, key=lambda m: m._meta.label)
    while pending:
        for model in pending:
            needs = {
                f.related_model
                for f in model._meta.concrete_fields
                if f.is_relation and f.related_model in pending and f.related_model is not model
            }
            if not needs:
                ordered.append(model)
                pending.remove(model)
                break
        else:  # a cycle between tables: take the next one; its nullable forward references are set afterwards
            ordered.append(pending.pop(0))
    return ordered


# ---------------------------------------------------------------------------------------------------------- export


def _records(model: type[models.Model], queryset) -> Iterator[dict]:
    batch: list[models.Model] = []
    for obj in queryset.order_by("pk").iterator(chunk_size=CHUNK):
        batch.append(obj)
        if len(batch) >= CHUNK:
            yield from serializers.serialize("python", batch, use_natural_foreign_keys=True)
            batch = []
    if batch:
        yield from serializers.serialize("python", batch, use_natural_foreign_keys=True)


def _user_fields(model: type[models.Model]) -> list[str]:
    user_model = get_user_model()
    return [f.name for f in model._meta.concrete_fields if f.is_relation and f.related_model is user_model]


def company_export(*, company, out: IO[str]) -> dict[str, int]:
    """Write the company to ``out`` as JSON; returns the number of rows per model."""
    counts: dict[str, int] = {}
    usernames: set[str] = set()
    company_fields = serializers.serialize("python", [company])[0]["fields"]
    head = {"format": FORMAT, "version": VERSION, "exported_at": timezone.now(), "company": company_fields}
    out.write(json.dumps(head, cls=BackupEncoder, ensure_ascii=False)[:-1])
    out.write(',\n"objects": [')
    first = True
    for model, path in company_models():
        user_fields = _user_fields(model)
        counts[model._meta.label] = 0
        for record in _records(model, model._base_manager.filter(**{path: company})):
            record["pk"] = record.pop("pk")
            for name in user_fields:
                if record["fields"].get(name):
                    usernames.add(record["fields"][name][0])
            out.write(("\n" if first else ",\n") + json.dumps(record, cls=BackupEncoder, ensure_ascii=False))
            first = False
            counts[model._meta.label] += 1
    out.write('\n],\n"users": ')
    user_model = get_user_model()
    users = []
    for user in user_model._base_manager.filter(username__in=usernames).order_by("username").iterator():
        profile = getattr(user, "profile", None) if hasattr(user, "profile") else None
        users.append(
            {
                "username": user.get_username(),
                "email": user.email,
                "first_name": user.first_name,
                "last_name": user.last_name,
                "is_active": user.is_active,
                "language": profile.language if profile else None,
            }
        )
    out.write(json.dumps(users, ensure_ascii=False, indent=None))
    out.write("\n}\n")
    return counts


# ---------------------------------------------------------------------------------------------------------- import


def _user_ids(users: list[dict]) -> dict[str, int]:
    user_model = get_user_model()
    profile_model = apps.get_model("companies", "Profile")
    ids: dict[str, int] = {}
    for entry in users:
        user = user_model._base_manager.filter(username=entry["username"]).first()
        if user is None:
            user = user_model(
                username=entry["username"],
                email=entry.get("email", ""),
                first_name=entry.get("first_name", ""),
                last_name=entry.get("last_name", ""),
                is_active=entry.get("is_active", True),
            )
            user.set_unusable_password()
            user.save()
            if entry.get("language"):
                profile_model.objects.get_or_create(user=user, defaults={"language": entry["language"]})
        ids[entry["username"]] = user.pk
    return ids


def company_import(*, source: IO[str]) -> tuple[Any, dict[str, int]]:
    """Restore a company written by ``company_export``; returns (company, rows per model)."""
    try:
        data = json.load(source)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValidationError(_("This is not a JSON backup: %(error)s") % {"error": exc}) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValidationError(_("This file is not an okrplan company backup."))
    if data.get("version") != VERSION:
        message = _("Backups of version %(version)s cannot be read here.")
        raise ValidationError(message % {"version": data.get("version")})
    company_model = _company_model()
    slug = data["company"]["slug"]
    if company_model.objects.filter(slug=slug).exists():
        message = _("A company with the slug “%(slug)s” exists already; nothing was imported.")
        raise ValidationError(message % {"slug": slug})
    counts: dict[str, int] = {}
    with transaction.atomic():
        user_ids = _user_ids(data.get("users", []))
        company = _build(company_model, data["company"], {}, user_ids, deferred=None)
        company.save_base(raw=True)
        new_ids: dict[tuple[str, Any], Any] = {}
        deferred: list[tuple[models.Model, str, str, Any]] = []
        m2m: list[tuple[models.Model, str, str, list]] = []
        generic: list[models.Model] = []
        exported = {model._meta.label for model, _path in company_models()}
        aliases = former_labels()
        for record in data["objects"]:
            label = _current_label(record["model"], aliases)
            model = apps.get_model(label)
            if label.lower() not in {x.lower() for x in exported}:
                raise ValidationError(_("Unknown table %(model)s in the backup.") % {"model": label})
            obj = _build(
                model, record["fields"], new_ids, user_ids, deferred=deferred, company=company, aliases=aliases
            )
            obj.save_base(raw=True)
            new_ids[(model._meta.label, record["pk"])] = obj.pk
            counts[model._meta.label] = counts.get(model._meta.label, 0) + 1
            for field in model._meta.many_to_many:
                if field.remote_field.through._meta.auto_created and record["fields"].get(field.name):
                    m2m.append((obj, field.name, field.related_model._meta.label, record["fields"][field.name]))
            if {"content_type", "object_id"} <= {f.name for f in model._meta.concrete_fields}:
                generic.append(obj)
        for obj, attname, label, old in deferred:
            type(obj)._base_manager.filter(pk=obj.pk).update(**{attname: _mapped(new_ids, label, old)})
        for obj, name, label, old_ids in m2m:
            getattr(obj, name).set([_mapped(new_ids, label, old) for old in old_ids])
        for obj in generic:
            label = obj.content_type.model_class()._meta.label if obj.content_type.model_class() else ""
            if (label, obj.object_id) in new_ids:
                type(obj)._base_manager.filter(pk=obj.pk).update(object_id=new_ids[(label, obj.object_id)])
    return company, counts


def _mapped(new_ids: dict, label: str, old) -> Any:
    try:
        return new_ids[(label, old)]
    except KeyError:
        raise ValidationError(
            _("The backup refers to %(model)s %(id)s, which it does not contain.") % {"model": label, "id": old}
        ) from None


def _build(model, fields: dict, new_ids: dict, user_ids: dict, *, deferred, company=None, aliases=None) -> models.Model:
    user_model = get_user_model()
    company_model = _company_model()
    values: dict[str, Any] = {}
    for field in model._meta.concrete_fields:
        if field.primary_key or field.name not in fields:
            continue
        value = fields[field.name]
        if not field.is_relation:
            parsed = field.to_python(value) if value is not None else None
            if isinstance(parsed, dt.datetime) and timezone.is_naive(parsed):
                parsed = timezone.make_aware(parsed, dt.UTC)
            values[field.attname] = parsed
            continue
        related = field.related_model
        if value is None:
            values[field.attname] = None
        elif related is user_model:
            values[field.attname] = user_ids[value[0] if isinstance(value, list) else value]
        elif related is ContentType:
            app_label, _dot, model_name = _current_label(".".join(value), aliases or {}).partition(".")
            values[field.attname] = ContentType.objects.get_by_natural_key(app_label, model_name).pk
        elif related is company_model:
            values[field.attname] = company.pk
        elif isinstance(value, str) and hasattr(related, "from_backup_value"):
            # a reference that older backups held as text (e.g. a team's name before teams were rows)
            found = related.from_backup_value(company=company, value=value)
            values[field.attname] = found.pk if found is not None else None
        elif (related._meta.label, value) in new_ids:
            values[field.attname] = new_ids[(related._meta.label, value)]
        elif field.null and deferred is not None:
            values[field.attname] = None
            deferred.append((None, field.attname, related._meta.label, value))
        else:
            raise ValidationError(
                _("The backup refers to %(model)s %(id)s before it defines it.")
                % {"model": related._meta.label, "id": value}
            )
    obj = model(**values)
    if deferred:
        # Bind the forward references recorded for this row to the instance once it exists.
        for index in range(len(deferred) - 1, -1, -1):
            if deferred[index][0] is not None:
                break
            deferred[index] = (obj, *deferred[index][1:])
    return obj
