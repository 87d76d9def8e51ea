"""CRM record → import row: the file import's presets already name the CRMs' internal property / API field names
(HubSpot "hs_object_id", "createdate" …; Salesforce "Id", "CreatedDate" …) beside the labels of their exports, so a
record is mapped by the same preset, to the same field names, as a column of an exported file."""

from __future__ import annotations

import re

from ..reader import PRESETS, match_columns

_HUBSPOT_NAME = re.compile(r"[a-z0-9_]+")
_SALESFORCE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def _names(source: str, kind: str, pattern: re.Pattern) -> list[str]:
    names: list[str] = []
    for alternatives in PRESETS[(source, kind)].values():
        for name in (alternatives,) if isinstance(alternatives, str) else alternatives:
            if pattern.fullmatch(name) and name not in names:
                names.append(name)
    return names


def hubspot_properties(kind: str) -> list[str]:
    """The HubSpot internal property names the preset for ``kind`` knows (what a search asks for)."""
    return _names("hubspot", kind, _HUBSPOT_NAME)


def salesforce_fields(kind: str, available: set[str]) -> list[str]:
    """The Salesforce API field names the preset for ``kind`` knows and the org has (custom fields such as
    MQL_Date__c exist only where an admin created them)."""
    return [name for name in _names("salesforce", kind, _SALESFORCE_NAME) if name in available]


def to_row(source: str, kind: str, record: dict) -> dict:
    """{import field: value} for the fields the preset maps from ``record``'s keys; a field the CRM returned empty is
    in the row as "" (an empty cell), so the sync clears it as a re-imported file would."""
    columns = match_columns(PRESETS[(source, kind)], list(record))
    return {field: "" if record[column] is None else record[column] for field, column in columns.items()}
