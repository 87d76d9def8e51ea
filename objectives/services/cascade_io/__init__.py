"""Import and export of a cycle's cascade as XLSX or CSV (files through core.tabular, numbers through core.numbers).

One row per objective and per key result. ``path`` places a row in the tree: objectives are numbered among their
siblings ("1", "1.2", "1.2.1"), key results by their objective's path plus ``K`` and their number ("1.2.K1").
Text cells that a spreadsheet would execute (starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return) are
exported with a leading apostrophe, which the import removes again; numbers are written as numbers.

The import validates every row before it creates anything; if any row is wrong it creates nothing and raises a
ValidationError listing "row N, column X: reason". Importing an export into an empty cycle reproduces the cascade:
structure, order, texts, owners, alignments within the cycle, key result values (the current value becomes an
automatic check-in).

A package: ``columns`` (the file's columns and paths), ``exporting`` and ``importing``. Everything is importable from
here, as before the split.
"""

from core.tabular import XLSX_CONTENT_TYPE as XLSX_TYPE

from .columns import (
    COLUMNS,
    KEY_RESULT_PATH,
    MAX_COLUMNS,
    MAX_ROWS,
    NUMBER_COLUMNS,
    OBJECTIVE_PATH,
    TYPE_KEY_RESULT,
    TYPE_OBJECTIVE,
    XLSX_UNPACK_FACTOR,
)
from .exporting import cascade_export_csv, cascade_export_rows, cascade_export_xlsx, export_filename
from .importing import ImportResult, cascade_import

__all__ = [
    "COLUMNS",
    "KEY_RESULT_PATH",
    "MAX_COLUMNS",
    "MAX_ROWS",
    "NUMBER_COLUMNS",
    "OBJECTIVE_PATH",
    "TYPE_KEY_RESULT",
    "TYPE_OBJECTIVE",
    "XLSX_TYPE",
    "XLSX_UNPACK_FACTOR",
    "ImportResult",
    "cascade_export_csv",
    "cascade_export_rows",
    "cascade_export_xlsx",
    "cascade_import",
    "export_filename",
]
