"""Routes of the CRM import pages and the reporting settings (below /c/<company_slug>/)."""

from django.urls import path

from . import views_crm

urlpatterns = [
    path("board/import/", views_crm.crm_import_page, name="crm_import"),
    path("board/import/<int:pk>/", views_crm.crm_import_detail, name="crm_import_detail"),
    path("board/import/<int:pk>/wizard/", views_crm.crm_import_wizard, name="crm_import_wizard"),
    path("board/import/<int:pk>/confirm/", views_crm.crm_import_confirm_view, name="crm_import_confirm"),
    path("board/import/<int:pk>/discard/", views_crm.crm_import_discard_view, name="crm_import_discard"),
    path("board/import/<int:pk>/progress/", views_crm.crm_import_progress_partial, name="crm_import_progress"),
    path("board/import/mappings/new/", views_crm.crm_mapping_edit, name="crm_mapping_new"),
    path("board/import/mappings/<int:pk>/", views_crm.crm_mapping_edit, name="crm_mapping_edit"),
    path("board/import/mappings/<int:pk>/delete/", views_crm.crm_mapping_delete, name="crm_mapping_delete"),
    path("board/settings/", views_crm.reporting_settings_page, name="reporting_settings"),
    path("board/settings/bindings/", views_crm.kpi_binding_add, name="kpi_binding_add"),
    path("board/settings/bindings/<int:pk>/delete/", views_crm.kpi_binding_remove, name="kpi_binding_delete"),
]
