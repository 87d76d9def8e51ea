"""REST API of the cascade: cycles, objectives, key results, check-ins, the nested tree, import and export.

Thin: serializers parse and shape, services change, selectors read. Errors map in one place (core.api):
Django ValidationError → 400 with field errors, StaleVersion → 409 with changed_by/changed_at/current,
PermissionDenied → 403, another company's id → 404.

A package split by entity: ``serializers``, ``common`` (request parsing shared by the views), ``cycles``,
``objectives``, ``key_results`` (with their check-ins), ``tree`` (the nested cascade and its signature),
``transfer`` (export and import) and ``cascade_settings``. Every view is importable from here, as before the split.
"""

from .cascade_settings import CascadeSettingsAPI, CascadeSettingsSerializer, CascadeSettingsUpdateSerializer
from .common import CYCLE_PARAM
from .cycles import CycleActivateAPI, CycleCarryOverAPI, CycleCloseAPI, CycleDetailAPI, CycleListAPI, CycleReopenAPI
from .key_results import (
    CheckInListAPI,
    KeyResultCheckInsAPI,
    KeyResultDetailAPI,
    KeyResultFilter,
    KeyResultListAPI,
    KeyResultMoveAPI,
)
from .objectives import (
    ObjectiveDetailAPI,
    ObjectiveFilter,
    ObjectiveIndentAPI,
    ObjectiveListAPI,
    ObjectiveMoveAPI,
    ObjectiveOutdentAPI,
)
from .serializers import (
    CarryOverSerializer,
    CascadeNodeSerializer,
    CascadeSerializer,
    CheckInCreateSerializer,
    CheckInSerializer,
    CycleCreateSerializer,
    CycleSerializer,
    CycleUpdateSerializer,
    KeyResultCreateSerializer,
    KeyResultMoveSerializer,
    KeyResultNodeSerializer,
    KeyResultSerializer,
    KeyResultUpdateSerializer,
    ObjectiveCreateSerializer,
    ObjectiveMoveSerializer,
    ObjectiveSerializer,
    ObjectiveUpdateSerializer,
    VersionSerializer,
)
from .transfer import CascadeExportAPI, CascadeExportCsvAPI, CascadeImportAPI, CascadeImportSerializer
from .tree import CascadeAPI, CascadeSignatureAPI, cascade_node_dict, key_result_node_dict

__all__ = [
    "CYCLE_PARAM",
    "CarryOverSerializer",
    "CascadeAPI",
    "CascadeExportAPI",
    "CascadeExportCsvAPI",
    "CascadeImportAPI",
    "CascadeImportSerializer",
    "CascadeNodeSerializer",
    "CascadeSerializer",
    "CascadeSettingsAPI",
    "CascadeSettingsSerializer",
    "CascadeSettingsUpdateSerializer",
    "CascadeSignatureAPI",
    "CheckInCreateSerializer",
    "CheckInListAPI",
    "CheckInSerializer",
    "CycleActivateAPI",
    "CycleCarryOverAPI",
    "CycleCloseAPI",
    "CycleCreateSerializer",
    "CycleDetailAPI",
    "CycleListAPI",
    "CycleReopenAPI",
    "CycleSerializer",
    "CycleUpdateSerializer",
    "KeyResultCheckInsAPI",
    "KeyResultCreateSerializer",
    "KeyResultDetailAPI",
    "KeyResultFilter",
    "KeyResultListAPI",
    "KeyResultMoveAPI",
    "KeyResultMoveSerializer",
    "KeyResultNodeSerializer",
    "KeyResultSerializer",
    "KeyResultUpdateSerializer",
    "ObjectiveCreateSerializer",
    "ObjectiveDetailAPI",
    "ObjectiveFilter",
    "ObjectiveIndentAPI",
    "ObjectiveListAPI",
    "ObjectiveMoveAPI",
    "ObjectiveMoveSerializer",
    "ObjectiveOutdentAPI",
    "ObjectiveSerializer",
    "ObjectiveUpdateSerializer",
    "VersionSerializer",
    "cascade_node_dict",
    "key_result_node_dict",
]
