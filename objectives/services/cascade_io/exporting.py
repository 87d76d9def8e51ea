"""The cascade of a cycle as rows, CSV (UTF-8 with BOM) or XLSX."""

from __future__ import annotations

import re
from decimal import Decimal

from companies.models import Company
from core import numbers, tabular

from ...models import Cycle
from ...selectors.cascade import cascade_tree, walk
from .columns import COLUMNS, NUMBER_COLUMNS, TYPE_KEY_RESULT, TYPE_OBJECTIVE

# -------------------------------------------------------------------------------------------------------- export


_number = numbers.plain_decimal


def cascade_export_rows(*, company: Company, cycle: Cycle) -> list[dict[str, str]]:
    """The rows of the export (unescaped values, numbers as plain decimal strings), in tree order."""
    tree = cascade_tree(company=company, cycle=cycle)
    paths: dict[int, str] = {}

    def number(nodes, prefix: str) -> None:
        for index, node in enumerate(nodes, start=1):
            paths[node.id] = f"{prefix}{index}"
            number(node.children, f"{prefix}{index}.")

    number(tree, "")
    rows: list[dict[str, str]] = []
    for node in walk(tree):
        objective = node.objective
        rows.append(
            {
                **dict.fromkeys(COLUMNS, ""),
                "path": paths[node.id],
                "type": TYPE_OBJECTIVE,
                "title": objective.title,
                "description": objective.description,
                "team": objective.team_name or "",
                "owner": objective.owner.get_username() if objective.owner else "",
                "state": objective.state,
                "rollup": objective.rollup,
                "contributes_to": ", ".join(paths[pk] for pk, _title in node.contributes_to if pk in paths),
            }
        )
        for index, kr_node in enumerate(node.key_results, start=1):
            kr = kr_node.key_result
            rows.append(
                {
                    **dict.fromkeys(COLUMNS, ""),
                    "path": f"{paths[node.id]}.K{index}",
                    "type": TYPE_KEY_RESULT,
                    "title": kr.title,
                    "team": objective.team_name or "",
                    "owner": kr.owner.get_username() if kr.owner else "",
                    "kind": kr.kind,
                    "unit": kr.unit,
                    "start_value": _number(kr.start_value),
                    "target_value": _number(kr.target_value),
                    "current_value": _number(kr.current_value),
                    "weight": _number(kr.weight),
                    "confidence": _number(kr.confidence),
                }
            )
    return rows


def export_filename(*, cycle: Cycle, extension: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", cycle.name).strip("-").lower() or "cycle"
    return f"cascade-{slug}.{extension}"


def _typed(row: dict[str, str]) -> list:
    """A row as file cells: numbers as numbers (a negative one is no formula), texts as they are (the writer makes
    them formula-safe)."""
    return [(Decimal(row[c]) if row[c] else None) if c in NUMBER_COLUMNS else row[c] for c in COLUMNS]


def cascade_export_csv(*, company: Company, cycle: Cycle) -> str:
    """The CSV (UTF-8 with BOM, so that Excel reads umlauts)."""
    return tabular.write_csv(COLUMNS, (_typed(row) for row in cascade_export_rows(company=company, cycle=cycle)))


def cascade_export_xlsx(*, company: Company, cycle: Cycle) -> bytes:
    rows = (_typed(row) for row in cascade_export_rows(company=company, cycle=cycle))
    # str values (a path like "1.10") stay text cells
    widths = [10, 12, 50, 30, 14, 18, 11, 17, 16, 12, 10, 12, 12, 12, 8, 11]
    return tabular.write_xlsx(COLUMNS, rows, title="Cascade", widths=widths)
