"""Transaction-scoped locks that serialise background work per object (e.g. one KPI refresh per company at a time).

Usage — always inside the transaction that writes the result::

    with transaction.atomic():
        advisory_xact_lock("kpi_snapshots_refresh", company.pk)
        ...compute and write...

The lock is released when the transaction ends (commit or rollback), so a crashed worker can never leave it
behind, and whoever waits for it sees the first writer's committed rows once it gets it.

- PostgreSQL: ``pg_advisory_xact_lock(namespace, key)`` with two int4 keys. ``namespace`` is a stable CRC32 of the
  lock name, so different kinds of work never block each other; ``key`` is the object id folded into int4 (ids
  beyond 2**31 may share a lock with another id: that only serialises more, it never lets two holders in).
- SQLite: the database has a single writer. A no-op write takes the write lock at once (like ``BEGIN IMMEDIATE``),
  so a second transaction waits (busy timeout) before it reads anything instead of computing in parallel and
  failing on its first write.
- Other databases: not supported (raises), rather than silently not locking.
"""

from __future__ import annotations

import zlib

from django.db import DEFAULT_DB_ALIAS, connections

_INT4 = 2**31


def lock_namespace(name: str) -> int:
    """A stable positive int4 for ``name`` (the first key of the PostgreSQL advisory lock)."""
    return zlib.crc32(name.encode()) % _INT4


def lock_key(key: int) -> int:
    """``key`` folded into the signed int4 range PostgreSQL's two-key advisory lock functions take."""
    return int(key) % _INT4


def advisory_xact_lock(name: str, key: int, *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Block until this transaction holds the lock ``(name, key)``; it is released at commit or rollback."""
    connection = connections[using]
    if not connection.in_atomic_block:
        raise RuntimeError("advisory_xact_lock() must be called inside transaction.atomic().")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [lock_namespace(name), lock_key(key)])
    elif connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            # Any write statement takes SQLite's RESERVED lock, even one that matches no row.
            cursor.execute("DELETE FROM django_migrations WHERE 0")
    else:
        raise NotImplementedError(f"advisory_xact_lock() does not support {connection.vendor}.")


def advisory_xact_lock_held(name: str, key: int, *, using: str = DEFAULT_DB_ALIAS) -> bool:
    """PostgreSQL only: whether any session holds the lock ``(name, key)`` right now (for tests and diagnostics)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        raise NotImplementedError("advisory_xact_lock_held() needs PostgreSQL.")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = %s AND objid = %s "
            "AND objsubid = 2 AND granted",
            [lock_namespace(name), lock_key(key)],
        )
        return cursor.fetchone()[0] > 0
