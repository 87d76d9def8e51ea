"""Result table and JSON file of ``make bench`` (pure functions, covered by tests/bench/test_report.py)."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import sys
from pathlib import Path

COLUMNS = ["scenario", "case", "measured", "floor", "ratio", "goal", "ok"]


def ratio(measured: float | None, floor: float | None) -> float | None:
    """measured ÷ floor, None when either is missing or the floor is zero."""
    if measured is None or not floor:
        return None
    return measured / floor


def _cell(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    return str(value)


def format_table(rows: list[dict]) -> str:
    """A plain-text table of result rows (dicts with the keys of COLUMNS; missing keys print as –)."""
    cells = [[_cell(row.get(column)) for column in COLUMNS] for row in rows]
    widths = [max([len(column), *(len(line[i]) for line in cells)]) for i, column in enumerate(COLUMNS)]
    out = ["  ".join(column.ljust(widths[i]) for i, column in enumerate(COLUMNS))]
    out.append("  ".join("-" * width for width in widths))
    for line in cells:
        out.append("  ".join(text.ljust(widths[i]) for i, text in enumerate(line)))
    return "\n".join(out)


def _memory_bytes() -> int | None:
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def machine_facts(database_version: str | None = None) -> dict:
    import django

    return {
        "cores": os.cpu_count(),
        "memory_bytes": _memory_bytes(),
        "cpu": platform.processor() or platform.machine(),
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "django": django.get_version(),
        "database": database_version,
        # The machine is shared: a high load average means the figures carry other processes' CPU time too.
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def write_results(directory: Path, *, rows: list[dict], facts: dict, details: dict, when: dt.datetime) -> Path:
    """Write ``<directory>/<YYYY-MM-DD>.json`` (a second run the same day gets ``-HHMM``); returns the path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{when:%Y-%m-%d}.json"
    if path.exists():
        path = directory / f"{when:%Y-%m-%d-%H%M%S}.json"
    payload = {"when": when.isoformat(), "machine": facts, "results": rows, "details": details}
    path.write_text(json.dumps(payload, indent=2, default=str, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
