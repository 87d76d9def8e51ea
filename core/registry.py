"""Our apps, and what each of them registers by convention, so the project package never lists them.

An app of ours is an installed app whose package sits at the top of the repository. It may provide, each found by
name like Celery finds ``tasks``: ``<app>/schedule.py`` (``BEAT_SCHEDULE``, periodic tasks), ``<app>/demo.py``
(``load()`` and optionally ``load_snapshots()``), health facts (``register_health_fact`` in ``AppConfig.ready``),
and its German catalogue in ``locale/<app label>/`` (core/i18n.py).
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from types import ModuleType

from django.apps import AppConfig, apps
from django.conf import settings


def project_apps() -> list[AppConfig]:
    """Our installed apps in the order of INSTALLED_APPS (Django's and third-party apps left out)."""
    base = Path(settings.BASE_DIR).resolve()
    return [config for config in apps.get_app_configs() if Path(config.path).resolve().parent == base]


def project_app_names() -> list[str]:
    """The package names of our installed apps, read from the settings alone (Celery needs them before Django's
    app registry is ready)."""
    base = Path(settings.BASE_DIR).resolve()
    names = []
    for entry in settings.INSTALLED_APPS:
        package = entry.split(".")[0]
        spec = importlib.util.find_spec(package)
        locations = list(spec.submodule_search_locations or []) if spec else []
        if any(Path(location).resolve().parent == base for location in locations) and package not in names:
            names.append(package)
    return names


def app_modules(name: str) -> list[ModuleType]:
    """``<app>.<name>`` of every app of ours that has such a module, in app order."""
    modules = []
    for package in project_app_names():
        dotted = f"{package}.{name}"
        if importlib.util.find_spec(dotted) is not None:
            modules.append(importlib.import_module(dotted))
    return modules
