"""Production static files: every JavaScript module our pages load imports the other modules by their hashed names,
so each can be cached as immutable (core.storage.StaticStorage)."""

from __future__ import annotations

import re
from pathlib import Path

from django.contrib.staticfiles.storage import ManifestStaticFilesStorage
from django.core.management import call_command
from django.test import override_settings

from core.storage import StaticStorage


class HashedOnly(ManifestStaticFilesStorage):
    """The production storage's patterns without WhiteNoise's compression (the part under test, in seconds)."""

    patterns = StaticStorage.patterns


IMPORT = re.compile(r"""^\s*import\s.*?\sfrom\s+["']([^"']+)["']""", re.M)


def test_module_imports_point_at_hashed_files_that_exist(tmp_path, settings):
    storages = {**settings.STORAGES, "staticfiles": {"BACKEND": "tests.test_static_modules.HashedOnly"}}
    with override_settings(STATIC_ROOT=tmp_path, STORAGES=storages):
        call_command("collectstatic", "--noinput", verbosity=0)
    modules = [p for p in (tmp_path / "js").rglob("*.js") if re.search(r"\.[0-9a-f]{12}\.js$", p.name)]
    checked = 0
    for module in modules:
        for target in IMPORT.findall(module.read_text()):
            assert re.search(r"\.[0-9a-f]{12}\.js$", target), f"{module.name} imports {target} by its plain name"
            assert (module.parent / target).resolve().is_file(), f"{module.name} imports {target}, which is missing"
            checked += 1
    assert checked >= 10  # main.js alone imports nine modules
    # Third-party scripts keep what they had (Django's module patterns misread some of them).
    assert any(Path(tmp_path, "django_htmx").rglob("*.js"))
