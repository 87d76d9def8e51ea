"""API routes of the cascade area (below /api/v1/companies/<company_slug>/)."""

from django.urls import path

from . import cascade as api

urlpatterns: list = [
    path("cycles/", api.CycleListAPI.as_view(), name="api-cycles"),
    path("cycles/<int:pk>/", api.CycleDetailAPI.as_view(), name="api-cycle"),
    path("cycles/<int:pk>/activate/", api.CycleActivateAPI.as_view(), name="api-cycle-activate"),
    path("cycles/<int:pk>/reopen/", api.CycleReopenAPI.as_view(), name="api-cycle-reopen"),
    path("cycles/<int:pk>/close/", api.CycleCloseAPI.as_view(), name="api-cycle-close"),
    path("cycles/<int:pk>/carry-over/", api.CycleCarryOverAPI.as_view(), name="api-cycle-carry-over"),
    path("objectives/", api.ObjectiveListAPI.as_view(), name="api-objectives"),
    path("objectives/<int:pk>/", api.ObjectiveDetailAPI.as_view(), name="api-objective"),
    path("objectives/<int:pk>/move/", api.ObjectiveMoveAPI.as_view(), name="api-objective-move"),
    path("objectives/<int:pk>/indent/", api.ObjectiveIndentAPI.as_view(), name="api-objective-indent"),
    path("objectives/<int:pk>/outdent/", api.ObjectiveOutdentAPI.as_view(), name="api-objective-outdent"),
    path("key-results/", api.KeyResultListAPI.as_view(), name="api-key-results"),
    path("key-results/<int:pk>/", api.KeyResultDetailAPI.as_view(), name="api-key-result"),
    path("key-results/<int:pk>/move/", api.KeyResultMoveAPI.as_view(), name="api-key-result-move"),
    path("key-results/<int:pk>/check-ins/", api.CheckInListAPI.as_view(), name="api-check-ins"),
    path("cascade/", api.CascadeAPI.as_view(), name="api-cascade"),
    path("cascade/signature/", api.CascadeSignatureAPI.as_view(), name="api-cascade-signature"),
    path("cascade/export.xlsx", api.CascadeExportAPI.as_view(), name="api-cascade-export-xlsx"),
    path("cascade/export.csv", api.CascadeExportCsvAPI.as_view(), name="api-cascade-export-csv"),
    path("cascade/import/", api.CascadeImportAPI.as_view(), name="api-cascade-import"),
    path("cascade/settings/", api.CascadeSettingsAPI.as_view(), name="api-cascade-settings"),
]
