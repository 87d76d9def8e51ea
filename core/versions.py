"""Data versions and fragments rendered once per version.

A *version* is a token per (scope, company) kept in the cache (Redis with ``REDIS_URL``, else the local-memory
cache): ``"okr"`` for the cascade's data, ``"board"`` for snapshots and targets, ``"budgets"``, ``"priorities"``
(initiatives, ratings, the matrix settings), ``"company"`` for a company's own settings, ``"status"`` for what
pages show around the cached fragments (KPI refresh runs, a viewer's digest opt-in), and two that span every
company: ``"people"`` for names and ``"directory"`` for who belongs to which company under which name (the
header's company switcher). Apps say which models move which scopes (``track(model, scope)`` in
``AppConfig.ready()``, a model may move several), so every save and delete of such a row, whatever the path
(service, API, admin, import, command, task), bumps it; services that write with
``bulk_create``/``bulk_update``/``update()`` (no signals) call :func:`bump` themselves.

A reader takes the versions first and the data second, and :func:`fragment` stores what it rendered under a key
that contains the versions. Never stale, also under concurrent writes:

- a bump happens at once (so a read later in the same transaction, e.g. a test, is fresh) and again after the
  commit (``transaction.on_commit``). A reader that took the version before the commit may render old or new data
  under the old key; a reader that sees the post-commit token started after the commit, so every query it makes
  sees the new rows.
- a token is random, never a counter: a token lost from the cache (eviction, restart) is replaced by a new one and
  never meets a fragment rendered under an old value.
- the key also carries a digest of the templates and renderers (:func:`code_salt`), so a deploy never serves
  fragments of the previous code.

Fragments expire after a day only to bound memory; no answer depends on that.

With the cache unreachable (Redis down) every read renders afresh and a bump is logged and dropped: pages keep
serving. A bump lost that way leaves that scope's fragments in place until its next change (the cascade's keys also
carry its signature from the database, so the cascade is fresh regardless); they expire within a day at the latest.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections.abc import Callable, Iterable
from functools import cache as memoize
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Model, signals

logger = logging.getLogger(__name__)

SCOPES = ("okr", "board", "budgets", "priorities", "company", "status", "people", "directory")
# Scopes of every company at once (their token is kept under no company).
GLOBAL_SCOPES = frozenset({"people", "directory"})
FRAGMENT_TIMEOUT = 24 * 3600
_PREFIX = "okrplan:v1"
# Tests replace it per test (tests/conftest.py): ids repeat across rolled-back tests, versions must not.
namespace = ""

# model -> [(scope, function(instance) -> company id or None for every company, fields whose saves change nothing)]
TRACKED: dict[type[Model], list[tuple[str, Callable[[Model], int | None], frozenset[str]]]] = {}


def _key(scope: str, company_id: int | None) -> str:
    if scope in GLOBAL_SCOPES:
        company_id = None
    return f"{_PREFIX}:{namespace}:ver:{scope}:{company_id if company_id is not None else '*'}"


def _new_token() -> str:
    return uuid.uuid4().hex[:16]


def versions(company_id: int | None, scopes: Iterable[str]) -> str:
    """The current tokens of ``scopes`` for the company (of a global scope: the one token), joined: one cache round
    trip, no query."""
    wanted = [_key(scope, company_id) for scope in scopes]
    try:
        found = cache.get_many(wanted)
        tokens = []
        for key in wanted:
            token = found.get(key)
            if token is None:
                # add() is atomic: two first readers agree on one token
                cache.add(key, _new_token(), timeout=None)
                token = cache.get(key) or _new_token()
            tokens.append(token)
    except Exception:  # the cache is unreachable: a version nobody has, so the caller renders afresh
        logger.warning("data versions unavailable (cache unreachable)", exc_info=True)
        return "unversioned-" + _new_token()
    return ".".join(tokens)


def _set_new(keys: tuple[str, ...]) -> None:
    try:
        cache.set_many({key: _new_token() for key in keys}, timeout=None)
    except Exception:  # a write must not fail because the cache is down (see the module's docstring)
        logger.warning("data version bump lost (cache unreachable): %s", ", ".join(keys), exc_info=True)


class _AfterCommit:
    """The post-commit bump of some keys; equal callbacks are registered once per transaction."""

    def __init__(self, keys: tuple[str, ...]) -> None:
        self.keys = keys

    def __eq__(self, other) -> bool:
        return isinstance(other, _AfterCommit) and other.keys == self.keys

    def __hash__(self) -> int:
        return hash(self.keys)

    def __call__(self) -> None:
        _set_new(self.keys)


def bump(*scopes: str, company_id: int | None) -> None:
    """The data of ``scopes`` of the company changed (a global scope ignores ``company_id``)."""
    keys = tuple(dict.fromkeys(_key(scope, company_id) for scope in scopes))
    _set_new(keys)
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        callback = _AfterCommit(keys)
        if any(registered == callback for _sids, registered, _robust in connection.run_on_commit):
            return
        transaction.on_commit(callback)


def _company_of(instance: Model) -> int | None:
    return getattr(instance, "company_id", None)


def track(model: type[Model], scope: str, company: Callable[[Model], int | None] = _company_of,
          ignore: Iterable[str] = ()) -> None:  # fmt: skip
    """Every save and delete of ``model`` bumps ``scope`` of the row's company (``company(instance)``), except a
    save with ``update_fields`` all in ``ignore`` (e.g. ``last_login`` of a user). A model may move several scopes
    (one call each); registering the same scope again replaces that registration."""
    if scope not in SCOPES:
        raise ValueError(f"unknown version scope {scope!r}")
    registrations = [entry for entry in TRACKED.get(model, []) if entry[0] != scope]
    TRACKED[model] = [*registrations, (scope, company, frozenset(ignore))]
    uid = f"core.versions:{model._meta.label}"
    signals.post_save.connect(_changed, sender=model, dispatch_uid=uid + ":save", weak=False)
    signals.post_delete.connect(_changed, sender=model, dispatch_uid=uid + ":delete", weak=False)


def track_m2m(through: type[Model], scope: str, company: Callable[[Model], int | None] = _company_of) -> None:
    """Every ``add``/``remove``/``set``/``clear`` of a many-to-many field (its ``through`` model; those send no
    save signal) bumps ``scope`` of the company of the instance whose field changed (``company(instance)``)."""
    if scope not in SCOPES:
        raise ValueError(f"unknown version scope {scope!r}")

    def changed(sender, instance, action, **kwargs) -> None:
        if action in ("post_add", "post_remove", "post_clear"):
            bump(scope, company_id=company(instance))

    uid = f"core.versions:{through._meta.label}:m2m:{scope}"
    signals.m2m_changed.connect(changed, sender=through, dispatch_uid=uid, weak=False)


def _changed(sender, instance, update_fields=None, **kwargs) -> None:
    scopes: dict[int | None, list[str]] = {}
    for scope, company, ignore in TRACKED[sender]:
        if update_fields and ignore and set(update_fields) <= ignore:
            continue
        scopes.setdefault(company(instance), []).append(scope)
    for company_id, names in scopes.items():
        bump(*names, company_id=company_id)


@memoize
def code_salt() -> str:
    """A digest of every template and of the modules that render fragments: new code, new keys."""
    digest = hashlib.sha256()
    base = Path(settings.BASE_DIR)
    files = sorted(base.glob("templates/**/*.html")) + sorted(base.glob("*/cascade_rows.py"))
    files += sorted(base.glob("*/charts*.py")) + sorted(base.glob("*/formatting.py"))
    for path in files:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def fragment_key(name: str, *parts) -> str:
    raw = "|".join(str(part) for part in parts)
    return f"{_PREFIX}:{namespace}:frag:{name}:{code_salt()}:{hashlib.sha256(raw.encode()).hexdigest()[:32]}"


def fragment(key: str, render: Callable[[], object]) -> tuple[object, bool]:
    """``(value, hit)``: the value stored under ``key`` (from :func:`fragment_key`, whose parts contain the
    versions), else ``render()`` stored under it.

    One render per key at a time: when a change makes a fragment new for everybody at once (a workshop of 40 whose
    open cascades all poll after the facilitator's edit), the first reader renders it and the others wait for its
    result (up to RENDER_WAIT seconds, then they render themselves) instead of rendering the same thing side by
    side on the same cores."""
    try:
        value = cache.get(key)
    except Exception:
        return render(), False
    if value is not None:
        return value, True
    claimed = _claim(key)
    if not claimed:
        value = _awaited(key)
        if value is not None:
            return value, True
    try:
        value = render()
        _store(key, value)
    finally:
        if claimed:
            _release(key)
    return value, False


RENDER_CLAIM = 10  # seconds: a render that takes longer (or a process that died) lets the next reader render
RENDER_WAIT = 3.0
RENDER_POLL = 0.02


def _claim(key: str) -> bool:
    try:
        return bool(cache.add(f"{key}:rendering", 1, timeout=RENDER_CLAIM))
    except Exception:
        return True


def _release(key: str) -> None:
    try:
        cache.delete(f"{key}:rendering")
    except Exception:
        logger.warning("render claim not released (cache unreachable)", exc_info=True)


def _awaited(key: str) -> object | None:
    """The value another reader is rendering under ``key``, once stored; None when it gave up or took too long."""
    deadline = time.monotonic() + RENDER_WAIT
    try:
        while time.monotonic() < deadline:
            time.sleep(RENDER_POLL)
            found = cache.get_many([key, f"{key}:rendering"])
            if found.get(key) is not None:
                return found[key]
            if f"{key}:rendering" not in found:  # the renderer failed: render here
                return None
    except Exception:
        return None
    return None


def _store(key: str, value: object) -> None:
    try:
        cache.set(key, value, timeout=FRAGMENT_TIMEOUT)
    except Exception:
        logger.warning("rendered fragment not stored (cache unreachable)", exc_info=True)


def fragment_until(key: str, render: Callable[[], dict], now) -> dict:
    """Like :func:`fragment` for content that also goes out of date by the clock (a key result turns stale after
    a week without a check-in): ``render()`` returns a dict whose ``"until"`` is that moment (or None), and a
    stored value from before ``now`` passed it is rendered anew."""
    # At function level: core.conditional reads the versions of this module.
    from core.conditional import valid_until

    value, hit = fragment(key, render)
    if hit and value.get("until") is not None and now >= value["until"]:
        value = render()
        _store(key, value)
    valid_until(value.get("until"))  # a whole page showing it holds only until then
    return value
