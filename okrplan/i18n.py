"""Translation catalogues without GNU gettext: extract messages with Babel, check, update and compile.

Catalogues live in ``locale/<area>/de/LC_MESSAGES/django.po`` (one per area, so that parallel work on different
areas never edits the same file); Django reads all of them through LOCALE_PATHS. Python sources are read with
Babel's Python extractor, templates through Django's own ``templatize`` (the same path ``makemessages`` takes).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_python
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from django.conf import settings

KEYWORDS = {
    "_": None,
    "gettext": None,
    "gettext_lazy": None,
    "gettext_noop": None,
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2),
    "pgettext_lazy": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "npgettext_lazy": ((1, "c"), 2, 3),
}
SOURCE_DIRS = ["core", "okrplan", "objectives", "budgets", "reporting", "templates"]
SKIP_PARTS = {"migrations", "__pycache__", "locale"}
LANGUAGE = "de"


@dataclass(frozen=True)
class Message:
    msgid: str | tuple[str, str]
    context: str | None
    location: str

    @property
    def key(self) -> tuple[str | None, str]:
        singular = self.msgid[0] if isinstance(self.msgid, tuple) else self.msgid
        return (self.context, singular)


def locale_root() -> Path:
    return Path(settings.BASE_DIR) / "locale"


def catalogue_paths() -> list[Path]:
    return sorted(locale_root().glob(f"*/{LANGUAGE}/LC_MESSAGES/django.po"))


def _source_files() -> Iterator[Path]:
    base = Path(settings.BASE_DIR)
    for folder in SOURCE_DIRS:
        for path in sorted((base / folder).rglob("*")):
            if path.suffix in {".py", ".html", ".txt"} and not SKIP_PARTS.intersection(path.parts):
                if path.suffix == ".txt" and "templates" not in path.parts:
                    continue
                yield path


def _extract_from(path: Path, source: str) -> Iterator[Message]:
    if path.suffix in {".html", ".txt"}:
        from django.utils.translation.template import templatize

        # templatize keeps the template's indentation, which Python's tokenizer may reject ("unindent does not
        # match"); without leading whitespace every line tokenizes, and line numbers stay the same.
        source = "\n".join(line.lstrip() for line in templatize(source, origin=str(path)).splitlines())
    rel = str(path.relative_to(settings.BASE_DIR))
    for lineno, _funcname, messages, _comments in extract_python(io.BytesIO(source.encode()), KEYWORDS, [], {}):
        parts = list(messages) if isinstance(messages, tuple) else [messages]
        context = None
        spec = KEYWORDS.get(_funcname)
        if spec and isinstance(spec[0], tuple):  # p*gettext: the context comes first
            context, parts = parts[0], parts[1:]
        parts = [p for p in parts if p]
        if not parts:
            continue
        msgid: str | tuple[str, str] = parts[0] if len(parts) == 1 else (parts[0], parts[1])
        yield Message(msgid, context, f"{rel}:{lineno}")


def extract_messages() -> list[Message]:
    """Every translatable message in our code and templates."""
    found: dict[tuple[str | None, str], Message] = {}
    for path in _source_files():
        for message in _extract_from(path, path.read_text(encoding="utf-8")):
            found.setdefault(message.key, message)
    return list(found.values())


def _read(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=LANGUAGE)


def problems() -> list[str]:
    """Messages without a complete, non-fuzzy German translation (empty list: the catalogue is complete)."""
    translations: dict[tuple[str | None, str], object] = {}
    for path in catalogue_paths():
        for entry in _read(path):
            if not entry.id:
                continue
            singular = entry.id[0] if isinstance(entry.id, tuple) else entry.id
            translations.setdefault((entry.context, singular), entry)
    issues = []
    for message in sorted(extract_messages(), key=lambda m: m.location):
        entry = translations.get(message.key)
        if entry is None:
            issues.append(f"missing: {message.key[1]!r} ({message.location})")
            continue
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if entry.fuzzy:
            issues.append(f"fuzzy: {message.key[1]!r} ({message.location})")
        elif not all(strings):
            issues.append(f"untranslated: {message.key[1]!r} ({message.location})")
    return issues


def update(area: str, translations: dict[str, str] | None = None) -> tuple[int, Path]:
    """Add every message that no catalogue has yet to the catalogue of ``area`` and fill in ``translations``
    (msgid → German; for plurals msgid → [singular, plural]). Returns the number of entries added or filled."""
    path = locale_root() / area / LANGUAGE / "LC_MESSAGES" / "django.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    catalog = _read(path) if path.exists() else Catalog(locale=LANGUAGE, project="okrplan", fuzzy=False)
    known: set[tuple[str | None, str]] = set()
    for other in catalogue_paths():
        for entry in _read(other) if other != path else catalog:
            if entry.id:
                known.add((entry.context, entry.id[0] if isinstance(entry.id, tuple) else entry.id))
    changed = 0
    for message in extract_messages():
        if message.key not in known:
            empty: str | tuple[str, str] = ("", "") if isinstance(message.msgid, tuple) else ""
            catalog.add(message.msgid, empty, context=message.context)
            known.add(message.key)
            changed += 1
    for entry in catalog:
        if not entry.id:
            continue
        singular = entry.id[0] if isinstance(entry.id, tuple) else entry.id
        if translations and singular in translations:
            value = translations[singular]
            entry.string = tuple(value) if isinstance(value, list) else value
            entry.flags.discard("fuzzy")
            changed += 1
    # No source locations: they churn with every edit and make parallel branches conflict.
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=120, sort_output=True, no_location=True, include_previous=False)
    path.write_bytes(buffer.getvalue())
    return changed, path


def compile_all() -> list[Path]:
    written = []
    for path in catalogue_paths():
        mo = path.with_suffix(".mo")
        with mo.open("wb") as handle:
            write_mo(handle, _read(path), use_fuzzy=False)
        written.append(mo)
    return written


def load_translations(path: Path) -> dict[str, str]:
    return json.loads(path.read_text(encoding="utf-8"))
