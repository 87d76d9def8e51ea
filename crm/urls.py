"""Routes of the CRM import pages (below /c/<company_slug>/). The addresses stay under board/, where people have
known them since the imports fed the board."""

from django.urls import path

from .views import connections, imports, mappings

app_name = "crm"

urlpatterns = [
    path("board/import/", imports.crm_import_page, name="crm_import"),
    path("board/import/<int:pk>/", imports.crm_import_detail, name="crm_import_detail"),
    path("board/import/<int:pk>/wizard/", imports.crm_import_wizard, name="crm_import_wizard"),
    path("board/import/<int:pk>/confirm/", imports.crm_import_confirm_view, name="crm_import_confirm"),
    path("board/import/<int:pk>/discard/", imports.crm_import_discard_view, name="crm_import_discard"),
    path("board/import/<int:pk>/progress/", imports.crm_import_progress_partial, name="crm_import_progress"),
    path(
        "board/import/connections/<str:kind>/connect/",
        connections.crm_connection_connect_view,
        name="crm_connection_connect",
    ),
    path("board/import/connections/<str:kind>/sync/", connections.crm_connection_sync_view, name="crm_connection_sync"),
    path(
        "board/import/connections/<str:kind>/status/", connections.crm_connection_status, name="crm_connection_status"
    ),
    path(
        "board/import/connections/<str:kind>/revoke/",
        connections.crm_connection_revoke_view,
        name="crm_connection_revoke",
    ),
    path("board/import/mappings/new/", mappings.crm_mapping_edit, name="crm_mapping_new"),
    path("board/import/mappings/<int:pk>/", mappings.crm_mapping_edit, name="crm_mapping_edit"),
    path("board/import/mappings/<int:pk>/delete/", mappings.crm_mapping_delete, name="crm_mapping_delete"),
]
