"""The columns of a cascade file and the shapes of its paths ("1.2", "1.2.K1")."""

from __future__ import annotations

import re

COLUMNS = [
    "path",
    "type",
    "title",
    "description",
    "team",
    "owner",
    "state",
    "rollup",
    "contributes_to",
    "kind",
    "unit",
    "start_value",
    "target_value",
    "current_value",
    "weight",
    "confidence",
]
NUMBER_COLUMNS = {"start_value", "target_value", "current_value", "weight", "confidence"}
TYPE_OBJECTIVE = "objective"
TYPE_KEY_RESULT = "key result"
MAX_ROWS = 5000
MAX_COLUMNS = 64
XLSX_UNPACK_FACTOR = 20
OBJECTIVE_PATH = re.compile(r"^[1-9]\d*(\.[1-9]\d*)*$")
KEY_RESULT_PATH = re.compile(r"^(?P<objective>[1-9]\d*(\.[1-9]\d*)*)\.K(?P<number>[1-9]\d*)$", re.IGNORECASE)
