"""Every state change of the CRM data, by concern: file imports (uploads and drafts in ``imports``, the run in
``import_run``, with the PostgreSQL COPY path in ``imports_pg``), saved column mappings (``mappings``), the upsert
of records that imports, the bulk API and connectors share (``records``), and live CRM connections and their sync
(``connections``). Import from here: ``from crm.services import crm_import_create``."""

from .connections import (
    crm_connection_connect,
    crm_connection_revoke,
    crm_connection_sync,
    crm_connection_sync_request,
    crm_connections_due,
    crm_credentials_rotate,
)
from .import_run import crm_import_progress, crm_import_run
from .imports import (
    AUTO_SOURCE,
    DRAFT_KEPT,
    crm_import_confirm,
    crm_import_create,
    crm_import_discard,
    crm_import_drafts_purge,
    crm_import_max_bytes,
)
from .mappings import column_mapping_delete, column_mapping_save
from .records import MAX_API_ITEMS, PayloadRejected, crm_records_upsert

__all__ = [
    "AUTO_SOURCE",
    "DRAFT_KEPT",
    "MAX_API_ITEMS",
    "PayloadRejected",
    "column_mapping_delete",
    "column_mapping_save",
    "crm_connection_connect",
    "crm_connection_revoke",
    "crm_connection_sync",
    "crm_connection_sync_request",
    "crm_connections_due",
    "crm_credentials_rotate",
    "crm_import_confirm",
    "crm_import_create",
    "crm_import_discard",
    "crm_import_drafts_purge",
    "crm_import_max_bytes",
    "crm_import_progress",
    "crm_import_run",
    "crm_records_upsert",
]
